from ast import literal_eval
from datetime import timedelta

from freezegun import freeze_time

from odoo.tests import tagged

from .common import TODAY, CreditRiskCommon


@tagged("post_install", "-at_install")
class TestInvoiceAging(CreditRiskCommon):
    def test_days_overdue_and_bucket(self):
        with freeze_time(TODAY):
            invoice = self.make_invoice(self.customer, 100.0, due=TODAY - timedelta(days=45))
            draft = self.make_invoice(self.customer, 100.0, due=TODAY - timedelta(days=45), post=False)
            self.assertEqual(invoice.credit_days_overdue, 45)
            self.assertEqual(invoice.credit_aging_bucket, "31_60")
            self.assertFalse(draft.credit_aging_bucket)

    def test_cron_moves_invoices_to_the_next_bucket(self):
        with freeze_time(TODAY):
            invoice = self.make_invoice(self.customer, 100.0, due=TODAY - timedelta(days=29))
            future = self.make_invoice(self.customer, 100.0, due=TODAY + timedelta(days=5))
        self.assertEqual(invoice.credit_aging_bucket, "1_30")
        with freeze_time(TODAY + timedelta(days=10)):
            self.env["account.move"]._cron_refresh_credit_aging()
            self.assertEqual(invoice.credit_days_overdue, 39)
            self.assertEqual(invoice.credit_aging_bucket, "31_60")
            self.assertEqual(future.credit_days_overdue, 5)
            self.assertEqual(future.credit_aging_bucket, "1_30")
            Move = self.env["account.move"]
            self.assertIn(invoice, Move.search([("credit_aging_bucket", "=", "31_60")]))
            groups = dict(
                Move._read_group(
                    [("id", "in", (invoice | future).ids)],
                    ["credit_aging_bucket"],
                    ["credit_days_overdue:max"],
                )
            )
            self.assertEqual(groups, {"31_60": 39, "1_30": 5})
            ordered = Move.search([("id", "in", (invoice | future).ids)], order="credit_days_overdue desc")
            self.assertEqual(ordered[0], invoice)

    def test_paid_invoice_leaves_the_buckets(self):
        with freeze_time(TODAY):
            invoice = self.make_invoice(self.customer, 100.0, due=TODAY - timedelta(days=10))
            self.pay(invoice)
            self.assertIn(invoice.payment_state, ("paid", "in_payment"))
            self.assertFalse(invoice.credit_aging_bucket)
            self.assertEqual(invoice.credit_days_overdue, 0)

    def test_invoice_aging_totals_equal_the_receivable(self):
        with freeze_time(TODAY):
            self.make_invoice(self.customer, 700.0, due=TODAY - timedelta(days=40))
            self.make_invoice(self.contact, 300.0, due=TODAY + timedelta(days=10))
            refund = self.make_invoice(self.customer, 250.0, move_type="out_refund")
            self.assertEqual(refund.credit_aging_bucket, "credits")
            action = self.env.ref("credit_risk_addon.action_credit_invoice_aging")
            domain = [*literal_eval(action.domain), ("commercial_partner_id", "=", self.customer.id)]
            groups = self.env["account.move"].read_group(
                domain, ["amount_residual_signed:sum"], ["credit_aging_bucket"], lazy=False
            )
            self.assertEqual([g["credit_aging_bucket"] for g in groups], ["not_due", "31_60", "credits"])
            total = sum(group["amount_residual_signed"] for group in groups)
            self.assertAlmostEqual(total, self.figures(self.customer).credit_receivable)
            self.assertAlmostEqual(total, 750.0)
