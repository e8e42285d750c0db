"""A hostile review of the collections: promises to pay, disputes, the worklist.

``TestHostileCollections``: holes a weak user (portal customer, billing user of one
company, salesperson) gets through; each test fails on the code reviewed and passes
once the hole is closed. ``TestHostileCollectionsHeld``: doors that were tried and
held (kept as regression tests).
"""

import contextlib
from datetime import timedelta

from lxml import html as lxml_html

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import mute_logger

from .common import CreditRiskCommon

REFUSED = (AccessError, UserError, ValidationError)


class HostileCollectionsCommon(CreditRiskCommon):
    """Company A: the customer owes 500 (due 10 days ago), another customer 80.
    Company B: the customer owes 777.77 there. Users:

    - ``portal``: a portal user, contact of the customer (company A only);
    - ``billing_a``: a billing user of company A only;
    - ``sales``: a salesperson (own documents) with the default *Contact Creation*.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.today = today = fields.Date.today()
        cls.customer.email = "customer@example.com"
        cls.collector = new_test_user(
            cls.env, login="hc_collector", groups="account.group_account_invoice", email="col@example.com"
        )
        cls.customer.credit_collector_id = cls.collector
        cls.invoice = cls.make_invoice(
            cls.customer, 500.0, invoice_date=today - timedelta(days=40), due=today - timedelta(days=10)
        )
        cls.other_customer = cls.env["res.partner"].create({"name": "Other Debtor", "is_company": True})
        cls.other_invoice = cls.make_invoice(
            cls.other_customer, 80.0, invoice_date=today - timedelta(days=40), due=today - timedelta(days=10)
        )
        cls.company_b = cls.setup_other_company(name="Hostile Collections B")["company"]
        cls.env.user.company_ids |= cls.company_b
        cls.invoice_b = cls.make_invoice(
            cls.customer,
            777.77,
            invoice_date=today - timedelta(days=40),
            due=today - timedelta(days=40),
            company=cls.company_b,
        )
        cls.portal = new_test_user(cls.env, login="hc_portal", groups="base.group_portal")
        cls.portal.partner_id.parent_id = cls.customer
        cls.billing_a = new_test_user(
            cls.env,
            login="hc_billing_a",
            groups="account.group_account_invoice,base.group_partner_manager",
            email="hc_billing@example.com",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )
        cls.sales = new_test_user(
            cls.env,
            login="hc_sales",
            groups="sales_team.group_sale_salesman,base.group_partner_manager",
            email="hc_sales@example.com",
        )
        cls.reason = cls.env.ref("credit_risk_addon.dispute_reason_damaged")

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------
    def page(self, invoice, **params):
        response = self.url_open(invoice.get_portal_url() + "".join(f"&{k}={v}" for k, v in params.items()))
        self.assertEqual(response.status_code, 200)
        return response

    def post(self, url, data, token=True):
        """POST as the logged-in user, with the CSRF token of the customer's invoice page."""
        if token:
            tree = lxml_html.fromstring(self.page(self.invoice).text)
            [csrf] = tree.xpath("//form[@name='credit_promise_form']//input[@name='csrf_token']/@value")
            data = {**data, "csrf_token": csrf}
        return self.url_open(url, data=data, allow_redirects=False)

    def promise(self, **values):
        return self.env["credit.promise"].create(
            {
                "partner_id": self.customer.id,
                "move_ids": [Command.set(self.invoice.ids)],
                "amount": 500.0,
                "promise_date": self.today + timedelta(days=3),
                **values,
            }
        )

    @contextlib.contextmanager
    def assertRefused(self):
        """Odoo's ``assertRaises`` takes no tuple: any of ``REFUSED``, in a savepoint."""
        with self.assertRaises(Exception) as caught:
            yield
        self.assertIsInstance(caught.exception, REFUSED)

    def promises(self, invoice=None):
        return self.env["credit.promise"].search([("move_ids", "in", (invoice or self.invoice).ids)])


@tagged("post_install", "-at_install")
class TestHostileCollections(HostileCollectionsCommon, HttpCase):
    # ------------------------------------------------------------------
    # Portal customer
    # ------------------------------------------------------------------
    def test_portal_promise_cannot_pause_the_dunning_for_years(self):
        """A promise's date has no upper bound: a customer promises to pay in ten years
        and the invoice gets no reminder until then (nobody has to accept the promise)."""
        self.authenticate("hc_portal", "hc_portal")
        self.post(
            f"/my/invoices/{self.invoice.id}/credit_promise",
            {"promise_date": str(self.today + timedelta(days=3650)), "amount": "500"},
        )
        self.assertFalse(self.promises(), "a promise to pay in ten years was accepted")

    def test_portal_customer_cannot_stack_promises(self):
        """Each portal promise is checked alone: a customer whose promise is due posts a
        later one, then another (the run pauses until the latest), each creating an
        activity for the collector, and together promising more than is open."""
        self.authenticate("hc_portal", "hc_portal")
        for days in (7, 30, 60):
            self.post(
                f"/my/invoices/{self.invoice.id}/credit_promise",
                {"promise_date": str(self.today + timedelta(days=days)), "amount": "500"},
            )
        open_promises = self.promises().filtered(lambda promise: promise.state == "open")
        self.assertLessEqual(len(open_promises), 1, "three open promises of 500 on an invoice of 500")

    def test_portal_nan_and_infinite_amounts_are_refused_not_a_crash(self):
        """``float()`` takes "nan", "inf" and "1e999": the amount reaches ``float_round``, which
        raises ValueError / OverflowError (not a ValidationError): an HTTP 500 and an
        error in the log for every post of a portal user."""
        self.authenticate("hc_portal", "hc_portal")
        for amount in ("nan", "inf", "-inf", "1e999"):
            for path, data in (
                ("credit_promise", {"promise_date": str(self.today + timedelta(days=3))}),
                ("credit_dispute", {"reason_id": str(self.reason.id)}),
            ):
                with self.subTest(amount=amount, path=path), mute_logger("odoo.http", "odoo.sql_db"):
                    response = self.post(f"/my/invoices/{self.invoice.id}/{path}", {**data, "amount": amount})
                    self.assertEqual(response.status_code, 303, "a server error")
                    self.assertIn("credit_error=", response.headers.get("Location", ""))
        self.assertFalse(self.promises())
        self.assertFalse(self.invoice.credit_dispute_ids)

    def test_portal_odd_reason_id_is_refused_not_a_crash(self):
        """``str.isdigit`` is true of "²" (and other non-decimal digits) that ``int`` refuses:
        an HTTP 500 and an error in the log."""
        self.authenticate("hc_portal", "hc_portal")
        with mute_logger("odoo.http"):
            response = self.post(
                f"/my/invoices/{self.invoice.id}/credit_dispute", {"reason_id": "²", "amount": "10"}
            )
        self.assertEqual(response.status_code, 303, "a server error")
        self.assertFalse(self.invoice.credit_dispute_ids)

    def test_portal_archived_reason_is_refused(self):
        """``browse().exists()`` ignores ``active``: a reason the company archived (not in
        the form's list) is still accepted from a crafted post."""
        self.reason.active = False
        self.authenticate("hc_portal", "hc_portal")
        self.post(
            f"/my/invoices/{self.invoice.id}/credit_dispute",
            {"reason_id": str(self.reason.id), "amount": "10"},
        )
        self.assertFalse(self.invoice.credit_dispute_ids, "a dispute with an archived reason")

    def test_invoice_page_shows_no_attacker_text_as_an_error(self):
        """The page prints the ``credit_error`` query parameter as a red alert: anyone
        sends a customer a link to its own invoice on the company's real domain with
        "our bank details changed, pay to ..." in it (content spoofing / phishing)."""
        self.authenticate("hc_portal", "hc_portal")
        bait = "Our bank changed: pay to IBAN XX00ATTACKER"
        response = self.page(self.invoice, credit_error=bait.replace(" ", "+"))
        tree = lxml_html.fromstring(response.text)
        shown = " ".join(node.text_content().strip() for node in tree.xpath("//div[@role='alert']"))
        self.assertNotIn("XX00ATTACKER", shown, "attacker text shown as an alert on the invoice page")

    # ------------------------------------------------------------------
    # Billing user over RPC
    # ------------------------------------------------------------------
    def test_billing_user_cannot_decide_a_promise_state(self):
        """``state`` is readonly in the views only: a billing user marks a broken promise
        kept (the worklist's stake and the customer's record improve), and creates or
        imports promises already kept."""
        promise = self.promise(promise_date=self.today)
        self.env["credit.promise"]._settle_due(self.company, self.today + timedelta(days=1))
        self.assertEqual(promise.state, "broken")
        Promise = self.env["credit.promise"].with_user(self.billing_a)
        with contextlib.suppress(*REFUSED):
            promise.with_user(self.billing_a).write({"state": "kept"})
        result = {}
        with contextlib.suppress(*REFUSED), mute_logger("odoo.sql_db"):
            result = Promise.load(
                ["partner_id/.id", "move_ids/.id", "amount", "promise_date", "state"],
                [
                    [
                        str(self.customer.id),
                        str(self.invoice.id),
                        "500",
                        str(self.today + timedelta(days=1)),
                        "kept",
                    ]
                ],
            )
        self.assertEqual(
            {
                "broken promise written kept": promise.state == "kept",
                "promise imported kept": bool(
                    Promise.browse(result.get("ids") or []).filtered(lambda p: p.state == "kept")
                ),
            },
            {"broken promise written kept": False, "promise imported kept": False},
        )

    def test_promise_terms_cannot_be_changed_after_creation(self):
        """``_check_promise`` runs on creation only (the form makes the fields readonly): over
        RPC a billing user sets the amount to zero or the open amount at promise above
        what was open, and the run marks the promise kept though nothing was paid; or moves
        it to another customer's invoice or to a date in the past."""
        changes = {
            "amount zero": {"amount": 0.0},
            "amount negative": {"amount": -100.0},
            "open at promise inflated": {"open_at_promise": 100000.0},
            "another customer's invoice": {"move_ids": [Command.set(self.other_invoice.ids)]},
            "a date in the past": {"promise_date": self.today - timedelta(days=30)},
            "a contact as customer": {"partner_id": self.contact.id},
        }
        for label, vals in changes.items():
            with self.subTest(label):
                promise = self.promise()
                written = False
                with contextlib.suppress(*REFUSED):
                    promise.with_user(self.billing_a).write(vals)
                    written = True
                promise.invalidate_recordset()
                self.env["credit.promise"]._settle_due(self.company, self.today + timedelta(days=10))
                state = promise.state
                promise.sudo().unlink()
                self.assertFalse(written, f"a billing user changed a promise ({label}); the run says {state}")

    def test_billing_user_cannot_reopen_a_resolved_dispute_of_a_paid_invoice(self):
        """``state`` of a dispute is writable over RPC and ``_check_amount`` runs on amount and
        invoice only: a resolved dispute is put back open on an invoice paid meanwhile (an
        open dispute of 200 on nothing open, counted in the worklist's disputed amount)."""
        dispute = self.env["credit.dispute"].create(
            {"move_id": self.invoice.id, "reason_id": self.reason.id, "amount": 200.0}
        )
        dispute.action_resolve()
        self.pay(self.invoice)
        self.assertEqual(self.invoice.payment_state, "paid")
        with contextlib.suppress(*REFUSED):
            dispute.with_user(self.billing_a).write({"state": "open"})
        self.assertEqual(dispute.state, "resolved", "a dispute reopened on a paid invoice")

    def test_billing_user_cannot_write_the_disputed_flag(self):
        """``account.move.credit_disputed`` is stored and computed without an inverse: a
        billing user writes it over RPC. False on a disputed invoice lets the customer
        open a second dispute from the portal; True flags an undisputed invoice as out
        of insurance cover and removes the portal's dispute form."""
        self.env["credit.dispute"].create(
            {"move_id": self.invoice.id, "reason_id": self.reason.id, "amount": 50.0}
        )
        with contextlib.suppress(*REFUSED):
            self.invoice.with_user(self.billing_a).write({"credit_disputed": False})
            self.other_invoice.with_user(self.billing_a).write({"credit_disputed": True})
        self.env.flush_all()
        self.env.invalidate_all()
        self.assertTrue(self.invoice.credit_disputed, "an open dispute no longer flags its invoice")
        self.assertFalse(self.other_invoice.credit_disputed, "an invoice flagged with no dispute")

    # ------------------------------------------------------------------
    # Salesperson over RPC
    # ------------------------------------------------------------------
    def test_salesperson_cannot_divert_the_reminders(self):
        """``credit_dunning_contact_id`` only has to be a contact of the customer: a
        salesperson (Contact Creation) adds a contact with their own address under the
        customer and makes it the dunning contact; every reminder goes to them."""
        with contextlib.suppress(*REFUSED):
            Partner = self.env["res.partner"].with_user(self.sales)
            decoy = Partner.create(
                {"name": "Accounts Payable", "parent_id": self.customer.id, "email": "hc_sales@example.com"}
            )
            self.customer.with_user(self.sales).write({"credit_dunning_contact_id": decoy.id})
        self.customer.invalidate_recordset()
        self.assertNotEqual(
            self.customer._credit_dunning_recipient().email,
            "hc_sales@example.com",
            "a salesperson receives the customer's reminders",
        )

    def test_salesperson_cannot_reassign_the_collector(self):
        """``credit_collector_id`` has no guard: a salesperson takes the customer from its
        collector (broken promises, portal disputes and reminders' activities go to them)."""
        with contextlib.suppress(*REFUSED):
            self.customer.with_user(self.sales).write({"credit_collector_id": self.sales.id})
        self.customer.invalidate_recordset()
        self.assertEqual(
            self.customer.credit_collector_id, self.collector, "a salesperson took the collection"
        )


@tagged("post_install", "-at_install")
class TestHostileCollectionsHeld(HostileCollectionsCommon, HttpCase):
    def test_portal_csrf_is_checked(self):
        self.authenticate("hc_portal", "hc_portal")
        with mute_logger("odoo.http"):
            response = self.post(
                f"/my/invoices/{self.invoice.id}/credit_promise",
                {"promise_date": str(self.today + timedelta(days=3)), "amount": "100"},
                token=False,
            )
        self.assertIn(response.status_code, (400, 403))
        self.assertFalse(self.promises())

    def test_portal_other_company_draft_and_paid_invoices_are_refused(self):
        draft = self.make_invoice(self.customer, 60.0, post=False)
        paid = self.make_invoice(self.customer, 70.0, invoice_date=self.today - timedelta(days=40))
        self.pay(paid)
        self.authenticate("hc_portal", "hc_portal")
        for invoice in (self.invoice_b, draft, paid):
            for path, data in (
                ("credit_promise", {"promise_date": str(self.today + timedelta(days=3)), "amount": "10"}),
                ("credit_dispute", {"reason_id": str(self.reason.id), "amount": "10"}),
            ):
                with self.subTest(invoice=invoice.name, path=path):
                    response = self.post(f"/my/invoices/{invoice.id}/{path}", data)
                    self.assertTrue(response.headers["Location"].endswith("/my"))
            self.assertFalse(self.promises(invoice))
            self.assertFalse(invoice.credit_dispute_ids)

    def test_portal_bad_values_are_refused(self):
        self.authenticate("hc_portal", "hc_portal")
        url = f"/my/invoices/{self.invoice.id}/credit_promise"
        for date, amount in (
            ("2026-13-45", "10"),
            ("yesterday", "10"),
            (str(self.today + timedelta(days=3)), "-10"),
            (str(self.today + timedelta(days=3)), "1e300"),
            (str(self.today + timedelta(days=3)), "0.001"),
        ):
            with self.subTest(date=date, amount=amount):
                response = self.post(url, {"promise_date": date, "amount": amount})
                self.assertIn("credit_error=", response.headers["Location"])
        url = f"/my/invoices/{self.invoice.id}/credit_dispute"
        for reason, amount in (
            ("999999999", "10"),
            ("99999999999999999999", "10"),
            (str(self.reason.id), "-1"),
        ):
            with self.subTest(reason=reason, amount=amount):
                response = self.post(url, {"reason_id": reason, "amount": amount})
                self.assertIn("credit_error=", response.headers["Location"])
        self.assertFalse(self.promises())
        self.assertFalse(self.invoice.credit_dispute_ids)

    def test_portal_big_note_is_cut_and_company_customer_are_the_servers(self):
        self.authenticate("hc_portal", "hc_portal")
        self.post(
            f"/my/invoices/{self.invoice.id}/credit_dispute",
            {"reason_id": str(self.reason.id), "amount": "10", "note": "x" * 1_000_000, "company_id": "999"},
        )
        dispute = self.invoice.credit_dispute_ids
        self.assertEqual(len(dispute.note), 2000)
        self.assertEqual(
            (dispute.company_id, dispute.partner_id, dispute.source), (self.company, self.customer, "portal")
        )

    def test_billing_user_of_a_does_nothing_in_company_b(self):
        Dispute = self.env["credit.dispute"].with_user(self.billing_a)
        Promise = self.env["credit.promise"].with_user(self.billing_a)
        with self.assertRefused():
            Dispute.create({"move_id": self.invoice_b.id, "reason_id": self.reason.id, "amount": 10.0})
        with self.assertRefused():
            Promise.create(
                {
                    "partner_id": self.customer.id,
                    "company_id": self.company_b.id,
                    "move_ids": [Command.set(self.invoice_b.ids)],
                    "amount": 10.0,
                    "promise_date": self.today + timedelta(days=3),
                }
            )
        with self.assertRefused():
            Promise.with_context(allowed_company_ids=[self.company.id, self.company_b.id]).create(
                {
                    "partner_id": self.customer.id,
                    "company_id": self.company_b.id,
                    "move_ids": [Command.set(self.invoice_b.ids)],
                    "amount": 10.0,
                    "promise_date": self.today + timedelta(days=3),
                }
            )
        dispute = self.env["credit.dispute"].create(
            {"move_id": self.invoice.id, "reason_id": self.reason.id, "amount": 10.0}
        )
        with self.assertRefused():
            dispute.with_user(self.billing_a).write({"move_id": self.invoice_b.id})
        # The worklist line of company B: neither read nor acted on.
        self.env.flush_all()
        line_b = (
            self.env["credit.collection.worklist"]
            .with_company(self.company_b)
            .search([("company_id", "=", self.company_b.id), ("partner_id", "=", self.customer.id)])
        )
        self.assertTrue(line_b)
        with self.assertRaises(AccessError):
            line_b.with_user(self.billing_a).action_send_reminder()
        self.assertFalse(self.env["credit.dunning.history"].search([("company_id", "=", self.company_b.id)]))

    def test_salesperson_has_no_collections(self):
        Worklist = self.env["credit.collection.worklist"].with_user(self.sales)
        for call in (
            lambda: Worklist.search([]),
            lambda: Worklist.read_group([], ["overdue:sum"], ["partner_id"]),
            lambda: self.env["credit.promise"].with_user(self.sales).search([]),
            lambda: self.env["credit.dispute"].with_user(self.sales).search([]),
            lambda: self.promise().with_user(self.sales).write({"state": "kept"}),
        ):
            with self.assertRaises(AccessError):
                call()
        with self.assertRefused():
            self.env["credit.dispute"].with_user(self.sales).create(
                {"move_id": self.invoice.id, "reason_id": self.reason.id, "amount": 10.0}
            )

    def test_portal_name_is_no_markup_in_the_collectors_activity(self):
        self.portal.partner_id.name = '<img src=x onerror="alert(1)">'
        self.authenticate("hc_portal", "hc_portal")
        self.post(
            f"/my/invoices/{self.invoice.id}/credit_promise",
            {"promise_date": str(self.today + timedelta(days=3)), "amount": "100"},
        )
        activity = self.customer.activity_ids.filtered(
            lambda a: a.summary == "Promise to pay from the portal"
        )
        self.assertTrue(activity)
        self.assertNotIn("onerror", str(activity.note))

    def test_promise_of_a_contact_is_the_customers(self):
        promise = (
            self.env["credit.promise"]
            .with_user(self.billing_a)
            .create(
                {
                    "partner_id": self.contact.id,
                    "move_ids": [Command.set(self.invoice.ids)],
                    "amount": 100.0,
                    "promise_date": self.today + timedelta(days=3),
                }
            )
        )
        self.assertEqual(promise.partner_id, self.customer)

    def test_dunning_honours_disputes_and_promises_on_installments(self):
        term = self.env["account.payment.term"].create(
            {
                "name": "Two halves",
                "line_ids": [
                    Command.create({"value": "percent", "value_amount": 50.0, "nb_days": 0}),
                    Command.create({"value": "percent", "value_amount": 50.0, "nb_days": 30}),
                ],
            }
        )
        other = self.env["res.partner"].create(
            {"name": "Installments", "is_company": True, "email": "i@example.com"}
        )
        move = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": other.id,
                "invoice_date": self.today - timedelta(days=70),
                "invoice_payment_term_id": term.id,
                "invoice_line_ids": [Command.create({"name": "Goods", "quantity": 1, "price_unit": 1000.0})],
            }
        )
        move.action_post()
        Dunning = self.env["credit.dunning"]
        self.assertTrue(Dunning._plan(self.company, self.today, other.ids), "the invoice is due a step")
        dispute = self.env["credit.dispute"].create(
            {"move_id": move.id, "reason_id": self.reason.id, "amount": 10.0}
        )
        self.assertFalse(Dunning._plan(self.company, self.today, other.ids))
        dispute.action_resolve()
        self.env["credit.promise"].create(
            {
                "partner_id": other.id,
                "move_ids": [Command.set(move.ids)],
                "amount": 100.0,
                "promise_date": self.today + timedelta(days=3),
            }
        )
        self.assertFalse(Dunning._plan(self.company, self.today, other.ids))
