from datetime import date, timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .common import CreditRiskCommon

DUE = date(2026, 3, 2)  # INV1's due date: the ladder is counted from it


class DunningCommon(CreditRiskCommon):
    """A customer's ladder over three months, run by the scheduled action day by day.

    INV1 100 due 2 March; INV2 200 due 12 March. The company's default policy:
    courtesy reminder at -7 days (email), reminder at 15 (email), firm letter and
    call at 30 (email + letter + call), final notice at 45 (email + letter + hold),
    hand-over at 60 (activity, reminders stop); 7 days at least between two steps.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.policy = cls.env["credit.dunning.policy"].search(
            [("company_id", "=", cls.company.id), ("is_default", "=", True)]
        )
        cls.levels = {level.days: level for level in cls.policy.level_ids}
        cls.customer.write({"email": "customer@example.com", "user_id": cls.salesman.id})
        cls.collector = new_test_user(
            cls.env, login="dunning_collector", groups="account.group_account_invoice"
        )
        cls.customer.credit_collector_id = cls.collector
        cls.inv1 = cls.make_invoice(cls.customer, 100.0, invoice_date=DUE - timedelta(days=30), due=DUE)
        cls.inv2 = cls.make_invoice(
            cls.customer, 200.0, invoice_date=DUE - timedelta(days=20), due=DUE + timedelta(days=10)
        )

    def run_on(self, day):
        with freeze_time(day):
            self.env["credit.dunning"]._cron_run_dunning(auto_commit=False)
        self.env.invalidate_all()

    def history(self):
        return self.env["credit.dunning.history"].search([("partner_id", "=", self.customer.id)], order="id")

    def queued_mails(self):
        return self.env["mail.mail"].search(
            [("model", "=", "res.partner"), ("res_id", "=", self.customer.id)], order="id"
        )

    def pay_part(self, invoice, amount, day):
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({"payment_date": day, "amount": amount})._create_payments()


@tagged("post_install", "-at_install")
class TestDunningLadder(DunningCommon):
    def test_the_ladder_over_time(self):
        # 7 days before INV1's due date: the courtesy reminder, INV1 alone (INV2 is 17 days before due).
        self.run_on(DUE - timedelta(days=7))
        [courtesy] = self.history()
        self.assertEqual((courtesy.level_id, courtesy.state), (self.levels[-7], "done"))
        self.assertEqual(courtesy.move_ids, self.inv1)
        self.assertEqual(self.inv1.credit_dunning_level_id, self.levels[-7])
        self.assertFalse(self.inv2.credit_dunning_level_id)
        [mail] = self.queued_mails()
        self.assertEqual(mail.state, "outgoing", "queued, never sent by the run")
        self.assertIn(self.inv1.name, mail.body_html)
        self.assertNotIn(self.inv2.name, mail.body_html)
        self.assertEqual(mail.recipient_ids, self.customer)
        # The same day again: nothing more.
        self.run_on(DUE - timedelta(days=7))
        self.assertEqual(len(self.history()), 1)
        self.assertEqual(len(self.queued_mails()), 1)

        # 15 days overdue: the reminder for INV1. INV2, 5 days overdue, is past its courtesy
        # reminder and not yet at 15 days: not listed.
        self.run_on(DUE + timedelta(days=15))
        reminder = self.history()[-1]
        self.assertEqual(reminder.level_id, self.levels[15])
        self.assertEqual(reminder.move_ids, self.inv1)
        self.assertEqual(reminder.amount, 100.0)
        self.assertEqual(self.inv1.credit_dunning_level_id, self.levels[15])
        self.assertFalse(self.inv2.credit_dunning_level_id)
        mail = self.queued_mails()[-1]
        self.assertIn(self.inv1.name, mail.body_html)
        self.assertNotIn(self.inv2.name, mail.body_html)
        self.assertIn("/my/invoices", mail.body_html)
        self.assertIn("access_token=", mail.body_html)

        # INV1 partly paid: followed for its residual. At 30 days: letter, call for the collector;
        # INV2 (20 days overdue) comes with it at its own next level, the reminder.
        self.pay_part(self.inv1, 60.0, DUE + timedelta(days=20))
        self.run_on(DUE + timedelta(days=30))
        firm = self.history()[-1]
        self.assertEqual(firm.level_id, self.levels[30])
        self.assertEqual(firm.amount, 240.0, "INV1's residual 40 and INV2's 200")
        self.assertEqual(self.inv2.credit_dunning_level_id, self.levels[15])
        self.assertTrue(firm.channel_letter)
        self.assertEqual(firm.activity_id.user_id, self.collector)
        self.assertEqual(firm.activity_id.activity_type_id, self.env.ref("mail.mail_activity_data_call"))
        mail = self.queued_mails()[-1]
        self.assertEqual(len(mail.attachment_ids), 1, "the letter is attached")
        letter = mail.attachment_ids.raw.decode()
        self.assertIn(self.inv1.name, letter)
        self.assertIn("40.00", letter)

        # INV2 paid in full: it drops out. At 45 days: the final notice puts the customer on hold.
        self.pay_part(self.inv2, 200.0, DUE + timedelta(days=35))
        self.run_on(DUE + timedelta(days=45))
        final = self.history()[-1]
        self.assertEqual((final.level_id, final.move_ids), (self.levels[45], self.inv1))
        self.assertTrue(final.channel_hold)
        self.assertTrue(self.customer.with_company(self.company).credit_hold)

        # 60 days: handed over, an activity, no email; after that nothing more.
        mails = len(self.queued_mails())
        self.run_on(DUE + timedelta(days=60))
        handover = self.history()[-1]
        self.assertEqual(handover.level_id, self.levels[60])
        self.assertTrue(handover.channel_hand_over)
        self.assertFalse(handover.channel_email)
        self.assertEqual(len(self.queued_mails()), mails)
        self.assertTrue(self.customer.with_company(self.company).credit_dunning_handed_over)
        self.run_on(DUE + timedelta(days=90))
        self.assertEqual(len(self.history()), 5)

    def test_interval_between_two_steps(self):
        # The reminder at 15 days, then INV2 reaches 15 days 10 days later: 7 days apart at least.
        self.run_on(DUE + timedelta(days=15))
        self.run_on(DUE + timedelta(days=20))
        self.assertEqual(len(self.history()), 1, "5 days after the last step: too soon")
        self.run_on(DUE + timedelta(days=25))
        self.assertEqual(self.history()[-1].move_ids, self.inv2)
        self.assertEqual(self.inv2.credit_dunning_level_id, self.levels[15])

    def test_customer_tab_shows_level_and_next_step(self):
        with freeze_time(DUE + timedelta(days=15)):
            self.env["credit.dunning"]._cron_run_dunning(auto_commit=False)
            self.env.invalidate_all()
            partner = self.customer.with_user(self.credit_user).with_company(self.company)
            self.assertEqual(partner.credit_dunning_level_id, self.levels[15])
            self.assertEqual(partner.credit_dunning_last_date, DUE + timedelta(days=15))
            # INV2 reaches 15 days on 27 March, 12 days after the reminder: that is the next step.
            self.assertEqual(partner.credit_dunning_next_date, DUE + timedelta(days=25))
            self.assertEqual(partner.credit_dunning_next_level_id, self.levels[15])
            self.assertEqual(partner.credit_dunning_history_count, 1)

    def test_customer_without_email_gets_an_activity(self):
        self.customer.email = False
        self.run_on(DUE + timedelta(days=15))
        step = self.history()
        self.assertEqual(step.state, "done")
        self.assertFalse(step.channel_email)
        self.assertFalse(self.queued_mails())
        self.assertEqual(step.activity_id.user_id, self.collector)
        self.assertIn("no email address", step.activity_id.summary)

    def test_dunning_contact_receives_the_reminder(self):
        accounts = self.env["res.partner"].create(
            {"name": "Accounts Payable", "parent_id": self.customer.id, "email": "ap@example.com"}
        )
        self.customer.credit_dunning_contact_id = accounts
        self.run_on(DUE + timedelta(days=15))
        self.assertEqual(self.queued_mails().recipient_ids, accounts)
        self.assertEqual(self.history().email_to, "ap@example.com")

    @mute_logger("odoo.addons.credit_risk_addon.models.credit_dunning")
    def test_a_failing_customer_is_recorded_and_the_run_goes_on(self):
        broken = self.env["mail.template"].create(
            {
                "name": "Broken",
                "model_id": self.env.ref("base.model_res_partner").id,
                "subject": "{{ object.no_such_field }}",
                "body_html": "<p>x</p>",
            }
        )
        policy = self.policy.copy({"name": "Broken", "is_default": False})
        policy.level_ids.filtered("send_email").mail_template_id = broken
        self.customer.with_company(self.company).sudo().credit_dunning_policy_id = policy
        other = self.env["res.partner"].create({"name": "Other Customer", "email": "other@example.com"})
        other_invoice = self.make_invoice(other, 50.0, invoice_date=DUE - timedelta(days=30), due=DUE)
        self.run_on(DUE + timedelta(days=15))
        failed = self.history()
        self.assertEqual(failed.state, "failed")
        self.assertTrue(failed.error)
        self.assertFalse(self.inv1.credit_dunning_level_id, "nothing half-written")
        self.assertEqual(other_invoice.credit_dunning_level_id, self.levels[15])
        # The failure does not count as a step: the next run tries again.
        policy.level_ids.filtered("send_email").mail_template_id = self.levels[15].mail_template_id
        self.run_on(DUE + timedelta(days=16))
        self.assertEqual(self.history()[-1].state, "done")

    def test_other_company_is_not_touched(self):
        company_b = self.setup_other_company(name="Dunning Company B")["company"]
        self.env.user.company_ids |= company_b
        invoice_b = self.make_invoice(
            self.customer, 70.0, invoice_date=DUE - timedelta(days=30), due=DUE, company=company_b
        )
        self.env["credit.dunning"]._run(self.company, DUE + timedelta(days=15))
        self.assertTrue(self.inv1.credit_dunning_level_id)
        self.assertFalse(invoice_b.credit_dunning_level_id)
        self.assertEqual(self.history().company_id, self.company)
        # Company B has its own default ladder.
        self.assertTrue(
            self.env["credit.dunning.policy"].search(
                [("company_id", "=", company_b.id), ("is_default", "=", True)]
            )
        )

    def test_preview_then_run_as_an_accountant(self):
        accountant = new_test_user(
            self.env, login="dunning_accountant", groups="account.group_account_invoice"
        )
        wizard = (
            self.env["credit.dunning.run.wizard"]
            .with_user(accountant)
            .create({"date": DUE + timedelta(days=15)})
        )
        with self.assertRaises(UserError):
            wizard.action_run()
        wizard.action_preview()
        [line] = wizard.line_ids
        self.assertEqual(
            (line.partner_id, line.level_id, line.amount), (self.customer, self.levels[15], 100.0)
        )
        self.assertIn("Email", line.actions)
        self.assertFalse(self.history(), "a preview sends nothing")
        action = wizard.action_run()
        history = self.env["credit.dunning.history"].search(action["domain"])
        self.assertEqual(history.partner_id, self.customer)
        self.assertEqual(history.user_id, accountant)
        self.assertEqual(self.inv1.credit_dunning_level_id, self.levels[15])
        # A salesperson can neither preview nor read the history.
        with self.assertRaises(AccessError):
            self.env["credit.dunning.run.wizard"].with_user(self.salesman).create({})
        with self.assertRaises(AccessError):
            self.env["credit.dunning.history"].with_user(self.salesman).search([])

    def test_bad_levels_are_refused(self):
        with self.assertRaises(ValidationError):
            self.env["credit.dunning.level"].create(
                {"policy_id": self.policy.id, "name": "Twin", "days": 15, "send_email": False}
            )
        with self.assertRaises(ValidationError):
            self.levels[15].min_amount = -1
        with self.assertRaises(ValidationError):
            self.policy.min_interval_days = -3
        with self.assertRaises(ValidationError):
            self.env["credit.dunning.policy"].create({"name": "Second default", "is_default": True})
        # Only credit managers choose how a customer is dunned.
        with self.assertRaisesRegex(AccessError, "dunned"):
            self.customer.with_user(self.salesman).write({"credit_dunning_handed_over": False})

    def test_queries_grow_with_customers_not_invoices(self):
        """A run for customers with 50 overdue invoices each costs the queries of one with 1 each."""

        def customers(count, invoices):
            partners = self.env["res.partner"].create(
                [
                    {"name": f"Q{invoices}-{index}", "email": f"q{invoices}{index}@example.com"}
                    for index in range(count)
                ]
            )
            for partner in partners:
                self.make_invoice(partner, 10.0, invoice_date=DUE - timedelta(days=30), due=DUE)
                for _index in range(invoices - 1):
                    self.make_invoice(
                        partner, 10.0, invoice_date=DUE - timedelta(days=30), due=DUE, post=False
                    )
            # Post the rest in one go (faster than one by one).
            self.env["account.move"].search(
                [("partner_id", "in", partners.ids), ("state", "=", "draft")]
            ).action_post()
            return partners

        few, many = customers(3, 1), customers(3, 50)
        day = DUE + timedelta(days=15)
        self.env.invalidate_all()
        self.env.flush_all()
        before = self.cr.sql_log_count
        self.assertEqual(len(self.env["credit.dunning"]._run(self.company, day, partner_ids=few.ids)), 3)
        self.env.flush_all()
        queries_for_one = self.cr.sql_log_count - before
        self.env.invalidate_all()
        with self.assertQueryCount(queries_for_one):
            history = self.env["credit.dunning"]._run(self.company, day, partner_ids=many.ids)
        self.assertEqual(len(history), 3)
        self.assertEqual(sum(len(step.move_ids) for step in history), 150)


@tagged("post_install", "-at_install")
class TestDunningTemplates(CreditRiskCommon):
    def test_reminder_rendered_in_the_customer_language(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        # The templates' translations, as installing the language loads them.
        self.env["ir.module.module"]._load_module_terms(["credit_risk_addon"], ["zh_CN"])
        self.customer.write({"email": "zh@example.com", "lang": "zh_CN"})
        invoice = self.make_invoice(self.customer, 100.0, invoice_date=DUE - timedelta(days=30), due=DUE)
        self.env["credit.dunning"]._run(self.company, DUE + timedelta(days=15))
        mail = self.env["mail.mail"].search(
            [("res_id", "=", self.customer.id), ("model", "=", "res.partner")]
        )
        self.assertIn(invoice.name, mail.body_html)
        self.assertIn("根据我们的记录，以下发票已逾期", mail.body_html)
        self.assertIn("逾期发票", mail.subject)
        self.assertIn("2026年03月02日", mail.body_html)


@tagged("post_install", "-at_install")
class TestPromisesAndDisputes(DunningCommon):
    def dispute(self, invoice, amount, user=None):
        env = self.env(user=user) if user else self.env
        return env["credit.dispute"].create(
            {
                "move_id": invoice.id,
                "reason_id": self.env.ref("credit_risk_addon.dispute_reason_damaged").id,
                "amount": amount,
            }
        )

    def promise(self, invoices, amount, promise_date, user=None):
        env = self.env(user=user) if user else self.env
        return env["credit.promise"].create(
            {
                "partner_id": self.customer.id,
                "move_ids": [Command.set(invoices.ids)],
                "amount": amount,
                "promise_date": promise_date,
            }
        )

    def test_a_disputed_invoice_leaves_the_chase_until_resolved(self):
        with freeze_time(DUE + timedelta(days=10)):
            dispute = self.dispute(self.inv1, 100.0, user=self.collector)
        self.assertTrue(self.inv1.credit_disputed)
        self.run_on(DUE + timedelta(days=15))
        self.assertFalse(self.history(), "INV1 is disputed, INV2 (5 days overdue) not yet at 15 days")
        self.run_on(DUE + timedelta(days=30))
        step = self.history()
        self.assertEqual(step.move_ids, self.inv2, "only INV2 (20 days overdue) is reminded")
        dispute.with_user(self.collector).action_resolve()
        self.assertFalse(self.inv1.credit_disputed)
        # Back on the ladder, one level at a time: its first reminder, a week after the last step.
        self.run_on(DUE + timedelta(days=37))
        self.assertEqual(self.inv1.credit_dunning_level_id, self.levels[15])

    def test_bad_disputes_are_refused(self):
        for amount in (0.0, -5.0, 100.01):
            with self.assertRaises(ValidationError):
                self.dispute(self.inv1, amount)
        with self.assertRaises(AccessError):
            self.dispute(self.inv1, 50.0, user=self.salesman)
        self.assertFalse(self.env["credit.dispute"].search([("move_id", "=", self.inv1.id)]))

    def test_a_promise_kept(self):
        with freeze_time(DUE + timedelta(days=10)):
            promise = self.promise(self.inv1, 100.0, DUE + timedelta(days=20), user=self.collector)
        self.assertEqual(promise.open_at_promise, 100.0)
        self.run_on(DUE + timedelta(days=15))
        self.assertNotIn(self.inv1, self.history().move_ids, "paused until the promised date")
        self.pay_part(self.inv1, 100.0, DUE + timedelta(days=18))
        self.run_on(DUE + timedelta(days=21))
        self.assertEqual(promise.state, "kept")
        partner = self.customer.with_user(self.credit_user).with_company(self.company)
        self.assertEqual((partner.credit_promises_kept, partner.credit_promises_broken), (1, 0))

    def test_a_promise_broken_escalates(self):
        with freeze_time(DUE + timedelta(days=10)):
            promise = self.promise(
                self.inv1 | self.inv2, 150.0, DUE + timedelta(days=20), user=self.collector
            )
        self.run_on(DUE + timedelta(days=15))
        self.assertFalse(self.history(), "both invoices are promised")
        self.pay_part(self.inv1, 50.0, DUE + timedelta(days=19))  # 50 of the 150 promised
        self.run_on(DUE + timedelta(days=21))
        self.assertEqual(promise.state, "broken")
        activity = self.customer.activity_ids.filtered(
            lambda activity: activity.summary == "Broken promise to pay"
        )
        self.assertEqual(activity.user_id, self.collector)
        # The next level fires: INV1 (21 days) at the reminder; INV2 (11 days) is not yet at 15.
        step = self.history()
        self.assertEqual(step.level_id, self.levels[15])
        self.assertEqual(self.inv1.credit_dunning_level_id, self.levels[15])
        partner = self.customer.with_user(self.credit_user).with_company(self.company)
        self.assertEqual((partner.credit_promises_kept, partner.credit_promises_broken), (0, 1))

    def test_bad_promises_are_refused(self):
        with freeze_time(DUE + timedelta(days=10)):
            with self.assertRaises(ValidationError):
                self.promise(self.inv1, 50.0, DUE + timedelta(days=9))  # in the past
            with self.assertRaises(ValidationError):
                self.promise(self.inv1, 100.01, DUE + timedelta(days=20))  # above what is open
            stranger = self.env["res.partner"].create({"name": "Stranger"})
            foreign = self.make_invoice(stranger, 10.0, invoice_date=DUE - timedelta(days=30), due=DUE)
            with self.assertRaises(ValidationError):
                self.promise(self.inv1 | foreign, 50.0, DUE + timedelta(days=20))
            with self.assertRaises(AccessError):
                self.promise(self.inv1, 50.0, DUE + timedelta(days=20), user=self.salesman)
        self.assertFalse(self.env["credit.promise"].search([("partner_id", "=", self.customer.id)]))


@tagged("post_install", "-at_install")
class TestDunningFirstRun(DunningCommon):
    def test_an_old_debt_climbs_the_ladder_one_level_a_week(self):
        """Installed on a database with a 95-day-old invoice: a reminder first, not a hand-over."""
        old = self.make_invoice(
            self.customer, 700.0, invoice_date=DUE - timedelta(days=125), due=DUE - timedelta(days=95)
        )
        levels = []
        for week in range(5):
            self.run_on(DUE + timedelta(days=7 * week))
            levels.append(old.credit_dunning_level_id.days)
        self.assertEqual(levels, [15, 30, 45, 60, 60])
        self.assertTrue(self.customer.with_company(self.company).credit_dunning_handed_over)
