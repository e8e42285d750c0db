from odoo.exceptions import RedirectWarning
from odoo.tests import TransactionCase, tagged

# The five demo quotations and what the README says confirming each does.
CONFIRMS = ("demo_quotation_within", "demo_quotation_near")
REFUSED = {
    "demo_quotation_over": "exceeds the credit limit",
    "demo_quotation_hold": "on credit hold",
    "demo_quotation_overdue": "days overdue",
}
QUOTATIONS = (*CONFIRMS, *REFUSED)
USERS = ("salesperson", "credit_user", "credit_manager", "accountant")


@tagged("post_install", "-at_install")
class TestDemoData(TransactionCase):
    """The demo database lets each role of the README live its flow.

    Runs only on a database installed with demo data; skipped otherwise.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        ref = cls.env.ref
        cls.users = {
            login: ref(f"credit_risk_addon.demo_user_{login}", raise_if_not_found=False) for login in USERS
        }
        cls.quotations = {
            xmlid: ref(f"credit_risk_addon.{xmlid}", raise_if_not_found=False) for xmlid in QUOTATIONS
        }

    def setUp(self):
        super().setUp()
        missing = [name for name, record in {**self.users, **self.quotations}.items() if not record]
        if missing:
            self.skipTest(f"database installed without demo data (no {missing[0]})")
        self.salesperson = self.users["salesperson"]

    def as_salesperson(self, xmlid):
        return self.quotations[xmlid].with_user(self.salesperson)

    def test_demo_users(self):
        for login, user in self.users.items():
            self.assertEqual(user.login, login)
            self.assertTrue(user.email, login)
            self.assertEqual(user.company_id, self.env.ref("base.main_company"), login)
            self.assertTrue(user._is_internal(), login)
        salesperson = self.salesperson
        self.assertTrue(salesperson.has_group("sales_team.group_sale_salesman"))
        self.assertFalse(salesperson.has_group("sales_team.group_sale_salesman_all_leads"))
        self.assertFalse(salesperson.has_group("credit_risk_addon.group_credit_user"))
        credit_user = self.users["credit_user"]
        self.assertTrue(credit_user.has_group("credit_risk_addon.group_credit_user"))
        self.assertFalse(credit_user.has_group("credit_risk_addon.group_credit_manager"))
        self.assertTrue(self.users["credit_manager"].has_group("credit_risk_addon.group_credit_manager"))
        accountant = self.users["accountant"]
        self.assertTrue(accountant.has_group("account.group_account_invoice"))
        self.assertFalse(accountant.has_group("credit_risk_addon.group_credit_user"))

    def test_salesperson_sees_the_demo_quotations(self):
        orders = self.env["sale.order"].union(*self.quotations.values())
        self.assertEqual(orders.user_id, self.salesperson)
        found = self.env["sale.order"].with_user(self.salesperson).search([("id", "in", orders.ids)])
        self.assertEqual(found, orders)
        rows = found.read(["name", "partner_id", "amount_total", "state", "credit_gate_status"])
        self.assertEqual(len(rows), 5)
        self.assertEqual({row["state"] for row in rows}, {"draft"})

    def test_salesperson_sees_the_gate_status(self):
        expected = dict.fromkeys(CONFIRMS, "pass") | dict.fromkeys(REFUSED, "block")
        for xmlid, status in expected.items():
            with self.subTest(quotation=xmlid):
                self.assertEqual(self.as_salesperson(xmlid).credit_gate_status, status)
        nordic = self.as_salesperson("demo_quotation_near")
        self.assertAlmostEqual(nordic.credit_gate_remaining, 0.0, msg="Nordic Fittings lands on its limit")
        self.assertAlmostEqual(nordic.credit_gate_limit, 10000.0)

    def test_salesperson_confirms_within_limit(self):
        for xmlid in CONFIRMS:
            with self.subTest(quotation=xmlid):
                order = self.as_salesperson(xmlid)
                order.action_confirm()
                self.assertEqual(order.state, "sale")

    def test_salesperson_is_refused(self):
        for xmlid, reason in REFUSED.items():
            with self.subTest(quotation=xmlid):
                order = self.as_salesperson(xmlid)
                with self.assertRaises(RedirectWarning) as caught:
                    order.action_confirm()
                self.assertIn(reason, caught.exception.args[0])
                self.assertEqual(order.state, "draft")
