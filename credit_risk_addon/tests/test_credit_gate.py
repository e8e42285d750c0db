from datetime import timedelta

from freezegun import freeze_time

from odoo.exceptions import RedirectWarning
from odoo.tests import Form, tagged

from .common import TODAY, CreditRiskCommon


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestCreditGate(CreditRiskCommon):
    def assertRefused(self, orders, *fragments):
        with self.assertRaises(RedirectWarning) as caught:
            orders.action_confirm()
        message, action_id, button, context = caught.exception.args
        for fragment in fragments:
            self.assertIn(fragment, message)
        self.assertEqual(
            action_id, self.env.ref("credit_risk_addon.credit_approval_request_wizard_action").id
        )
        self.assertEqual(button, "Request Credit Approval")
        return message, context

    def test_within_limit_confirms(self):
        self.make_invoice(self.customer, 6000.0)
        order = self.make_order(self.customer, 4000.0, user=self.salesman)
        self.assertEqual(order.credit_gate_status, "pass")
        self.assertIs(order.with_user(self.salesman).action_confirm(), True)
        self.assertEqual(order.state, "sale")

    def test_over_limit_refused_with_figures(self):
        self.make_invoice(self.customer, 6000.0)
        order = self.make_order(self.customer, 4500.0, user=self.salesman)
        self.assertEqual(order.credit_gate_status, "block")
        self.assertAlmostEqual(order.credit_gate_remaining, -500.0)
        _message, context = self.assertRefused(
            order.with_user(self.salesman),
            order.name,
            "exceeds the credit limit",
            "10,000.00",  # limit
            "6,000.00",  # exposure
            "4,500.00",  # this order
            "500.00",  # excess
            "unblock this order",
        )
        self.assertEqual(context, {"default_order_ids": order.ids})
        self.assertEqual(order.state, "draft")
        self.assertIn("exceeds the credit limit", order.partner_credit_warning)

    def test_hold_refuses_even_within_limit(self):
        self.customer.with_user(self.credit_manager)._credit_set_hold(True, "Cheque bounced")
        order = self.make_order(self.contact, 100.0, user=self.salesman)
        message, _context = self.assertRefused(
            order.with_user(self.salesman), "credit hold", "Cheque bounced"
        )
        # Only the figures that say something: no excess, no overdue days of 0.
        self.assertNotIn("Excess", message)
        self.assertNotIn("Oldest overdue", message)

    def test_overdue_threshold(self):
        self.make_invoice(self.customer, 100.0, due=TODAY - timedelta(days=60))
        order = self.make_order(self.customer, 100.0)
        order.action_confirm()  # exactly 60 days: allowed
        self.make_invoice(self.customer, 100.0, due=TODAY - timedelta(days=61))
        order = self.make_order(self.customer, 100.0)
        self.assertRefused(order, "61 days overdue")
        self.company.credit_overdue_days = 90
        self.assertIs(order.action_confirm(), True)

    def test_warn_mode_confirms_and_warns(self):
        self.company.credit_gate_mode = "warn"
        self.make_invoice(self.customer, 9500.0)
        order = self.make_order(self.customer, 1000.0)
        self.assertEqual(order.credit_gate_status, "warn")
        self.assertIn("Credit warning", order.partner_credit_warning)
        self.assertIs(order.action_confirm(), True)

    def test_gate_off_without_sales_credit_limit(self):
        self.make_invoice(self.customer, 20000.0)
        self.company.account_use_credit_limit = False
        order = self.make_order(self.customer, 1000.0)
        self.assertEqual(order.credit_gate_status, "none")
        self.assertIs(order.action_confirm(), True)
        self.company.account_use_credit_limit = True
        self.company.credit_gate_mode = "off"
        self.assertIs(self.make_order(self.customer, 1000.0).action_confirm(), True)

    def test_no_limit_means_no_limit_rule(self):
        self.customer.credit_limit = 0.0
        self.make_invoice(self.customer, 50000.0)
        self.assertIs(self.make_order(self.customer, 1000.0).action_confirm(), True)

    def test_context_flags_do_not_bypass(self):
        self.make_invoice(self.customer, 10000.0)
        order = self.make_order(self.customer, 1.0)
        for key in ("bypass_risk", "credit_gate_skip", "skip_credit_check", "force_confirm"):
            with self.assertRaises(RedirectWarning):
                order.with_context(**{key: True}).action_confirm()
        self.assertTrue(order._confirmation_error_message())

    def test_batch_confirmation_names_refused_orders(self):
        self.make_invoice(self.customer, 8000.0)
        other = self.env["res.partner"].create({"name": "Other Customer", "is_company": True})
        first = self.make_order(self.customer, 1500.0)
        second = self.make_order(self.customer, 1500.0)  # fine alone, not with the first
        third = self.make_order(other, 100.0)
        message, context = self.assertRefused(first | second | third, second.name)
        self.assertNotIn(first.name + " for", message)
        self.assertEqual(context["default_order_ids"], second.ids)
        self.assertEqual((first | second | third).mapped("state"), ["draft"] * 3)
        (first | third).action_confirm()
        self.assertEqual((first | third).mapped("state"), ["sale", "sale"])
        # Several refused orders are named one by one.
        fourth = self.make_order(self.customer, 5000.0)
        message, context = self.assertRefused(
            second | fourth, second.name, fourth.name, "unblock these orders"
        )
        self.assertEqual(context["default_order_ids"], (second | fourth).ids)

    def test_salesman_with_own_documents_sees_full_exposure(self):
        # Another salesman's confirmed order is invisible to our salesman...
        theirs = self.make_order(self.customer, 6000.0, user=self.other_salesman, confirm=True)
        self.assertFalse(self.env["sale.order"].with_user(self.salesman).search([("id", "=", theirs.id)]))
        # ...but still counts in the exposure the gate uses.
        order = self.make_order(self.customer, 5000.0, user=self.salesman)
        order = order.with_user(self.salesman)
        self.assertAlmostEqual(order.credit_gate_exposure, 6000.0)
        self.assertRefused(order, "exceeds the credit limit")

    def test_foreign_currency_order_checked_in_company_currency(self):
        foreign = self.setup_other_currency("EUR", rates=[("2000-01-01", 2.0)])
        pricelist = self.env["product.pricelist"].create({"name": "EUR", "currency_id": foreign.id})
        self.make_invoice(self.customer, 8000.0)
        order = self.make_order(self.customer, 3800.0, pricelist_id=pricelist.id)  # = 1,900 company
        self.assertAlmostEqual(order.credit_gate_order_amount, 1900.0)
        self.assertIs(order.action_confirm(), True)
        order = self.make_order(self.customer, 400.0, pricelist_id=pricelist.id)  # = 200 company
        self.assertRefused(order, "exceeds the credit limit by")

    def test_second_company_order_uses_its_own_limit(self):
        company_2 = self.setup_other_company(name="Credit Co 2")["company"]
        company_2.account_use_credit_limit = True
        self.customer.with_company(company_2).credit_limit = 500.0
        self.make_invoice(self.customer, 9000.0)  # company 1 only
        order = self.make_order(self.customer, 400.0, company=company_2)
        self.assertEqual(order.company_id, company_2)
        self.assertAlmostEqual(order.credit_gate_exposure, 0.0)
        self.assertIs(order.action_confirm(), True)
        order = self.make_order(self.customer, 400.0, company=company_2)
        self.assertRefused(order, "exceeds the credit limit by")

    def test_quotation_form_shows_the_situation(self):
        self.make_invoice(self.customer, 9000.0, due=TODAY - timedelta(days=3))
        form = Form(self.env["sale.order"].with_user(self.salesman))
        form.partner_id = self.customer
        with form.order_line.new() as line:
            line.product_id = self.product
            line.price_unit = 500.0
            line.tax_id.clear()
        self.assertEqual(form.credit_gate_status, "pass")
        self.assertAlmostEqual(form.credit_gate_limit, 10000.0)
        self.assertAlmostEqual(form.credit_gate_exposure, 9000.0)
        self.assertAlmostEqual(form.credit_gate_order_amount, 500.0)
        self.assertAlmostEqual(form.credit_gate_remaining, 500.0)
        self.assertAlmostEqual(form.credit_gate_overdue, 9000.0)
        with form.order_line.edit(0) as line:
            line.price_unit = 1500.0
        self.assertEqual(form.credit_gate_status, "block")
        self.assertIn("Confirmation will be refused", form.partner_credit_warning)

    def test_online_payment_exemption(self):
        order = self.make_order(self.customer, 500.0)
        self.make_invoice(self.customer, 10000.0)
        provider = self.env["payment.provider"].create({"name": "Test", "state": "test", "code": "none"})
        method = self.env.ref("payment.payment_method_unknown")
        tx = self.env["payment.transaction"].create(
            {
                "provider_id": provider.id,
                "payment_method_id": method.id,
                "amount": order.amount_total,
                "currency_id": order.currency_id.id,
                "partner_id": self.customer.id,
                "reference": "CREDIT-TX-1",
                "sale_order_ids": [(6, 0, order.ids)],
                "state": "done",
            }
        )
        # Exempt (default): the paid order is confirmed despite the exposure.
        self.assertEqual(tx._check_amount_and_confirm_order(), order)
        self.assertEqual(order.state, "sale")

    def test_online_payment_held_when_not_exempt(self):
        self.company.credit_exempt_online_payment = False
        order = self.make_order(self.customer, 500.0)
        self.make_invoice(self.customer, 10000.0)
        provider = self.env["payment.provider"].create({"name": "Test", "state": "test", "code": "none"})
        tx = self.env["payment.transaction"].create(
            {
                "provider_id": provider.id,
                "payment_method_id": self.env.ref("payment.payment_method_unknown").id,
                "amount": order.amount_total,
                "currency_id": order.currency_id.id,
                "partner_id": self.customer.id,
                "reference": "CREDIT-TX-2",
                "sale_order_ids": [(6, 0, order.ids)],
                "state": "done",
            }
        )
        self.assertFalse(tx._check_amount_and_confirm_order())
        self.assertEqual(order.state, "draft")
        activity = order.activity_ids.filtered(lambda a: a.user_id == self.credit_manager)
        self.assertTrue(activity, "each credit manager gets an activity")
        self.assertIn("CREDIT-TX-2", order.message_ids[0].body)
