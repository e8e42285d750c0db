"""Each role's day: what a salesperson, a credit user, a credit manager and an
accountant meet in a day of work, as those users (never as the superuser)."""

import json
from datetime import timedelta

from freezegun import freeze_time

from odoo import Command, fields
from odoo.exceptions import RedirectWarning, UserError
from odoo.tests import Form, HttpCase, new_test_user, tagged

from .common import TODAY, CreditRiskCommon


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestRoleDay(CreditRiskCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.make_invoice(cls.customer, 9000.0)
        cls.order = cls.make_order(cls.customer, 2000.0, user=cls.salesman)
        cls.accountant = new_test_user(
            cls.env, login="credit_accountant", groups="account.group_account_invoice", email="a@example.com"
        )
        # A credit manager with no Sales rights and no email address.
        cls.bare_manager = new_test_user(
            cls.env, login="credit_bare_manager", groups="credit_risk_addon.group_credit_manager"
        )
        cls.bare_manager.partner_id.email = False

    def request(self, order=None, user=None, note="Customer pays on Friday"):
        user = user or self.salesman
        wizard = (
            self.env["credit.approval.request.wizard"]
            .with_user(user)
            .create({"order_ids": [Command.set((order or self.order).ids)], "note": note})
        )
        wizard.action_request()
        return (order or self.order).sudo().credit_approval_ids[:1]

    def approve(self, request, amount=2500.0, user=None):
        request.with_user(user or self.credit_manager)._approve(
            amount, TODAY + timedelta(days=5), "Known payer"
        )

    # ------------------------------------------------------------------
    # Salesperson
    # ------------------------------------------------------------------
    def test_live_panel_follows_the_approval_while_editing(self):
        self.approve(self.request())
        with Form(self.order.with_user(self.salesman)) as form:
            self.assertEqual(form.credit_gate_status, "approved")
            with form.order_line.edit(0) as line:
                line.price_unit = 1500.0  # lowered: still covered
            self.assertEqual(form.credit_gate_status, "approved")
            self.assertAlmostEqual(form.credit_gate_approved_amount, 2500.0)
            self.assertEqual(fields.Date.to_date(form.credit_gate_approval_expiry), TODAY + timedelta(days=5))
            self.assertIn("up to", form.partner_credit_warning)
            with form.order_line.edit(0) as line:
                line.price_unit = 2600.0  # above what was approved
            self.assertEqual(form.credit_gate_status, "block")
            self.assertIn("above the approved amount", form.partner_credit_warning)
            with form.order_line.edit(0) as line:
                line.price_unit = 2400.0
        self.assertEqual(self.order.credit_gate_status, "approved")
        self.assertIs(self.order.with_user(self.salesman).action_confirm(), True)

    def test_pending_request_is_shown_as_pending(self):
        self.assertEqual(self.order.credit_gate_status, "block")
        self.request()
        self.order.invalidate_recordset()
        self.assertEqual(self.order.credit_gate_status, "pending")
        self.assertIn("waiting for a credit manager", self.order.partner_credit_warning)
        self.assertNotIn("use Request Credit Approval", self.order.partner_credit_warning)
        # Confirming tells it is pending and offers no second request.
        with self.assertRaises(UserError) as caught:
            self.order.with_user(self.salesman).action_confirm()
        self.assertNotIsInstance(caught.exception, RedirectWarning)
        self.assertIn("waiting for a credit manager", str(caught.exception))

    def test_warn_mode_leaves_a_trace_on_the_order(self):
        self.company.credit_gate_mode = "warn"
        self.assertIs(self.order.with_user(self.salesman).action_confirm(), True)
        notes = self.order.message_ids.mapped("body")
        self.assertTrue(any("despite a credit warning" in body and "credit limit" in body for body in notes))
        other = self.env["res.partner"].create({"name": "Unlimited Customer", "is_company": True})
        within = self.make_order(other, 5000.0, user=self.salesman)
        within.with_user(self.salesman).action_confirm()
        self.assertFalse(
            any("despite a credit warning" in body for body in within.message_ids.mapped("body"))
        )

    def test_confirm_several_from_the_quotation_list(self):
        action = self.env.ref("credit_risk_addon.action_sale_order_confirm_selected")
        self.assertEqual(action.binding_model_id.model, "sale.order")
        self.assertEqual(action.binding_view_types, "list")
        small = self.make_order(self.customer, 500.0, user=self.salesman)
        smaller = self.make_order(self.customer, 400.0, user=self.salesman)
        run = action.with_user(self.salesman).with_context(
            active_model="sale.order", active_ids=(small | smaller).ids
        )
        run.run()
        self.assertEqual((small | smaller).mapped("state"), ["sale", "sale"])
        # Together with the first order the customer goes over: refused, named.
        with self.assertRaises(RedirectWarning) as caught:
            action.with_user(self.salesman).with_context(
                active_model="sale.order", active_ids=self.order.ids
            ).run()
        self.assertIn(self.order.name, caught.exception.args[0])
        self.assertEqual(self.order.state, "draft")

    def test_confirmed_orders_show_no_credit_check(self):
        order = self.make_order(self.customer, 100.0, confirm=True)
        self.assertEqual(order.credit_gate_status, "none")
        arch = self.env["sale.order"].get_view(self.env.ref("sale.view_quotation_tree").id, "list")["arch"]
        self.assertIn("credit_gate_status == 'none'", arch)

    def test_refusal_banner_is_red(self):
        self.assertEqual(self.order.credit_gate_status, "block")
        arch = self.env["sale.order"].get_view(self.env.ref("sale.view_order_form").id, "form")["arch"]
        self.assertRegex(
            arch, r"alert-danger[^>]*credit_refusal_banner|credit_refusal_banner[^>]*alert-danger"
        )

    # ------------------------------------------------------------------
    # Credit manager and credit user
    # ------------------------------------------------------------------
    def test_managers_get_a_todo_and_the_requester_is_notified(self):
        request = self.request()
        todo = self.env.ref("mail.mail_activity_data_todo")
        activity = request.activity_ids.filtered(lambda a: a.user_id == self.credit_manager)
        self.assertEqual(activity.activity_type_id, todo)
        self.salesman.notification_type = "inbox"
        self.approve(request)
        self.assertFalse(request.activity_ids, "the to-do is done once decided")
        notified = self.env["mail.notification"].search(
            [
                ("res_partner_id", "=", self.salesman.partner_id.id),
                ("mail_message_id.model", "=", "credit.approval.request"),
                ("mail_message_id.res_id", "=", request.id),
            ]
        )
        self.assertEqual(notified.notification_type, "inbox")
        self.assertIn("approved", notified.mail_message_id.body)

    def test_manager_without_email_puts_on_hold(self):
        self.customer.with_user(self.bare_manager)._credit_set_hold(True, "Bank guarantee expired")
        self.assertTrue(self.customer.sudo().credit_hold)
        self.assertIn("Bank guarantee expired", self.customer.message_ids[0].body)
        self.customer.with_user(self.bare_manager)._credit_set_hold(False, "Guarantee renewed")
        self.assertFalse(self.customer.sudo().credit_hold)

    def test_credit_groups_open_the_order_of_a_request(self):
        request = self.request()
        for user in (self.credit_user, self.bare_manager):
            with self.subTest(user=user.login):
                seen = request.with_user(user)
                self.assertEqual(seen.order_id.with_user(user).read(["name"])[0]["name"], self.order.name)
                form = self.env["sale.order"].with_user(user).get_views([(False, "form")])
                self.assertIn("sale.order", form["models"])

    def test_credit_user_has_menus_for_the_job(self):
        visible = self.env["ir.ui.menu"].with_user(self.credit_user)._visible_menu_ids()
        for xmlid in (
            "credit_risk_addon.menu_credit_exposure_report",
            "credit_risk_addon.menu_credit_approval_request_accounting",
            "account.menu_account_customer",
        ):
            with self.subTest(menu=xmlid):
                self.assertIn(self.env.ref(xmlid).id, visible)
        rows = self.env["credit.exposure.report"].with_user(self.credit_user).search([])
        self.assertIn(self.customer, rows.partner_id)

    def test_limit_is_edited_on_the_credit_tab_by_managers_only(self):
        with Form(self.customer.with_user(self.credit_manager)) as form:
            form.credit_limit = 12000.0
        self.assertEqual(self.customer.sudo().credit_limit, 12000.0)
        for user in (self.accountant, self.credit_user):
            with self.subTest(user=user.login):
                partner = self.customer.with_user(user)
                self.assertFalse(partner.credit_can_edit_limit)
                with Form(partner) as form, self.assertRaises(AssertionError):
                    form.credit_limit = 99999.0
        self.assertEqual(self.customer.sudo().credit_limit, 12000.0)

    def test_no_limit_shows_no_available_credit(self):
        self.customer.credit_limit = 0.0
        row = self.env["credit.exposure.report"].search([("partner_id", "=", self.customer.id)])
        self.assertFalse(row.available)
        arch = self.env["res.partner"].get_view(self.env.ref("base.view_partner_form").id, "form")["arch"]
        self.assertRegex(arch, r'name="credit_available"[^>]*invisible="not credit_limit"')

    def test_blocking_reasons_in_the_readers_language(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(["credit_risk_addon"], ["zh_CN"], overwrite=True)
        request = self.request()
        english = request.with_context(lang="en_US").blocking_reasons
        chinese = request.with_context(lang="zh_CN").blocking_reasons
        self.assertIn("exceeds the credit limit", english)
        self.assertNotIn("exceeds the credit limit", chinese)
        self.assertIn("1,000.00", chinese)
        self.assertIn(self.order.name, request.with_context(lang="zh_CN").display_name)

    def test_approval_queue(self):
        request = self.request(note="Pays every Friday since 2019")
        views = (
            self.env["credit.approval.request"]
            .with_user(self.credit_manager)
            .get_views([(False, "list"), (False, "search")])
        )
        list_arch = views["views"]["list"]["arch"]
        self.assertIn('name="request_note"', list_arch)
        self.assertNotIn("sum=", list_arch)
        self.assertIn("Awaiting Decision", views["views"]["search"]["arch"])
        rows = (
            self.env["credit.approval.request"]
            .with_user(self.credit_manager)
            .search_read([("state", "=", "pending")], ["request_note"])
        )
        self.assertIn("Pays every Friday since 2019", [row["request_note"] for row in rows])
        self.assertTrue(request)

    # ------------------------------------------------------------------
    # Accountant
    # ------------------------------------------------------------------
    def test_aging_buckets_group_from_not_due_to_oldest(self):
        for days in (-5, 10, 45, 75, 100, 200):
            self.make_invoice(self.customer, 100.0, due=TODAY - timedelta(days=days))
        groups = (
            self.env["account.move"]
            .with_user(self.accountant)
            .read_group(
                [("move_type", "=", "out_invoice"), ("credit_aging_bucket", "!=", False)],
                ["amount_residual_signed:sum"],
                ["credit_aging_bucket"],
                lazy=False,
            )
        )
        self.assertEqual(
            [group["credit_aging_bucket"] for group in groups],
            ["not_due", "1_30", "31_60", "61_90", "91_120", "over_120"],
        )


@tagged("post_install", "-at_install")
class TestRefusalOverRpc(HttpCase):
    def test_refusal_over_json_rpc_is_not_logged_as_an_error(self):
        self.env.company.write({"account_use_credit_limit": True, "credit_gate_mode": "block"})
        new_test_user(self.env, login="rpc_salesman", groups="sales_team.group_sale_salesman")
        salesman = self.env["res.users"].search([("login", "=", "rpc_salesman")])
        customer = self.env["res.partner"].create({"name": "RPC Customer", "is_company": True})
        customer._credit_set_hold(True, "Returned cheque")
        product = self.env["product.product"].create({"name": "Crate", "list_price": 10.0})
        order = self.env["sale.order"].create(
            {
                "partner_id": customer.id,
                "user_id": salesman.id,
                "order_line": [Command.create({"product_id": product.id})],
            }
        )
        self.authenticate("rpc_salesman", "rpc_salesman")
        payload = {
            "jsonrpc": "2.0",
            "method": "call",
            "id": 1,
            "params": {"model": "sale.order", "method": "action_confirm", "args": [order.ids], "kwargs": {}},
        }
        with self.assertNoLogs("odoo.http", "ERROR"):
            response = self.url_open(
                "/web/dataset/call_kw/sale.order/action_confirm",
                data=json.dumps(payload),
                headers={"Content-Type": "application/json"},
            )
        error = response.json()["error"]
        self.assertEqual(error["data"]["name"], "odoo.exceptions.RedirectWarning")
        self.assertIn("credit hold", error["data"]["message"])
        self.assertEqual(order.state, "draft")
