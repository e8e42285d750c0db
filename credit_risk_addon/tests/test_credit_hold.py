from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form, tagged

from .common import CreditRiskCommon


@tagged("post_install", "-at_install")
class TestCreditHold(CreditRiskCommon):
    def test_manager_holds_and_releases_with_reason(self):
        action = self.customer.with_user(self.credit_manager).action_credit_hold()
        wizard = Form(
            self.env[action["res_model"]].with_user(self.credit_manager).with_context(**action["context"])
        )
        wizard.reason = "Bank guarantee expired"
        wizard.save().action_apply()
        self.assertTrue(self.customer.credit_hold)
        self.assertEqual(self.customer.credit_hold_reason, "Bank guarantee expired")
        self.assertIn("Put on credit hold", self.customer.message_ids[0].body)
        self.assertTrue(
            self.env["res.partner"].search([("credit_hold", "=", True), ("id", "=", self.customer.id)])
        )

        self.customer.with_user(self.credit_manager)._credit_set_hold(False, "Guarantee renewed")
        self.assertFalse(self.customer.credit_hold)
        self.assertFalse(self.customer.credit_hold_reason)
        self.assertIn("Guarantee renewed", self.customer.message_ids[0].body)

    def test_reason_required(self):
        with self.assertRaises(ValidationError):
            self.customer.with_user(self.credit_manager)._credit_set_hold(True, " ")
        self.assertFalse(self.customer.credit_hold)

    def test_hold_is_per_company(self):
        company_2 = self.setup_other_company(name="Credit Co 2")["company"]
        self.customer._credit_set_hold(True, "Company 1 only")
        self.assertTrue(self.customer.credit_hold)
        self.assertFalse(self.customer.with_company(company_2).credit_hold)

    def test_only_managers_change_limits_and_holds(self):
        accountant = self.env["res.users"].create(
            {
                "name": "Billing Clerk",
                "login": "billing_clerk",
                "groups_id": [
                    Command.set(
                        [
                            self.env.ref("account.group_account_invoice").id,
                            self.env.ref("base.group_partner_manager").id,
                        ]
                    )
                ],
            }
        )
        for user in (self.salesman, accountant, self.credit_user):
            partner = self.customer.with_user(user)
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError):
                    partner.write({"credit_limit": 99999.0})
                with self.assertRaises(AccessError):
                    partner.write({"credit_hold": True})
                with self.assertRaises(AccessError):
                    partner._credit_set_hold(True, "no")
        self.assertEqual(self.customer.credit_limit, 10000.0)
        self.assertFalse(self.customer.credit_hold)
        # Editing anything else still works, and the limit syncs to contacts untouched.
        self.customer.with_user(accountant).write({"vat": "BE0477472701", "phone": "+32 2 123"})
        # A credit manager can.
        self.customer.with_user(self.credit_manager).credit_limit = 12000.0
        self.assertEqual(self.customer.credit_limit, 12000.0)
        self.assertIn("12,000.00", self.customer.message_ids[0].body)

    def test_salesman_can_create_customer_without_limit(self):
        self.salesman.groups_id = [Command.link(self.env.ref("base.group_partner_manager").id)]
        Partner = self.env["res.partner"].with_user(self.salesman)
        self.assertTrue(Partner.create({"name": "New Lead Co", "is_company": True}))
        with self.assertRaises(AccessError):
            Partner.create({"name": "Sneaky", "credit_limit": 1e9})

    def test_negative_limit_refused(self):
        with self.assertRaises(ValidationError):
            self.customer.credit_limit = -1.0
        self.env.invalidate_all()
        self.assertEqual(self.customer.credit_limit, 10000.0)

    def test_negative_threshold_refused(self):
        with self.assertRaises(ValidationError):
            self.company.credit_overdue_days = -5
        self.env.invalidate_all()
        self.assertEqual(self.company.credit_overdue_days, 60)

    def test_negative_threshold_refused_in_settings(self):
        with self.assertRaises(ValidationError):
            self.env["res.config.settings"].create({"credit_overdue_days": -1}).execute()
        self.env.invalidate_all()
        self.assertEqual(self.company.credit_overdue_days, 60)
