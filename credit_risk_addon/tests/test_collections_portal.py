from datetime import timedelta

from lxml import html as lxml_html

from odoo import fields
from odoo.tests import HttpCase, new_test_user, tagged

from .common import CreditRiskCommon


@tagged("post_install", "-at_install")
class TestCollectionsPortal(CreditRiskCommon, HttpCase):
    """A portal customer promises a payment date or disputes an invoice, through HTTP."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        today = fields.Date.today()
        cls.today = today
        cls.collector = new_test_user(
            cls.env, login="portal_collector", groups="account.group_account_invoice"
        )
        cls.customer.credit_collector_id = cls.collector
        cls.invoice = cls.make_invoice(
            cls.customer, 500.0, invoice_date=today - timedelta(days=40), due=today - timedelta(days=10)
        )
        cls.other_customer = cls.env["res.partner"].create(
            {"name": "Other Portal Debtor", "is_company": True}
        )
        cls.other_invoice = cls.make_invoice(
            cls.other_customer, 80.0, invoice_date=today - timedelta(days=40), due=today - timedelta(days=10)
        )
        cls.portal = new_test_user(cls.env, login="collect_portal", groups="base.group_portal")
        cls.portal.partner_id.parent_id = cls.customer
        cls.reason = cls.env.ref("credit_risk_addon.dispute_reason_damaged")

    def page(self, invoice):
        response = self.url_open(invoice.get_portal_url())
        self.assertEqual(response.status_code, 200)
        return lxml_html.fromstring(response.text)

    def post(self, url, data, csrf_from=None):
        tree = self.page(csrf_from or self.invoice)
        [token] = tree.xpath("//form[@name='credit_promise_form']//input[@name='csrf_token']/@value") or [
            None
        ]
        return self.url_open(url, data={**data, "csrf_token": token}, allow_redirects=False)

    def test_promise_from_the_portal(self):
        self.authenticate("collect_portal", "collect_portal")
        tree = self.page(self.invoice)
        self.assertTrue(tree.xpath("//form[@name='credit_promise_form']"))
        self.assertTrue(tree.xpath("//form[@name='credit_dispute_form']"))
        day = self.today + timedelta(days=7)
        response = self.post(
            f"/my/invoices/{self.invoice.id}/credit_promise", {"promise_date": str(day), "amount": "300"}
        )
        self.assertEqual(response.status_code, 303)
        self.assertIn("credit_done=promise", response.headers["Location"])
        promise = self.env["credit.promise"].search([("move_ids", "in", self.invoice.ids)])
        self.assertEqual((promise.amount, promise.promise_date, promise.source), (300.0, day, "portal"))
        self.assertEqual(promise.partner_id, self.customer)
        activity = self.customer.activity_ids.filtered(
            lambda a: a.summary == "Promise to pay from the portal"
        )
        self.assertEqual(activity.user_id, self.collector)

    def test_bad_promise_is_refused_with_its_reason(self):
        self.authenticate("collect_portal", "collect_portal")
        response = self.post(
            f"/my/invoices/{self.invoice.id}/credit_promise",
            {"promise_date": str(self.today - timedelta(days=1)), "amount": "100"},
        )
        self.assertIn("credit_error=", response.headers["Location"])
        tree = lxml_html.fromstring(self.url_open(response.headers["Location"]).text)
        [error] = tree.xpath("//div[@name='credit_error']")
        self.assertIn("the date must be from today", error.text_content())
        response = self.post(
            f"/my/invoices/{self.invoice.id}/credit_promise",
            {"promise_date": str(self.today), "amount": "501"},
        )
        self.assertIn("credit_error=", response.headers["Location"])
        self.assertFalse(self.env["credit.promise"].search([("partner_id", "=", self.customer.id)]))

    def test_someone_elses_invoice_is_refused(self):
        self.authenticate("collect_portal", "collect_portal")
        for path, data in (
            ("credit_promise", {"promise_date": str(self.today + timedelta(days=3)), "amount": "10"}),
            ("credit_dispute", {"reason_id": str(self.reason.id), "amount": "10"}),
        ):
            response = self.post(f"/my/invoices/{self.other_invoice.id}/{path}", data)
            self.assertEqual(response.status_code, 303)
            self.assertTrue(response.headers["Location"].endswith("/my"))
        self.assertFalse(self.env["credit.promise"].search([("partner_id", "=", self.other_customer.id)]))
        self.assertFalse(self.other_invoice.credit_dispute_ids)
        # Its page, even with its link, shows no form to a user of another customer.
        tree = lxml_html.fromstring(self.url_open(self.other_invoice.get_portal_url()).text)
        self.assertFalse(tree.xpath("//form[@name='credit_promise_form']"))

    def test_dispute_from_the_portal(self):
        self.authenticate("collect_portal", "collect_portal")
        response = self.post(
            f"/my/invoices/{self.invoice.id}/credit_dispute",
            {"reason_id": str(self.reason.id), "amount": "200", "note": "Two crates arrived broken"},
        )
        self.assertIn("credit_done=dispute", response.headers["Location"])
        dispute = self.invoice.credit_dispute_ids
        self.assertEqual((dispute.amount, dispute.reason_id, dispute.source), (200.0, self.reason, "portal"))
        self.assertEqual(dispute.note, "Two crates arrived broken")
        self.assertTrue(self.invoice.credit_disputed)
        self.assertTrue(self.customer.activity_ids.filtered(lambda a: a.summary == "Dispute from the portal"))
        # Disputed: no second dispute, and the page says so.
        tree = self.page(self.invoice)
        self.assertFalse(tree.xpath("//form[@name='credit_dispute_form']"))
        self.assertTrue(tree.xpath("//div[@name='credit_disputed']"))
        response = self.post(
            f"/my/invoices/{self.invoice.id}/credit_dispute",
            {"reason_id": str(self.reason.id), "amount": "10"},
        )
        self.assertIn("credit_error=", response.headers["Location"])
        self.assertEqual(len(self.invoice.credit_dispute_ids), 1)

    def test_visitor_with_the_link_sees_no_form_and_cannot_post(self):
        tree = self.page(self.invoice)  # not logged in: the invoice's link with its token
        self.assertFalse(tree.xpath("//form[@name='credit_promise_form']"))
        response = self.url_open(
            f"/my/invoices/{self.invoice.id}/credit_promise",
            data={"promise_date": str(self.today + timedelta(days=3)), "amount": "10"},
            allow_redirects=False,
        )
        self.assertIn(response.status_code, (303, 400))
        self.assertFalse(self.env["credit.promise"].search([("partner_id", "=", self.customer.id)]))
