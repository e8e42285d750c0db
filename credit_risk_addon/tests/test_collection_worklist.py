from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import CreditRiskCommon


@tagged("post_install", "-at_install")
class TestCollectionWorklist(CreditRiskCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.today = today = fields.Date.today()
        cls.collector = new_test_user(
            cls.env, login="worklist_collector", groups="account.group_account_invoice"
        )
        cls.big = cls.env["res.partner"].create(
            {
                "name": "Big Debtor",
                "is_company": True,
                "email": "big@example.com",
                "credit_collector_id": cls.collector.id,
            }
        )
        cls.small = cls.env["res.partner"].create(
            {
                "name": "Small Debtor",
                "is_company": True,
                "email": "small@example.com",
                "user_id": cls.collector.id,
            }
        )
        cls.current = cls.env["res.partner"].create({"name": "Current Customer", "is_company": True})
        cls.big_invoice = cls.make_invoice(
            cls.big, 1000.0, invoice_date=today - timedelta(days=70), due=today - timedelta(days=40)
        )
        cls.small_invoice = cls.make_invoice(
            cls.small, 100.0, invoice_date=today - timedelta(days=40), due=today - timedelta(days=16)
        )
        cls.make_invoice(cls.current, 500.0, invoice_date=today, due=today + timedelta(days=30))

    def lines(self, user=None, domain=()):
        Worklist = self.env["credit.collection.worklist"]
        if user:
            Worklist = Worklist.with_user(user)
        self.env.flush_all()
        return Worklist.search(list(domain))

    def test_customers_with_something_overdue_what_is_at_stake_first(self):
        lines = self.lines(user=self.collector)
        self.assertEqual(lines.partner_id.ids, (self.big | self.small).ids)
        big, small = lines
        self.assertEqual((big.overdue, big.oldest_overdue_days), (1000.0, 40))
        self.assertEqual(big.collector_id, self.collector)
        self.assertEqual(small.collector_id, self.collector, "no collector: the salesperson")
        self.assertGreater(big.priority, small.priority)
        # The next action is the next dunning step: 16 days overdue, the reminder (15) is due today.
        self.assertEqual(small.next_action_date, self.today)
        self.assertEqual(small.next_action, "Reminder")

    def test_broken_promises_raise_the_stake(self):
        promise = self.env["credit.promise"].create(
            {
                "partner_id": self.small.id,
                "move_ids": [Command.set(self.small_invoice.ids)],
                "amount": 100.0,
                "promise_date": self.today,
            }
        )
        before = self.lines(domain=[("partner_id", "=", self.small.id)]).priority
        promise.sudo().state = "broken"  # as the run does
        self.env["credit.collection.worklist"].invalidate_model()
        line = self.lines(domain=[("partner_id", "=", self.small.id)])
        self.assertEqual(line.broken_promises, 1)
        self.assertAlmostEqual(line.priority, before * 1.5)

    def test_send_the_reminder_now(self):
        [line] = self.lines(user=self.collector, domain=[("partner_id", "=", self.small.id)])
        action = line.action_send_reminder()
        history = self.env["credit.dunning.history"].search(action["domain"])
        self.assertEqual((history.partner_id, history.user_id), (self.small, self.collector))
        self.assertEqual(self.small_invoice.credit_dunning_level_id.days, 15)
        # Done: nothing more is due today.
        with self.assertRaises(UserError):
            line.action_send_reminder()

    def test_one_click_actions_open_the_right_forms(self):
        [line] = self.lines(user=self.collector, domain=[("partner_id", "=", self.big.id)])
        promise = line.action_record_promise()
        self.assertEqual(promise["res_model"], "credit.promise")
        self.assertEqual(promise["context"]["default_move_ids"], [Command.set(self.big_invoice.ids)])
        dispute = line.action_open_dispute()
        self.assertEqual(dispute["context"]["default_move_id"], self.big_invoice.id)
        call = line.action_log_call()
        self.assertEqual(call["context"]["default_res_id"], self.big.id)

    def test_who_sees_and_who_acts(self):
        with self.assertRaises(AccessError):
            self.lines(user=self.salesman)
        reader = new_test_user(self.env, login="worklist_reader", groups="account.group_account_readonly")
        [line] = self.lines(user=reader, domain=[("partner_id", "=", self.big.id)])
        with self.assertRaises(AccessError):
            line.action_send_reminder()
        # Another company's customers are not on the list of a user of this company alone.
        company_b = self.setup_other_company(name="Worklist Company B")["company"]
        self.env.user.company_ids |= company_b
        self.make_invoice(
            self.big,
            70.0,
            invoice_date=self.today - timedelta(days=70),
            due=self.today - timedelta(days=40),
            company=company_b,
        )
        self.assertEqual(self.lines(user=self.collector).company_id, self.company)
