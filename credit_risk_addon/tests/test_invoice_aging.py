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
