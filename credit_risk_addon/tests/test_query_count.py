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
# What the gate adds to a confirmation (gate on against gate off): the lock,
# the figures, the requests, the debtor's company settings.
CONFIRM_EXTRA_QUERIES = 4


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

    def _confirm_queries(self, partner, mode):
        """Queries of confirming one quotation of ``partner`` with the gate in ``mode``, cold cache."""
        self.company.credit_gate_mode = mode
        order = self.make_order(partner, 100.0)
        warm = self.make_order(partner, 100.0)
        warm.action_confirm()  # fill the registry caches (record rules, sequences, templates)
        self.env.invalidate_all()
        count0 = self.cr.sql_log_count
        self.assertIs(order.action_confirm(), True)
        return self.cr.sql_log_count - count0

    def test_the_gate_adds_few_queries_to_a_confirmation(self):
        partner = self._customer_with_invoices(3)
        without_gate = self._confirm_queries(partner, "off")
        with_gate = self._confirm_queries(partner, "block")
        self.assertLessEqual(with_gate - without_gate, CONFIRM_EXTRA_QUERIES)

    def _panel_queries(self, count):
        """Queries of the credit-check column of a list of ``count`` quotations, cold cache."""
        orders = self.env["sale.order"]
        for index in range(count):
            customer = self.env["res.partner"].create({"name": f"List customer {index}", "is_company": True})
            customer.credit_limit = 1000.0
            orders |= self.make_order(customer, 100.0 + index)
        orders.mapped("credit_gate_status")  # warm the registry caches
        self.env.invalidate_all()
        count0 = self.cr.sql_log_count
        statuses = orders.mapped("credit_gate_status")
        self.assertEqual(set(statuses), {"pass"})
        return self.cr.sql_log_count - count0

    def test_a_list_of_80_quotations_costs_what_a_list_of_1_does(self):
        self._panel_queries(1)  # the first list of the test pays for caches later lists share
        self.assertEqual(self._panel_queries(80), self._panel_queries(1))
