"""A hostile review of the statement, the exports, the KPIs and the dunning run.

``TestHostileReports``: holes a weak user gets through; each test fails on the
code reviewed and passes once the hole is closed. ``TestHostileHeld``: doors
that were tried and held (kept as regression tests).
"""

import contextlib
import json
from datetime import timedelta
from urllib.parse import urlencode

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import mute_logger

from .common import CreditRiskCommon

STATEMENT = "credit_risk_addon.report_credit_statement"
DUNNING_LETTER = "credit_risk_addon.report_dunning_letter"
REFUSED = (AccessError, UserError, ValidationError)
# The invoices' amounts as the statement prints them: their names repeat from one company to the next.
AMOUNT_A = "1,234.56"
AMOUNT_B = "777.77"


class HostileCommon(CreditRiskCommon):
    """Company A: the customer owes 1,234.56, due 40 days ago. Company B: the same
    customer owes 777.77 there. Users, with the groups a real database gives them
    (every internal user has *Contact Creation* by default):

    - ``sales``: a salesperson (own documents), no right on receivables;
    - ``billing_a``: a billing user of company A only;
    - ``outsider``: a partner that is nobody's contact (an attacker's address).
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.today = fields.Date.today()
        cls.customer.email = "customer@example.com"
        cls.invoice = cls.make_invoice(
            cls.customer,
            1234.56,
            invoice_date=cls.today - timedelta(days=40),
            due=cls.today - timedelta(days=40),
        )
        cls.company_b = cls.setup_other_company(name="Hostile Company B")["company"]
        cls.env.user.company_ids |= cls.company_b
        cls.invoice_b = cls.make_invoice(
            cls.customer,
            777.77,
            invoice_date=cls.today - timedelta(days=40),
            due=cls.today - timedelta(days=40),
            company=cls.company_b,
        )
        cls.sales = new_test_user(
            cls.env,
            login="hostile_sales",
            groups="sales_team.group_sale_salesman,base.group_partner_manager",
            email="hostile_sales@example.com",
        )
        cls.billing_a = new_test_user(
            cls.env,
            login="hostile_billing_a",
            groups="account.group_account_invoice,base.group_partner_manager",
            email="hostile_billing@example.com",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )
        cls.outsider = cls.env["res.partner"].create(
            {"name": "Outsider", "email": "outsider@attacker.example"}
        )
        cls.policy = cls.env["credit.dunning.policy"].search(
            [("company_id", "=", cls.company.id), ("is_default", "=", True)]
        )

    def statement_by_composer(self, user, **context):
        """What ``user`` gets attached when opening the *Send Statement* composer on the customer."""
        action = self.customer.with_user(user).action_send_credit_statement()
        composer = (
            self.env["mail.compose.message"]
            .with_user(user)
            .with_context(**action["context"], **context)
            .create({})
        )
        # Read back as the user: the attachments are theirs (created by them, res_id 0).
        return "".join(attachment.raw.decode() for attachment in composer.attachment_ids)


@tagged("post_install", "-at_install")
class TestHostileReports(HostileCommon, HttpCase):
    # ------------------------------------------------------------------
    # Customer statement
    # ------------------------------------------------------------------
    def test_salesperson_gets_no_statement_through_the_composer(self):
        """The statement template's report is rendered by the composer as superuser:
        ``_check_statement_access`` lets ``env.su`` through, so a salesperson (refused
        by the report route) gets any customer's open items as an attachment."""
        with self.assertRaises(AccessError):
            self.env["ir.actions.report"].with_user(self.sales)._render_qweb_html(
                STATEMENT, self.customer.ids
            )
        content = ""
        with contextlib.suppress(*REFUSED), mute_logger("odoo.http"):
            content = self.statement_by_composer(self.sales)
        self.assertNotIn(AMOUNT_A, content, "a salesperson read the customer's statement")

    def test_internal_user_gets_no_customer_statement_on_the_portal_route(self):
        """``/my/credit_statement`` serves any logged-in user the statement (read as
        superuser, every company) of their partner's commercial entity. Every internal
        user may edit contacts (default *Contact Creation*): a salesperson files their
        own partner under a customer and downloads its statement."""
        self.sales.partner_id.with_user(self.sales).write({"parent_id": self.customer.id})
        self.authenticate("hostile_sales", "hostile_sales")
        response = self.url_open("/my/credit_statement")
        self.assertNotIn(AMOUNT_A, response.text, "a salesperson read the customer's statement")
        self.assertNotIn(AMOUNT_B, response.text)

    def test_statement_route_writes_nothing_in_a_readonly_request(self):
        """The report routes are read-only; a statement of a single open invoice links its
        portal page, and ``get_portal_url`` writes the invoice's access token: the query fails
        (logged as an ERROR), and Odoo runs the whole request again on a read/write cursor."""
        self.authenticate("hostile_billing_a", "hostile_billing_a")
        with self.assertNoLogs("odoo.sql_db", "ERROR"), mute_logger("odoo.http"):
            response = self.url_open(f"/report/html/{STATEMENT}/{self.customer.id}")
        self.assertEqual(response.status_code, 200)

    # ------------------------------------------------------------------
    # Dunning
    # ------------------------------------------------------------------
    def test_billing_user_cannot_run_the_dunning_of_a_future_date(self):
        """A run dated far ahead jumps straight to the last level: it hands the customer
        over (a flag only credit managers may set), and dates the step in the future,
        which silences the scheduled run (the interval since the "last" step is negative)."""
        future = self.today + timedelta(days=400)
        wizard = self.env["credit.dunning.run.wizard"].with_user(self.billing_a).create({"date": future})
        with contextlib.suppress(*REFUSED):
            wizard.action_preview()
            wizard.action_run()
        self.env.invalidate_all()
        customer = self.customer.with_company(self.company).sudo()
        self.assertFalse(customer.credit_dunning_handed_over, "a billing user handed the customer over")
        self.assertFalse(
            self.env["credit.dunning.history"].search(
                [("partner_id", "=", self.customer.id), ("date", ">", self.today)]
            ),
            "a dunning step dated in the future",
        )
        self.assertFalse(self.invoice.credit_dunning_date and self.invoice.credit_dunning_date > self.today)

    def test_non_manager_sets_no_dunning_field_when_creating(self):
        """The write guard on the dunning policy and the hand-over is only on ``write``:
        ``create`` (and so context defaults) takes them from anyone."""
        lenient = self.env["credit.dunning.policy"].create(
            {
                "name": "Lenient",
                "company_id": self.company.id,
                "level_ids": [Command.create({"name": "Someday", "days": 365, "send_email": False})],
            }
        )
        Partner = self.env["res.partner"].with_user(self.billing_a)
        attempts = {
            "handed over": lambda: Partner.create(
                {"name": "Never dunned", "is_company": True, "credit_dunning_handed_over": True}
            ),
            "lenient policy": lambda: Partner.create(
                {"name": "Gently dunned", "is_company": True, "credit_dunning_policy_id": lenient.id}
            ),
            "context default": lambda: Partner.with_context(default_credit_dunning_handed_over=True).create(
                {"name": "Defaulted", "is_company": True}
            ),
        }
        for name, attempt in attempts.items():
            with self.subTest(path=name), self.assertRaises(AccessError):
                attempt()

    def test_non_manager_imports_no_dunning_field(self):
        result = (
            self.env["res.partner"]
            .with_user(self.billing_a)
            .load(["name", "is_company", "credit_dunning_handed_over"], [["Imported Co", "1", "1"]])
        )
        self.assertFalse(result["ids"], "an import by a billing user handed a new customer over")

    def test_dunning_contact_is_one_of_the_customer(self):
        """The dunning contact's ``child_of`` domain is the form's only: a salesperson points a
        customer's reminders (with tokenised links to its invoices) at any address."""
        with contextlib.suppress(*REFUSED):
            self.customer.with_user(self.sales).write({"credit_dunning_contact_id": self.outsider.id})
        self.env["credit.dunning"].sudo().with_company(self.company)._run(self.company, self.today)
        messages = self.env["mail.message"].search(
            [("model", "=", "res.partner"), ("res_id", "=", self.customer.id)]
        )
        leaked = messages.filtered(lambda message: self.outsider in message.partner_ids)
        self.assertFalse(
            leaked,
            f"the reminder (links to the invoices) went to the outsider: {(leaked[:1].body or '')[:300]}",
        )


@tagged("post_install", "-at_install")
class TestHostileHeld(HostileCommon, HttpCase):
    """Doors tried that held."""

    def test_billing_user_gets_no_other_company_statement_through_the_composer(self):
        """Rendered as superuser, the statement's company is ``env.company`` unchecked; but the
        composer's ``default_get`` reads ``env.company`` as the user first, which refuses
        ``allowed_company_ids`` outside the user's companies."""
        content = ""
        with contextlib.suppress(*REFUSED), mute_logger("odoo.http"):
            content = self.statement_by_composer(
                self.billing_a, allowed_company_ids=[self.company_b.id, self.company.id]
            )
        self.assertNotIn(AMOUNT_B, content, "company B's items reached a company A user")

    def test_statement_route_keeps_to_the_users_companies(self):
        # A second open item: with a single one the statement links the invoice's portal page
        # (see TestHostileReports.test_statement_route_writes_nothing_in_a_readonly_request).
        self.make_invoice(self.customer, 10.0)
        self.authenticate("hostile_billing_a", "hostile_billing_a")
        url = f"/report/html/{STATEMENT}/{self.customer.id}"
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200)
        self.assertIn(AMOUNT_A, response.text)
        self.assertNotIn(AMOUNT_B, response.text)
        # Another company through the context, the options (company_ids) or both.
        for query in (
            {"context": json.dumps({"allowed_company_ids": [self.company_b.id]})},
            {"options": json.dumps({"company_ids": [self.company_b.id]})},
        ):
            with mute_logger("odoo.http"):
                response = self.url_open(f"{url}?{urlencode(query)}")
            self.assertNotIn(AMOUNT_B, response.text)

    def test_dunning_letter_route_is_refused(self):
        self.authenticate("hostile_billing_a", "hostile_billing_a")
        options = json.dumps({"dunning": {"lines": [], "credits": [], "total": "1", "company": "X"}})
        with mute_logger("odoo.http"):
            response = self.url_open(
                f"/report/html/{DUNNING_LETTER}/{self.customer.id}?{urlencode({'options': options})}"
            )
        self.assertNotEqual(response.status_code, 200)

    def test_exports_stay_their_users(self):
        Export = self.env["credit.report.export"]
        with self.assertRaises(AccessError):
            Export.with_user(self.billing_a).create(
                {"name": "Theirs", "report": "aged_receivables", "user_id": self.credit_user.id}
            )
        # Crafted parameters: company B, which the user is not in.
        export = Export.with_user(self.billing_a).create(
            {
                "name": "B",
                "report": "aged_receivables",
                "parameters": {"company_ids": [Command.set(self.company_b.ids)]},
            }
        )
        with mute_logger("odoo.addons.credit_risk_addon.models.credit_report_export"):
            Export._cron_build_exports(auto_commit=False)
        self.assertEqual(export.state, "failed")
        self.assertFalse(export.sudo().file)
        # Someone else's file.
        mine = Export.with_user(self.credit_user).create(
            {"name": "Mine", "report": "aged_receivables", "parameters": {}}
        )
        Export._cron_build_exports(auto_commit=False)
        self.assertEqual(mine.state, "done")
        with self.assertRaises(AccessError):
            mine.with_user(self.billing_a).read(["file"])
        self.authenticate("hostile_billing_a", "hostile_billing_a")
        with mute_logger("odoo.http"):
            response = self.url_open(f"/web/content/credit.report.export/{mine.id}/file")
        self.assertIn(response.status_code, (403, 404))

    def test_kpis_and_aged_receivables_of_another_company(self):
        wizard = (
            self.env["credit.kpi.wizard"]
            .with_user(self.billing_a)
            .create({"company_id": self.company_b.id, "end_date": self.today, "month_count": 3})
        )
        wizard.action_compute()
        self.assertFalse(wizard.credit_sales)
        self.assertFalse(any(wizard.line_ids.mapped("receivable")))
        Report = self.env["credit.aged.receivable"].with_user(self.billing_a)
        groups = Report._read_group([], ["company_id"], ["residual:sum"])
        self.assertEqual([company for company, _sum in groups], [self.company])
        with self.assertRaises(AccessError):
            Report.with_context(allowed_company_ids=[self.company_b.id]).search([])

    def test_dunning_run_of_another_company_and_history(self):
        Wizard = self.env["credit.dunning.run.wizard"].with_user(self.billing_a)
        wizard = Wizard.create({"company_id": self.company_b.id})
        with self.assertRaises(UserError):
            wizard.action_preview()
        with self.assertRaises(AccessError):
            self.env["credit.dunning.history"].with_user(self.billing_a).create(
                {
                    "company_id": self.company.id,
                    "partner_id": self.customer.id,
                    "date": self.today,
                    "state": "done",
                }
            )
        with self.assertRaises(AccessError):
            self.customer.with_user(self.billing_a).write({"credit_dunning_handed_over": True})

    def test_a_customer_is_not_slipped_under_a_handed_over_entity(self):
        """A salesperson (who may edit contacts) files an individual customer overdue 40 days
        (under the 60-day threshold, no own limit, not on hold: ``_credit_check_move`` lets it
        go) under an entity already handed over. Held: an invoice keeps the commercial entity it
        was posted with (``account.move.commercial_partner_id`` depends on ``partner_id`` only),
        and the run goes by the invoice's."""
        handed_over = self.env["res.partner"].create({"name": "Handed Over Co", "is_company": True})
        handed_over.with_company(self.company).credit_dunning_handed_over = True
        escapee = self.env["res.partner"].create({"name": "Escapee", "email": "escapee@example.com"})
        invoice = self.make_invoice(
            escapee, 300.0, invoice_date=self.today - timedelta(days=40), due=self.today - timedelta(days=40)
        )
        with contextlib.suppress(*REFUSED):
            escapee.with_user(self.sales).write({"parent_id": handed_over.id})
        self.env["credit.dunning"].sudo().with_company(self.company)._run(self.company, self.today)
        self.assertTrue(invoice.credit_dunning_level_id, "the customer's overdue invoice left the chase")
