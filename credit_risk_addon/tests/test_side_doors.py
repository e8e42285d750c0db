"""Every door to a confirmed order, tried as the weakest user who could try it.

Each test plays a caller of JSON-RPC / XML-RPC (``with_user``, ``load``,
``web_save``), an importer, a portal customer or a link holder, never the
superuser, and asserts that the gate holds and that nothing leaks or is lost.
"""

import json
from datetime import datetime, timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, RedirectWarning, UserError, ValidationError
from odoo.tests import HttpCase, new_test_user, tagged

from .common import TODAY, CreditRiskCommon

# A 1x1 PNG, as the portal's signature pad sends it (base64).
SIGNATURE = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="


class SideDoorsCommon(CreditRiskCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.held = cls.env["res.partner"].create({"name": "Held Customer", "is_company": True})
        cls.held._credit_set_hold(True, "Cheque returned")
        cls.contact_user = new_test_user(
            cls.env, login="credit_contact_creator", groups="base.group_user,base.group_partner_manager"
        )
        cls.accountant = new_test_user(
            cls.env, login="credit_door_accountant", groups="account.group_account_invoice"
        )

    def order_vals(self, partner, amount, **extra):
        return {
            "partner_id": partner.id,
            "user_id": self.salesman.id,
            "order_line": [
                Command.create(
                    {"product_id": self.product.id, "product_uom_qty": 1, "price_unit": amount, "tax_id": []}
                )
            ],
            **extra,
        }

    def as_salesman(self, records):
        return records.with_user(self.salesman)

    def ask(self, order):
        """The salesperson asks for approval of ``order``, as the request form does over RPC."""
        return (
            self.env["credit.approval.request"]
            .with_user(self.salesman)
            .create({"order_id": order.id, "request_note": "Please"})
        )


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestSideDoors(SideDoorsCommon):
    # ------------------------------------------------------------------
    # Every way to a confirmed order goes through the gate
    # ------------------------------------------------------------------
    def test_writing_the_state_confirms_through_the_gate(self):
        order = self.make_order(self.held, 100.0, user=self.salesman)
        with self.assertRaises(RedirectWarning):
            self.as_salesman(order).write({"state": "sale"})
        self.assertEqual(order.state, "draft")
        with self.assertRaises(RedirectWarning):
            self.as_salesman(order).web_save({"state": "sale"}, {})
        self.assertEqual(order.state, "draft")
        # A cancelled order is not brought back to life by a write either.
        order._action_cancel()
        with self.assertRaises(UserError):
            self.as_salesman(order).write({"state": "sale"})
        self.assertEqual(order.state, "cancel")
        # A passing order written to "sale" is confirmed for real (and logged).
        fine = self.make_order(self.customer, 100.0, user=self.salesman)
        self.as_salesman(fine).write({"state": "sale"})
        self.assertEqual(fine.state, "sale")

    def test_creating_a_confirmed_order_goes_through_the_gate(self):
        Order = self.env["sale.order"].with_user(self.salesman)
        with self.assertRaises(RedirectWarning):
            Order.create(self.order_vals(self.held, 100.0, state="sale"))
        self.assertFalse(self.env["sale.order"].search([("partner_id", "=", self.held.id)]))

    def test_an_import_cannot_confirm_a_blocked_order(self):
        order = self.make_order(self.held, 100.0, user=self.salesman)
        result = (
            self.env["sale.order"]
            .with_user(self.salesman)
            .load(["id", "state"], [[order._export_rows([["id"]])[0][0], "sale"]])
        )
        self.assertFalse(result["ids"])
        self.assertTrue(any(message["type"] == "error" for message in result["messages"]))
        self.assertEqual(order.state, "draft")

    def test_a_confirmed_order_that_grows_is_judged_again(self):
        self.make_invoice(self.customer, 8000.0)
        order = self.make_order(self.customer, 1500.0, user=self.salesman, confirm=True)
        self.assertEqual(order.state, "sale")
        # Raising the price by 1,000 would take the customer over: refused, nothing written.
        with self.assertRaises(RedirectWarning) as caught:
            self.as_salesman(order).write(
                {"order_line": [Command.update(order.order_line.id, {"price_unit": 2500.0})]}
            )
        self.assertIn("cannot grow", caught.exception.args[0])
        self.assertEqual(caught.exception.args[3]["default_requested_amount"], 2500.0)
        self.assertEqual(order.order_line.price_unit, 1500.0)
        # Adding a line or raising a quantity: the same door.
        with self.assertRaises(RedirectWarning):
            self.as_salesman(order.order_line).write({"product_uom_qty": 3})
        with self.assertRaises(RedirectWarning):
            self.as_salesman(self.env["sale.order.line"]).create(
                {"order_id": order.id, "product_id": self.product.id, "price_unit": 900.0, "tax_id": []}
            )
        # Lowering is always allowed.
        self.as_salesman(order.order_line).write({"price_unit": 1000.0})
        self.assertEqual(order.order_line.price_unit, 1000.0)
        # Moving the order to a customer on hold is a new credit for that customer.
        with self.assertRaises(RedirectWarning):
            self.as_salesman(order).write({"partner_invoice_id": self.held.id})

    def test_a_manager_can_approve_the_growth(self):
        self.make_invoice(self.customer, 8000.0)
        order = self.make_order(self.customer, 1500.0, user=self.salesman, confirm=True)
        wizard = (
            self.env["credit.approval.request.wizard"]
            .with_user(self.salesman)
            .create(
                {"order_ids": [Command.set(order.ids)], "note": "Extra pallets", "requested_amount": 2500.0}
            )
        )
        wizard.action_request()
        request = order.sudo().credit_approval_ids
        self.assertEqual(request.order_amount, 2500.0)
        request.with_user(self.credit_manager)._approve(2500.0, TODAY, "Fine")
        self.as_salesman(order.order_line).write({"price_unit": 2500.0})
        self.assertEqual(order.order_line.price_unit, 2500.0)
        with self.assertRaises(RedirectWarning):  # beyond what was approved
            self.as_salesman(order.order_line).write({"price_unit": 2600.0})

    def test_the_gate_reads_what_the_server_computes(self):
        self.make_invoice(self.customer, 9000.0)
        order = self.make_order(self.customer, 2000.0, user=self.salesman)
        for vals in ({"amount_total": 1.0}, {"currency_rate": 1000.0}):
            with self.subTest(vals=vals), self.assertRaises(UserError):
                self.as_salesman(order).write(vals)
        with self.assertRaises(UserError):
            self.as_salesman(order.order_line).write({"price_total": 1.0})
        with self.assertRaises(RedirectWarning):
            self.as_salesman(order).action_confirm()

    def test_the_clients_time_zone_changes_nothing(self):
        # 60 days overdue is allowed, 61 is not: late in the evening (UTC, the
        # company's zone), a client claiming to be in UTC+14 is already "tomorrow".
        self.make_invoice(self.customer, 100.0, due=TODAY - timedelta(days=60))
        order = self.make_order(self.customer, 100.0, user=self.salesman)
        with freeze_time(datetime(2026, 3, 15, 23, 0)):
            self.assertIs(
                self.as_salesman(order).with_context(tz="Pacific/Kiritimati").action_confirm(), True
            )

    def test_a_negative_order_makes_no_room_in_a_batch(self):
        self.make_invoice(self.customer, 9000.0)
        refund = self.make_order(self.customer, -5000.0, user=self.salesman)
        big = self.make_order(self.customer, 3000.0, user=self.salesman)
        with self.assertRaises(RedirectWarning) as caught:
            self.as_salesman(refund | big).action_confirm()
        self.assertIn(big.name, caught.exception.args[0])

    def test_exposure_counts_every_obligation(self):
        delivery = self._create_product(
            name="Delivered Crate", lst_price=100.0, taxes_id=[Command.clear()], invoice_policy="delivery"
        )
        self.make_order(self.customer, 4000.0, product=delivery, confirm=True)
        self.assertAlmostEqual(self.figures(self.customer).credit_orders_to_invoice, 4000.0)
        self.make_invoice(self.customer, 1000.0, post=False)
        self.make_invoice(self.customer, 3000.0, post=False, move_type="out_refund")
        self.assertAlmostEqual(self.figures(self.customer).credit_exposure, 5000.0)

    def test_the_debtor_is_the_invoice_address(self):
        order = self.make_order(self.customer, 100.0, user=self.salesman, partner_invoice_id=self.held.id)
        self.assertEqual(order.credit_gate_status, "block")
        with self.assertRaises(RedirectWarning) as caught:
            self.as_salesman(order).action_confirm()
        self.assertIn("Held Customer", caught.exception.args[0])

    def test_only_done_payments_of_the_share_exempt(self):
        self.make_invoice(self.customer, 10000.0)
        provider = self.env["payment.provider"].create({"name": "Test", "state": "test", "code": "none"})
        method = self.env.ref("payment.payment_method_unknown")
        order = self.make_order(self.customer, 500.0, require_payment=True, prepayment_percent=0.01)

        def pay(amount, state, reference):
            tx = self.env["payment.transaction"].create(
                {
                    "provider_id": provider.id,
                    "payment_method_id": method.id,
                    "amount": amount,
                    "currency_id": order.currency_id.id,
                    "partner_id": self.customer.id,
                    "reference": reference,
                    "sale_order_ids": [Command.set(order.ids)],
                    "state": "done",
                }
            )
            if state != "done":
                # As a provider that authorizes first would leave it.
                self.env.cr.execute("UPDATE payment_transaction SET state = %s WHERE id = %s", [state, tx.id])
                tx.invalidate_recordset(["state"])
            return tx

        pay(500.0, "authorized", "CREDIT-AUTH")
        self.assertEqual(order.credit_gate_status, "block", "authorized is not paid")
        pay(5.0, "done", "CREDIT-TINY")
        order.invalidate_recordset()
        self.assertEqual(order.credit_gate_status, "block", "a tiny prepayment buys nothing")
        pay(495.0, "done", "CREDIT-REST")
        order.invalidate_recordset()
        self.assertEqual(order.credit_gate_status, "none", "paid in full: exempt")

    # ------------------------------------------------------------------
    # Approvals are bound and audited
    # ------------------------------------------------------------------
    def test_a_request_records_what_the_server_computes(self):
        self.make_invoice(self.customer, 9000.0)
        order = self.make_order(self.customer, 2000.0, user=self.salesman)
        request = (
            self.env["credit.approval.request"]
            .with_user(self.salesman)
            .create(
                {
                    "order_id": order.id,
                    "request_note": "Trust me",
                    "order_amount": 1.0,
                    "exposure": 0.0,
                    "credit_limit": 1e9,
                    "requested_by_id": self.other_salesman.id,
                    "partner_id": self.held.id,
                    "company_id": self.company.id,
                }
            )
        )
        self.assertEqual(
            (request.order_amount, request.exposure, request.credit_limit), (2000.0, 9000.0, 10000.0)
        )
        self.assertEqual((request.requested_by_id, request.partner_id), (self.salesman, self.customer))

    def test_a_request_cannot_be_changed_by_its_requester(self):
        order = self.make_order(self.held, 2000.0, user=self.salesman)
        request = self.ask(order)
        other = self.make_order(self.held, 50000.0, user=self.salesman)
        attempts = [
            lambda: request.with_user(self.salesman).write({"request_note": "Changed"}),
            lambda: request.with_user(self.salesman).write({"order_id": other.id}),
            lambda: self.as_salesman(other).write({"credit_approval_ids": [Command.link(request.id)]}),
            lambda: self.as_salesman(order).write(
                {"credit_approval_ids": [Command.update(request.id, {"order_amount": 1e6})]}
            ),
            lambda: request.with_user(self.credit_manager).write(
                {"approved_amount": 1e6, "state": "approved"}
            ),
        ]
        for index, attempt in enumerate(attempts):
            with self.subTest(attempt=index), self.assertRaises(AccessError):
                attempt()
        self.assertEqual((request.order_id, request.state, request.order_amount), (order, "pending", 2000.0))
        request.with_user(self.salesman).action_cancel()
        self.assertEqual(request.state, "cancelled")

    def test_an_approval_stops_covering_when_the_customer_changes(self):
        order = self.make_order(self.held, 2000.0, user=self.salesman)
        request = self.ask(order)
        request.with_user(self.credit_manager)._approve(2000.0, TODAY, "Fine")
        self.assertEqual(order.credit_gate_status, "approved")
        other_held = self.env["res.partner"].create({"name": "Other Held", "is_company": True})
        other_held._credit_set_hold(True, "Bankrupt")
        self.as_salesman(order).write({"partner_id": other_held.id, "partner_invoice_id": other_held.id})
        self.assertEqual(order.credit_gate_status, "block")
        with self.assertRaises(RedirectWarning):
            self.as_salesman(order).action_confirm()

    def test_deleting_an_order_keeps_its_decided_requests(self):
        order = self.make_order(self.held, 2000.0, user=self.salesman)
        request = self.ask(order)
        request.with_user(self.credit_manager)._refuse("No")
        reference = order.name
        order._action_cancel()
        order.sudo().unlink()
        self.assertTrue(request.exists())
        self.assertEqual(request.name, reference)
        self.assertEqual(request.state, "refused")
        request.sudo().write({"state": "approved", "expiry_date": TODAY - timedelta(days=1)})
        self.env["credit.approval.request"]._cron_expire_approvals()
        self.assertEqual(request.state, "expired", "the expiry job copes with a request without order")

    # ------------------------------------------------------------------
    # Who sees and changes what
    # ------------------------------------------------------------------
    def test_manager_only_fields_through_every_path(self):
        Partner = self.env["res.partner"].with_user(self.contact_user)
        attempts = {
            "context default limit": lambda: Partner.with_context(default_credit_limit=1e6).create(
                {"name": "Defaulted", "is_company": True}
            ),
            "context default hold": lambda: Partner.with_context(default_credit_hold=True).create(
                {"name": "Held by default", "is_company": True}
            ),
            "mass edit": lambda: (
                (self.customer | self.held).with_user(self.contact_user).write({"credit_limit": 1.0})
            ),
            "detach a contact of a held customer": lambda: (
                self.env["res.partner"]
                .create({"name": "Clerk", "parent_id": self.held.id})
                .with_user(self.contact_user)
                .write({"parent_id": False})
            ),
            "move a customer with its own limit": lambda: self.customer.with_user(self.contact_user).write(
                {"parent_id": self.held.id}
            ),
        }
        for name, attempt in attempts.items():
            with self.subTest(path=name), self.assertRaises(AccessError):
                attempt()
        imported = Partner.load(["name", "is_company", "credit_limit"], [["Imported Co", "1", "99999"]])
        self.assertFalse(imported["ids"])
        self.assertEqual(self.customer.sudo().credit_limit, 10000.0)
        # What a contact creator may still do: a contact under a customer
        # (which carries its company's limit, synced by Odoo).
        contact = Partner.create({"name": "New Buyer", "parent_id": self.customer.id})
        self.assertEqual(contact.sudo().credit_limit, 10000.0)

    def test_a_detached_contact_does_not_keep_a_limit_nobody_set(self):
        contact = self.env["res.partner"].create({"name": "Branch", "parent_id": self.customer.id})
        self.assertEqual(contact.sudo().credit_limit, 10000.0)
        contact.with_user(self.credit_manager).write({"parent_id": False, "is_company": True})
        self.assertEqual(contact.sudo().credit_limit, 0.0)

    def test_a_figure_one_may_not_read_is_not_searchable(self):
        Partner = self.env["res.partner"].with_user(self.salesman)
        for domain in ([("credit_available", "<", 0)], [("credit_overdue_amount", ">", 0)]):
            with self.subTest(domain=domain), self.assertRaises(AccessError):
                Partner.search_count(domain)
        self.assertTrue(
            self.env["res.partner"].with_user(self.accountant).search_count([("credit_exposure", ">=", 0)])
        )

    def test_portal_users_read_no_credit_field(self):
        portal = new_test_user(self.env, login="credit_door_portal", groups="base.group_portal")
        portal.partner_id.parent_id = self.held
        order = self.make_order(self.held, 100.0)
        order.message_subscribe(portal.partner_id.ids)
        seen = order.with_user(portal)
        self.assertEqual(seen.read(["amount_total"])[0]["amount_total"], 100.0)
        for name in ("credit_gate_status", "credit_gate_limit", "credit_gate_exposure"):
            with self.subTest(field=name), self.assertRaises(AccessError):
                seen.read([name])
        self.assertEqual(seen.partner_credit_warning, "")
        with self.assertRaises(AccessError):
            self.held.with_user(portal).read(["credit_hold_reason"])

    def test_every_typed_value_gets_a_clear_error(self):
        cases = [
            (lambda: self.customer.write({"credit_limit": float("nan")}), ValidationError),
            (lambda: self.customer.write({"credit_limit": float("inf")}), ValidationError),
            (lambda: self.customer.write({"credit_limit": 1e20}), ValidationError),
            (lambda: self.customer._credit_set_hold(True, "   "), ValidationError),
            (lambda: self.customer._credit_set_hold(True, "x" * 5000), ValidationError),
            (lambda: self.company.write({"credit_overdue_days": -1}), ValidationError),
            (lambda: self.company.write({"credit_overdue_days": 10**6}), ValidationError),
            (lambda: self.company.write({"credit_online_payment_share": 0.0}), ValidationError),
            (lambda: self.company.write({"credit_online_payment_share": 150.0}), ValidationError),
            (
                lambda: (
                    self.env["res.partner"]
                    .with_user(self.salesman)
                    .search([("credit_exposure", ">", float("nan"))])
                ),
                AccessError,
            ),
        ]
        order = self.make_order(self.held, 100.0, user=self.salesman)
        request = self.ask(order)
        manager = request.with_user(self.credit_manager)
        cases += [
            (lambda: manager._approve(float("inf"), TODAY, "ok"), ValidationError),
            (lambda: manager._approve(100.0, TODAY + timedelta(days=365 * 50), "ok"), ValidationError),
            (lambda: manager._approve(100.0, TODAY - timedelta(days=1), "ok"), ValidationError),
        ]
        for index, (attempt, error) in enumerate(cases):
            with self.subTest(case=index), self.assertRaises(error):
                attempt()
        self.assertEqual(self.customer.sudo().credit_limit, 10000.0)
        self.assertEqual(request.state, "pending")


@tagged("post_install", "-at_install")
class TestPortalAcceptance(HttpCase):
    def test_a_blocked_quotation_accepted_on_the_portal(self):
        company = self.env.company
        company.write({"account_use_credit_limit": True, "credit_gate_mode": "block"})
        manager = new_test_user(
            self.env, login="portal_door_manager", groups="credit_risk_addon.group_credit_manager"
        )
        customer = self.env["res.partner"].create({"name": "Portal Held Co", "is_company": True})
        customer._credit_set_hold(True, "Secret internal reason")
        customer.credit_limit = 777.0
        product = self.env["product.product"].create({"name": "Crate", "list_price": 10.0})
        order = self.env["sale.order"].create(
            {
                "partner_id": customer.id,
                "require_signature": True,
                "require_payment": False,
                "order_line": [Command.create({"product_id": product.id})],
            }
        )
        order.action_quotation_sent()
        # A visitor holding the link (no login at all).
        payload = {
            "jsonrpc": "2.0",
            "method": "call",
            "id": 1,
            "params": {
                "access_token": order._portal_ensure_token(),
                "name": "Pat Buyer",
                "signature": SIGNATURE,
            },
        }
        response = self.url_open(
            f"/my/orders/{order.id}/accept",
            data=json.dumps(payload),
            headers={"Content-Type": "application/json"},
        )
        text = response.text
        for secret in ("Secret internal reason", "777", "credit hold", "exceeds"):
            self.assertNotIn(secret, text)
        self.assertNotIn("error", response.json())
        self.assertEqual(order.state, "sent")
        self.assertEqual(order.signed_by, "Pat Buyer", "the signature is kept")
        self.assertTrue(order.credit_review_pending)
        self.assertTrue(order.activity_ids.filtered(lambda activity: activity.user_id == manager))
        page = self.url_open(order.get_portal_url())
        self.assertIn("reviewed by our credit department", page.text)
        self.assertNotIn("Secret internal reason", page.text)


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestHostileFindings(SideDoorsCommon):
    """What a hostile review found beyond the issue's list, each closed and kept closed."""

    def test_relinking_invoice_lines_frees_no_credit(self):
        invoice = self.make_invoice(self.customer, 8000.0)
        order = self.make_order(self.customer, 1000.0, user=self.salesman, confirm=True)
        with self.assertRaises(UserError):
            self.as_salesman(order.order_line).write(
                {"invoice_lines": [Command.set(invoice.invoice_line_ids.ids)]}
            )
        with self.assertRaises(UserError):
            invoice.invoice_line_ids.with_user(self.accountant).write(
                {"sale_line_ids": [Command.link(order.order_line.id)]}
            )
        # Even linked by the server, an invoice of another debtor bills nothing of the order.
        other = self.make_invoice(self.held, 5000.0)
        other.invoice_line_ids.sudo().write({"sale_line_ids": [Command.link(order.order_line.id)]})
        self.assertAlmostEqual(self.figures(self.customer).credit_exposure, 9000.0)

    def test_moving_a_line_into_a_confirmed_order_is_judged(self):
        self.make_invoice(self.customer, 8000.0)
        order = self.make_order(self.customer, 1000.0, user=self.salesman, confirm=True)
        other = self.env["res.partner"].create({"name": "Other Co", "is_company": True})
        quote = self.make_order(other, 6000.0, user=self.salesman)
        with self.assertRaises(RedirectWarning):
            self.as_salesman(quote.order_line).write({"order_id": order.id})
        with self.assertRaises(RedirectWarning):
            self.as_salesman(order).write({"order_line": [Command.link(quote.order_line.id)]})
        self.assertEqual(order.order_line.price_unit, 1000.0)

    def test_removing_a_negative_line_is_judged(self):
        self.make_invoice(self.customer, 8000.0)
        order = self.make_order(self.customer, 1000.0, user=self.salesman, confirm=True)
        self.as_salesman(order).write(
            {
                "order_line": [
                    Command.create({"product_id": self.product.id, "price_unit": 6000.0, "tax_id": []}),
                    Command.create(
                        {
                            "product_id": self.product.id,
                            "price_unit": -6000.0,
                            "tax_id": [],
                            "is_downpayment": True,
                        }
                    ),
                ]
            }
        )
        negative = order.order_line.filtered(lambda line: line.price_unit < 0)
        with self.assertRaises(RedirectWarning):
            self.as_salesman(negative).unlink()
        self.assertTrue(negative.exists())

    def test_the_commercial_entity_and_the_companys_time_zone_are_not_a_clients(self):
        clean = self.env["res.partner"].create({"name": "Clean Co", "is_company": True})
        with self.assertRaises(AccessError):
            self.held.with_user(self.contact_user).write({"commercial_partner_id": clean.id})
        self.assertEqual(self.held.commercial_partner_id, self.held)
        with self.assertRaises(AccessError):
            self.company.partner_id.with_user(self.contact_user).write({"tz": "America/Adak"})

    def test_the_order_date_picks_no_rate(self):
        foreign = self.setup_other_currency("EUR", rates=[("2000-01-01", 1000.0), ("2026-01-01", 1.0)])
        pricelist = self.env["product.pricelist"].create({"name": "EUR", "currency_id": foreign.id})
        self.make_invoice(self.customer, 9000.0)
        quote = self.make_order(self.customer, 5000.0, user=self.salesman, pricelist_id=pricelist.id)
        self.as_salesman(quote).write({"date_order": "2000-06-01 00:00:00"})
        with self.assertRaises(RedirectWarning):
            self.as_salesman(quote).action_confirm()

    def test_a_down_payment_drafted_on_a_quotation_counts(self):
        quote = self.make_order(self.customer, 9000.0, user=self.salesman)
        wizard = (
            self.env["sale.advance.payment.inv"]
            .with_user(self.salesman)
            .with_context(active_model="sale.order", active_ids=quote.ids)
            .create(
                {
                    "advance_payment_method": "fixed",
                    "fixed_amount": 9000.0,
                    "sale_order_ids": [Command.set(quote.ids)],
                }
            )
        )
        wizard.create_invoices()
        self.assertAlmostEqual(self.figures(self.customer).credit_draft_invoices, 9000.0)
        other = self.make_order(self.customer, 5000.0, user=self.salesman)
        with self.assertRaises(RedirectWarning):
            self.as_salesman(other).action_confirm()

    def test_no_contact_leaves_a_customer_with_a_limit(self):
        contact = self.env["res.partner"].create({"name": "Buyer", "parent_id": self.customer.id})
        for vals in ({"parent_id": False}, {"is_company": True}):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                contact.with_user(self.contact_user).write(vals)
        self.assertEqual(contact.commercial_partner_id, self.customer)

    def test_the_requester_cannot_silence_the_managers(self):
        order = self.make_order(self.held, 100.0, user=self.salesman)
        request = self.ask(order)
        activities = request.sudo().activity_ids
        self.assertTrue(activities)
        attempts = [
            lambda: request.with_user(self.salesman).write(
                {"activity_ids": [Command.delete(activity.id) for activity in activities]}
            ),
            lambda: activities.with_user(self.salesman).action_feedback(feedback="done"),
            lambda: request.with_user(self.salesman).write(
                {
                    "message_ids": [
                        Command.create({"body": "Approved", "author_id": self.credit_manager.partner_id.id})
                    ]
                }
            ),
        ]
        for index, attempt in enumerate(attempts):
            with self.subTest(attempt=index), self.assertRaises(AccessError):
                attempt()
        self.assertEqual(request.sudo().activity_ids, activities)

    def test_portal_users_search_no_credit_figure(self):
        portal = new_test_user(self.env, login="credit_hostile_portal", groups="base.group_portal")
        portal.partner_id.parent_id = self.customer
        invoice = self.make_invoice(self.customer, 100.0)
        with self.assertRaises(AccessError):
            self.env["res.partner"].with_user(portal).search_count([("days_sales_outstanding", ">", 10)])
        with self.assertRaises(AccessError):
            invoice.with_user(portal).read(["credit_days_overdue"])
        with self.assertRaises(UserError):
            self.make_order(self.customer, 1.0, user=self.salesman).with_user(self.salesman).write(
                {"credit_review_pending": True}
            )

    def test_malformed_values_get_clear_errors(self):
        order = self.make_order(self.held, 100.0, user=self.salesman)
        Request = self.env["credit.approval.request"].with_user(self.salesman)
        cases = [
            (lambda: Request.create({"order_id": order.id, "request_note": 123}), ValidationError),
            (lambda: Request.create({"order_id": "abc", "request_note": "x"}), UserError),
            (
                lambda: (
                    self.env["res.partner"]
                    .with_user(self.accountant)
                    .search_count([("credit_exposure", "=", True)])
                ),
                ValidationError,
            ),
            (
                lambda: (
                    self.env["credit.approval.request.wizard"]
                    .with_user(self.salesman)
                    .create(
                        {"order_ids": [Command.set(order.ids)], "note": "x", "requested_amount": float("nan")}
                    )
                ),
                ValidationError,
            ),
        ]
        request = Request.create({"order_id": order.id, "request_note": "Please"})
        Decide = self.env["credit.approval.decide.wizard"].with_user(self.credit_manager)
        cases += [
            (
                lambda: Decide.create({"request_id": request.id, "note": "x", "approved_amount": "abc"}),
                ValidationError,
            ),
            (
                lambda: Decide.create({"request_id": request.id, "note": "x", "expiry_date": "not a date"}),
                ValidationError,
            ),
        ]
        for index, (attempt, error) in enumerate(cases):
            with self.subTest(case=index), self.assertRaises(error):
                attempt()
