"""Installing the module takes nothing away from the standard groups.

Each view the module adds or extends is opened as the web client does it
(``get_views``, then ``web_read`` / ``web_search_read`` / ``read_group`` of
the fields the user's arch holds), for a user with one standard group only.
"""

from freezegun import freeze_time
from lxml import etree

from odoo.tests import new_test_user, tagged
from odoo.tools.safe_eval import safe_eval

from .common import TODAY, CreditRiskCommon

ROLES = {
    "salesperson": "sales_team.group_sale_salesman",
    "sales_manager": "sales_team.group_sale_manager",
    "billing": "account.group_account_invoice",
    "accountant": "account.group_account_user",
    "accounting_readonly": "account.group_account_readonly",
}
SALES = ("salesperson", "sales_manager")
ACCOUNTING = ("billing", "accountant", "accounting_readonly")

# (model, view, view type, record the view must show): core lets every internal role open them.
CORE_VIEWS = [
    ("sale.order", "sale.view_order_form", "form", "quotation"),
    ("sale.order", "sale.view_order_form", "form", "order"),
    ("sale.order", "sale.view_quotation_tree", "list", "quotation"),
    ("sale.order", "sale.view_order_tree", "list", "order"),
    ("sale.order", "sale.view_sales_order_filter", "search", None),
    ("res.partner", "base.view_partner_form", "form", "customer"),
    ("res.partner", "base.view_partner_tree", "list", "customer"),
    ("res.partner", "base.view_res_partner_filter", "search", None),
    ("account.move", "account.view_move_form", "form", "invoice"),
    ("account.move", "account.view_out_invoice_tree", "list", "invoice"),
    ("account.move", "account.view_account_invoice_filter", "search", None),
]
# The module's menus and the roles that must see them (and open their action).
MENUS = {
    "credit_risk_addon.menu_credit_approval_request_sale": SALES,
    "credit_risk_addon.menu_credit_approval_request_accounting": (),
    "credit_risk_addon.menu_credit_exposure_report": ACCOUNTING,
    "credit_risk_addon.menu_credit_invoice_aging": ACCOUNTING,
}
# (model, record, button, roles that must see it): any role that sees it must be able to use it.
BUTTONS = [
    ("sale.order", "quotation", "action_view_credit_approvals", SALES),
    ("sale.order", "blocked", "action_request_credit_approval", SALES),
    ("account.move", "invoice", "action_view_source_sale_orders", SALES + ACCOUNTING),
    ("res.partner", "customer", "action_view_credit_approvals", ()),
    ("res.partner", "customer", "action_credit_hold", ()),
]
# The record each model's views are checked against when opened from an action.
ACTION_RECORDS = {
    "credit.approval.request": "request",
    "credit.exposure.report": "report",
    "account.move": "invoice",
    "sale.order": "order",
}


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestRoleAccess(CreditRiskCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.users = {
            role: new_test_user(cls.env, login=f"access_{role}", groups=group, email=f"{role}@example.com")
            for role, group in ROLES.items()
        }
        cls.portal = new_test_user(cls.env, login="access_portal", groups="base.group_portal")
        cls.portal.partner_id.parent_id = cls.customer
        salesperson = cls.users["salesperson"]
        # An invoiced order: the posted invoice has core's "Sale Orders" button.
        order = cls.make_order(cls.customer, 1000.0, user=salesperson, confirm=True)
        invoice = order._create_invoices()
        invoice.action_post()
        # A quotation the gate blocks, for which the salesperson asked approval.
        quotation = cls.make_order(cls.customer, 20000.0, user=salesperson)
        request = (
            cls.env["credit.approval.request"]
            .with_user(salesperson)
            .create({"order_id": quotation.id, "request_note": "Pays on Friday"})
        )
        # Another blocked quotation, not asked for yet: it offers to ask.
        blocked = cls.make_order(cls.customer, 15000.0, user=salesperson)
        (order | quotation).message_subscribe(cls.customer.ids)
        report = cls.env["credit.exposure.report"].search(
            [("partner_id", "=", cls.customer.id), ("company_id", "=", cls.company.id)]
        )
        cls.records = {
            "order": order,
            "quotation": quotation,
            "blocked": blocked,
            "invoice": invoice,
            "customer": cls.customer,
            "request": request,
            "report": report,
        }

    # ------------------------------------------------------------------
    # What the web client does
    # ------------------------------------------------------------------
    def spec(self, node, model, models):
        """The ``web_read`` specification of the fields in ``node``, nested views included."""
        fields, spec = models[model]["fields"], {}
        for child in node.iterchildren(tag=etree.Element):
            if child.tag != "field":
                spec.update(self.spec(child, model, models))
                continue
            field = fields[child.get("name")]
            subspec = {}
            if field["type"] == "many2one":
                subspec = {"fields": {"display_name": {}}}
            elif field["type"] in ("one2many", "many2many"):
                subview = next((v for v in child if v.tag in ("list", "kanban")), None)
                subfields = {"display_name": {}}
                if subview is not None:
                    subfields = self.spec(subview, field["relation"], models)
                subspec = {"fields": subfields}
            spec[child.get("name")] = subspec
        return spec

    def open_view(self, user, model, view_type, view_id=False, record=None, domain=(), context=None):
        """Load and read one view as ``user``; returns its arch and, for a form, the record read."""
        self.env.invalidate_all()
        records = self.env[model].with_user(user).with_context(**(context or {}))
        result = records.get_views([(view_id, view_type)], {"toolbar": True, "load_filters": True})
        arch = etree.fromstring(result["views"][view_type]["arch"])
        spec = self.spec(arch, model, result["models"])
        groupby = (context or {}).get("group_by") or []
        if view_type == "form" and record:
            values = records.browse(record.id).web_read({"display_name": {}, **spec})[0]
            self.assertEqual((values["id"], values["display_name"]), (record.id, record.display_name))
            return arch, values
        if view_type == "form":  # a new record (wizard): defaults and onchanges
            self.assertTrue(records.has_access("create"), f"{user.login} cannot create {model}")
            records.onchange({}, [], spec)
        elif view_type in ("list", "kanban"):
            rows = records.web_search_read(list(domain), spec, limit=80)["records"]
            if record:
                self.assertIn(record.id, [row["id"] for row in rows])
        elif view_type in ("pivot", "graph"):
            groupby = groupby or [f.get("name") for f in arch.iter("field") if f.get("type") != "measure"]
            measures = [f.get("name") for f in arch.iter("field") if f.get("type") == "measure"]
            self.assertTrue(records.read_group(list(domain), [*measures, "__count"], groupby, lazy=False))
        elif view_type == "search":
            # The module's filters and groupings (core's are core's business).
            for node in arch.iter("filter"):
                if not (node.get("name", "").startswith("credit_") or model.startswith("credit.")):
                    continue
                if node.get("domain"):
                    records.search_count(safe_eval(node.get("domain"), {"uid": user.id}))
                if node.get("context"):
                    by = safe_eval(node.get("context"))["group_by"]
                    records.read_group([], ["__count"], [by])
        if groupby and view_type == "list":
            records.read_group(list(domain), ["__count"], groupby)
        return arch, None

    def open_action(self, user, action):
        """Open every view of an act_window action as ``user``."""
        evaluation = {"uid": user.id}
        context = action.get("context") or {}
        context = safe_eval(context, evaluation) if isinstance(context, str) else context
        domain = action.get("domain") or []
        domain = safe_eval(domain, evaluation) if isinstance(domain, str) else domain
        record = self.records.get(ACTION_RECORDS.get(action["res_model"]))
        if action.get("res_id"):
            record = self.env[action["res_model"]].browse(action["res_id"])
        new = action.get("target") == "new"
        views = action.get("views") or [(False, mode) for mode in action["view_mode"].split(",")]
        search_view = action.get("search_view_id") or [False]
        for view_id, view_type in [*views, (search_view[0], "search")]:
            if view_type in ("form", "list", "kanban", "pivot", "graph", "search"):
                with self.subTest(action=action["name"], view_type=view_type):
                    record_arg = None if new and view_type == "form" else record
                    self.open_view(user, action["res_model"], view_type, view_id, record_arg, domain, context)

    @staticmethod
    def visible(node, values, user):
        """Whether the client shows ``node`` (and all its parents) for a record read as ``values``."""
        names = {
            key: val["id"] if isinstance(val, dict) and "id" in val else val for key, val in values.items()
        }
        names.update(context={}, uid=user.id)
        return not any(safe_eval(n.get("invisible") or "False", names) for n in (node, *node.iterancestors()))

    # ------------------------------------------------------------------
    # Tests
    # ------------------------------------------------------------------
    def test_core_views_open_for_every_role(self):
        for role, user in self.users.items():
            for model, view, view_type, key in CORE_VIEWS:
                with self.subTest(role=role, view=view, record=key):
                    self.open_view(user, model, view_type, self.env.ref(view).id, self.records.get(key))

    def test_module_menus_open_their_actions(self):
        for role, user in self.users.items():
            visible_ids = self.env["ir.ui.menu"].with_user(user)._visible_menu_ids()
            for xmlid, roles in MENUS.items():
                menu = self.env.ref(xmlid)
                with self.subTest(role=role, menu=xmlid):
                    # The client shows a menu when it and all its parents are visible; the
                    # Sales root menu is only active with sale_management, the action opens anyway.
                    path = self.env["ir.ui.menu"].browse(int(i) for i in menu.parent_path.split("/") if i)
                    shown = set(path.ids) <= visible_ids
                    self.assertEqual(shown, role in roles and all(path.mapped("active")))
                    if role in roles:
                        self.open_action(user, menu.action.with_user(user)._get_action_dict())

    def test_module_buttons_work_for_whoever_sees_them(self):
        for role, user in self.users.items():
            for model, key, button, roles in BUTTONS:
                with self.subTest(role=role, model=model, button=button):
                    record = self.records[key]
                    arch, values = self.open_view(user, model, "form", record=record)
                    nodes = arch.xpath(f"//button[@type='object'][@name='{button}']")
                    shown = any(self.visible(node, values, user) for node in nodes)
                    if role in roles:
                        self.assertTrue(shown, f"{role} does not see {button} on {record.display_name}")
                    if shown:
                        self.env.invalidate_all()
                        action = getattr(record.with_user(user), button)()
                        self.open_action(user, action)

    def test_portal_reads_own_order(self):
        for key in ("quotation", "order"):
            order = self.records[key].with_user(self.portal)
            self.env.invalidate_all()
            values = order.read(["amount_total", "state", "partner_id"])[0]
            self.assertEqual(values["partner_id"][0], self.customer.id)
            self.assertEqual(values["amount_total"], self.records[key].amount_total)
        for model in ("credit.approval.request", "credit.exposure.report", "ir.ui.menu"):
            self.assertFalse(self.env[model].with_user(self.portal).has_access("read"), model)
