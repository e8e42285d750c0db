"""A salesperson's and a credit manager's day in a real browser (Odoo tours).

The tours live in static/tests/tours/ (credit_gate_tours.js, credit_report_tours.js,
credit_collection_tours.js); each one is opened
on the records created here, and the database is checked after it. Tagged
``credit_tour`` so that scripts/run-tests can leave them out where Chromium is
missing.
"""

import datetime
import io

import openpyxl

from odoo import Command
from odoo.tests import HttpCase, new_test_user, tagged

# The texts the tours type; the same strings are in the tour file.
JUSTIFICATION = "Customer pays every Friday and the cheque is in the mail"
DECISION = "Known payer and the bank confirmed the cheque"


@tagged("post_install", "-at_install", "credit_tour")
class TestCreditTours(HttpCase):
    def setUp(self):
        super().setUp()
        self.company = self.env.company
        self.company.write({"account_use_credit_limit": True, "credit_gate_mode": "block"})
        self.salesperson = new_test_user(
            self.env,
            login="tour_salesperson",
            groups="sales_team.group_sale_salesman",
            name="Tess Tour Seller",
            email="tess@example.com",
        )
        # A credit manager without any Sales group.
        self.credit_manager = new_test_user(
            self.env,
            login="tour_credit_manager",
            groups="credit_risk_addon.group_credit_manager",
            name="Cody Tour Credit",
            email="cody@example.com",
        )
        self.customer = self.env["res.partner"].create({"name": "Tour Held Customer", "is_company": True})
        self.customer.with_company(self.company).credit_limit = 10000.0
        self.customer._credit_set_hold(True, "Returned cheque")
        product = self.env["product.product"].create(
            {"name": "Tour Crate", "list_price": 1500.0, "taxes_id": [Command.clear()]}
        )
        self.order = self.env["sale.order"].create(
            {
                "partner_id": self.customer.id,
                "user_id": self.salesperson.id,
                "company_id": self.company.id,
                "order_line": [
                    Command.create(
                        {
                            "product_id": product.id,
                            "product_uom_qty": 1,
                            "price_unit": 1500.0,
                            "tax_id": [Command.clear()],
                        }
                    )
                ],
            }
        )

    def quotation_url(self):
        return f"/odoo/action-sale.action_quotations/{self.order.id}"

    def requests(self):
        self.env.invalidate_all()
        return self.env["credit.approval.request"].search([("order_id", "=", self.order.id)])

    def test_request_approve_confirm(self):
        """Refused, asked, approved, confirmed: the whole round trip, one user after the other."""
        self.assertEqual(self.order.credit_gate_status, "block")

        # a. The salesperson is refused and asks for approval.
        self.start_tour(self.quotation_url(), "credit_salesperson_request_tour", login="tour_salesperson")
        request = self.requests()
        self.assertEqual(len(request), 1, "one request for the order")
        self.assertIn(self.credit_manager, request.activity_ids.user_id, "the credit manager got a to-do")
        self.assertEqual(request.state, "pending")
        self.assertEqual(request.request_note, JUSTIFICATION)
        self.assertEqual(request.requested_by_id, self.salesperson)
        self.assertEqual(self.order.state, "draft")
        self.assertEqual(self.order.credit_gate_status, "pending")

        # b. The credit manager approves it from the queue.
        self.start_tour(
            "/odoo/action-credit_risk_addon.credit_approval_request_action",
            "credit_manager_approve_tour",
            login="tour_credit_manager",
        )
        request = self.requests()
        self.assertEqual(request.state, "approved")
        self.assertEqual(request.decided_by_id, self.credit_manager)
        self.assertEqual(request.decision_note, DECISION)
        self.assertAlmostEqual(request.approved_amount, 1500.0)
        self.assertFalse(request.activity_ids, "the credit managers' to-dos are done once decided")
        self.assertEqual(self.order.state, "draft")
        self.assertEqual(self.order.credit_gate_status, "approved")

        # c. The salesperson confirms the approved quotation.
        self.start_tour(self.quotation_url(), "credit_salesperson_confirm_tour", login="tour_salesperson")
        request = self.requests()
        self.assertEqual(self.order.state, "sale")
        self.assertEqual(request.state, "used")
        self.assertTrue(request.used_on)

    def test_portal_customer_accepts_a_blocked_quotation(self):
        """A visitor holding the quotation's link signs it: held for review, nothing leaked."""
        self.customer._credit_set_hold(True, "Portal secret reason")
        self.order.write({"require_signature": True, "require_payment": False})
        self.order.action_quotation_sent()
        self.start_tour(self.order.get_portal_url(), "credit_portal_accept_tour")
        self.env.invalidate_all()
        self.assertIn(self.order.state, ("draft", "sent"))
        self.assertEqual(self.order.signed_by, "Pat Buyer", "the signature is kept")
        self.assertTrue(self.order.credit_review_pending)
        self.assertIn(self.credit_manager, self.order.activity_ids.user_id)


@tagged("post_install", "-at_install", "credit_tour")
class TestCreditReportTours(HttpCase):
    """An accountant opens the aged receivables from the menu, filters them and downloads the workbook."""

    def setUp(self):
        super().setUp()
        self.company = self.env.company
        self.accountant = new_test_user(
            self.env,
            login="tour_accountant",
            groups="account.group_account_readonly",
            name="Ada Tour Accountant",
        )
        tag = self.env["res.partner.category"].create({"name": "Tour Key Account"})
        self.tagged = self.env["res.partner"].create(
            {"name": "Tour Tagged Customer", "is_company": True, "category_id": [Command.link(tag.id)]}
        )
        self.other = self.env["res.partner"].create({"name": "Tour Other Customer", "is_company": True})
        product = self.env["product.product"].create({"name": "Tour Pallet", "list_price": 100.0})
        for partner, amount in ((self.tagged, 1200.0), (self.other, 800.0)):
            invoice = self.env["account.move"].create(
                {
                    "move_type": "out_invoice",
                    "partner_id": partner.id,
                    "invoice_date": "2026-01-15",
                    "invoice_date_due": "2026-02-14",
                    "invoice_line_ids": [
                        Command.create(
                            {"product_id": product.id, "price_unit": amount, "tax_ids": [Command.clear()]}
                        )
                    ],
                }
            )
            invoice.action_post()

    def test_aged_receivables_filter_and_download(self):
        self.start_tour(
            "/odoo",
            "credit_aged_receivables_tour",
            login="tour_accountant",
        )
        # The workbook the accountant downloaded holds the tagged customer alone.
        attachment = self.env["ir.attachment"].search(
            [("res_model", "=", "credit.aged.receivable.wizard"), ("create_uid", "=", self.accountant.id)]
        )
        self.assertEqual(len(attachment), 1)
        book = openpyxl.load_workbook(io.BytesIO(attachment.raw), data_only=True)
        customers = [row[0] for row in book.worksheets[0].iter_rows(min_row=2, values_only=True) if row[0]]
        self.assertIn("Tour Tagged Customer", customers)
        self.assertNotIn("Tour Other Customer", customers)


@tagged("post_install", "-at_install", "credit_tour")
class TestCreditCollectionTours(HttpCase):
    """A collector opens Collections Today and records a promise from a customer's line."""

    def test_collector_records_a_promise(self):
        collector = new_test_user(
            self.env,
            login="tour_collector",
            groups="account.group_account_invoice",
            name="Cora Tour Collector",
        )
        debtor = self.env["res.partner"].create(
            {"name": "Tour Debtor", "is_company": True, "credit_collector_id": collector.id}
        )
        today = self.env.company._credit_today()
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": debtor.id,
                "invoice_date": today - datetime.timedelta(days=45),
                "invoice_date_due": today - datetime.timedelta(days=16),
                "invoice_line_ids": [
                    Command.create({"name": "Goods", "price_unit": 900.0, "tax_ids": [Command.clear()]})
                ],
            }
        )
        invoice.action_post()
        self.start_tour("/odoo", "credit_collection_worklist_tour", login="tour_collector")
        promise = self.env["credit.promise"].search([("partner_id", "=", debtor.id)])
        self.assertEqual(promise.move_ids, invoice)
        self.assertEqual(promise.amount, 900.0)
        # Two weeks ahead in the browser's calendar (a day either way around midnight).
        self.assertLessEqual(abs((promise.promise_date - today).days - 14), 1)
        self.assertEqual(promise.create_uid, collector)
