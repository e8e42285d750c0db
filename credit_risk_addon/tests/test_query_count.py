from unittest.mock import patch

from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from .common import TODAY, CreditRiskCommon

# Queries one credit check costs with a cold record cache: reading the order,
# its lines, company (and its address's time zone, for "today"), payment
# transactions and customer, the lock (1), the figures with the limit and the
# hold (1), the approval (1) and the ORM's own reads around them. Measured on
# Odoo 18.0; the promise is that it does not grow with the customer's number
# of invoices.
GATE_QUERIES = 11


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestQueryCount(CreditRiskCommon):
    def _customer_with_invoices(self, count):
        partner = self.env["res.partner"].create({"name": f"Customer with {count}", "is_company": True})
        partner.credit_limit = 1e9
        moves = self.env["account.move"].create(
            [
                {
                    "move_type": "out_invoice",
                    "partner_id": partner.id,
                    "invoice_date": TODAY,
                    "invoice_date_due": TODAY,
                    "invoice_line_ids": [
                        Command.create({"name": "Goods", "quantity": 1, "price_unit": 10.0, "tax_ids": []})
                    ],
                }
                for _i in range(count)
            ]
        )
        moves.action_post()
        return partner

    def _measure(self, partner):
        """Queries of one credit check on a quotation of ``partner``, cold record cache."""
        order = self.make_order(partner, 100.0)
        for _warm_up in range(2):  # fill the registry caches (record rules, settings)
            order._confirmation_error_message()
            self.env.invalidate_all()
        with self.assertQueryCount(GATE_QUERIES):  # an upper bound: fails above it
            count0 = self.cr.sql_log_count
            self.assertFalse(order._confirmation_error_message())
            return self.cr.sql_log_count - count0

    def test_gate_costs_the_same_with_1_and_200_invoices(self):
        with_1 = self._measure(self._customer_with_invoices(1))
        with_200 = self._measure(self._customer_with_invoices(200))
        self.assertEqual(with_1, GATE_QUERIES)
        self.assertEqual(with_200, GATE_QUERIES)

    def test_confirm_checks_each_order_once(self):
        partner = self._customer_with_invoices(3)
        orders = self.make_order(partner, 100.0) | self.make_order(partner, 200.0)
        SaleOrder = type(orders)
        with patch.object(
            SaleOrder, "_credit_gate_check", autospec=True, side_effect=SaleOrder._credit_gate_check
        ) as check:
            self.assertIs(orders.action_confirm(), True)
        self.assertEqual(check.call_count, 2)
        self.assertEqual(set(orders.mapped("state")), {"sale"})
        # Nothing is left behind for a later confirmation to skip its check.
        self.assertFalse(self.env.cr.cache.get("credit_risk_addon.gate_passed"))
