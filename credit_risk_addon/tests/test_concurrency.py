import datetime

import psycopg2.errors

from odoo import SUPERUSER_ID, Command, api, sql_db
from odoo.exceptions import RedirectWarning
from odoo.tests import BaseCase, tagged
from odoo.tests.common import get_db_name
from odoo.tools import mute_logger


@tagged("post_install", "-at_install")
class TestConcurrentConfirmation(BaseCase):
    """Two confirmations for one customer in two real transactions.

    Each order fits under the limit alone, not together. The data is
    committed (the test cursor would be invisible to other connections) and
    removed again at the end.
    """

    def setUp(self):
        super().setUp()
        self.db = sql_db.db_connect(get_db_name())
        with self.db.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            company = env.ref("base.main_company")
            self.saved = {
                "account_use_credit_limit": company.account_use_credit_limit,
                "credit_gate_mode": company.credit_gate_mode,
            }
            company.write({"account_use_credit_limit": True, "credit_gate_mode": "block"})
            product = env["product.product"].create(
                {"name": "Concurrency Pallet", "taxes_id": [Command.clear()]}
            )
            partner = env["res.partner"].create({"name": "Concurrent Customer", "is_company": True})
            partner.credit_limit = 1000.0
            orders = env["sale.order"].create(
                [
                    {
                        "partner_id": partner.id,
                        "order_line": [
                            Command.create(
                                {"product_id": product.id, "price_unit": 600.0, "tax_id": [Command.clear()]}
                            )
                        ],
                    }
                    for _i in range(2)
                ]
            )
            self.ids = {"product": product.id, "partner": partner.id, "orders": orders.ids}
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self.db.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            orders = env["sale.order"].browse(self.ids["orders"])
            # Decided requests are audit records the ORM will not delete.
            cr.execute("DELETE FROM credit_approval_request WHERE order_id IN %s", [tuple(orders.ids)])
            orders.invalidate_recordset()
            orders._action_cancel()
            orders.unlink()
            env["product.product"].browse(self.ids["product"]).unlink()
            env["res.partner"].browse(self.ids["partner"]).unlink()
            env.ref("base.main_company").write(self.saved)

    def test_second_confirmation_waits_then_fails_and_its_retry_is_refused(self):
        first_id, second_id = self.ids["orders"]
        cr1 = self.db.cursor()
        cr2 = self.db.cursor()
        try:
            env1 = api.Environment(cr1, SUPERUSER_ID, {})
            env2 = api.Environment(cr2, SUPERUSER_ID, {})
            # Both transactions take their snapshot before either commits.
            cr2.execute("SELECT 1")
            self.assertIs(env1["sale.order"].browse(first_id).action_confirm(), True)
            cr1.commit()
            with self.assertRaises(psycopg2.errors.SerializationFailure), mute_logger("odoo.sql_db"):
                env2["sale.order"].browse(second_id).action_confirm()
            cr2.rollback()
        finally:
            cr1.close()
            cr2.close()
        # What Odoo does on a serialization failure: retry in a new transaction.
        with self.db.cursor() as cr3:
            env3 = api.Environment(cr3, SUPERUSER_ID, {})
            with self.assertRaises(RedirectWarning):
                env3["sale.order"].browse(second_id).action_confirm()
            self.assertEqual(env3["sale.order"].browse(second_id).state, "draft")
            self.assertEqual(env3["sale.order"].browse(first_id).state, "sale")

    def test_without_overlap_both_fit_when_limit_allows(self):
        with self.db.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["res.partner"].browse(self.ids["partner"]).credit_limit = 2000.0
        for order_id in self.ids["orders"]:
            with self.db.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                self.assertIs(env["sale.order"].browse(order_id).action_confirm(), True)

    def test_expiry_cron_skips_requests_another_transaction_holds(self):
        yesterday = datetime.date.today() - datetime.timedelta(days=1)
        with self.db.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            requests = env["credit.approval.request"].create(
                [
                    {
                        "order_id": order_id,
                        "request_note": "Seasonal order",
                        "state": "approved",
                        "approved_amount": 600.0,
                        "expiry_date": yesterday,
                    }
                    for order_id in self.ids["orders"]
                ]
            )
            held, free = requests.ids
        cr1 = self.db.cursor()
        cr2 = self.db.cursor()
        try:
            cr1.execute("SELECT id FROM credit_approval_request WHERE id = %s FOR UPDATE", [held])
            # Waiting for cr1's lock would fail here instead of hanging the suite.
            cr2.execute("SET LOCAL lock_timeout = '5s'")
            env2 = api.Environment(cr2, SUPERUSER_ID, {})
            env2["credit.approval.request"]._cron_expire_approvals()
            Request = env2["credit.approval.request"]
            self.assertEqual(
                Request.browse(held).state, "approved", "held by another transaction: left for later"
            )
            self.assertEqual(Request.browse(free).state, "expired")
            cr2.commit()
        finally:
            cr1.close()
            cr2.close()

    def test_a_refresh_does_not_forget_a_change_committed_meanwhile(self):
        """The job computes and forgets the changes its snapshot sees; a change
        committed by another transaction meanwhile stays listed, so every read
        keeps computing that customer from the documents until the next run."""
        partner_id = self.ids["partner"]
        with self.db.cursor() as cr:
            api.Environment(cr, SUPERUSER_ID, {})["credit.figures.store"]._refresh()
        cr1 = self.db.cursor()
        cr2 = self.db.cursor()
        try:
            env1 = api.Environment(cr1, SUPERUSER_ID, {})
            cr1.execute("SELECT 1")  # the job's snapshot, taken before the change
            env2 = api.Environment(cr2, SUPERUSER_ID, {})
            env2["res.partner"].browse(partner_id).credit_limit = 4321.0
            cr2.commit()
            env1["credit.figures.store"]._refresh()
            cr1.commit()
        finally:
            cr1.close()
            cr2.close()
        with self.db.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            cr.execute("SELECT 1 FROM credit_figures_dirty WHERE partner_id = %s", [partner_id])
            self.assertTrue(cr.fetchall(), "the change committed meanwhile is still listed")
            company = env.ref("base.main_company")
            rows = env["credit.figures.store"]._fetch(company, [partner_id])
            self.assertEqual(rows[partner_id]["credit_limit"], 4321.0)
            env["credit.figures.store"]._refresh()
            cr.execute("SELECT 1 FROM credit_figures_dirty WHERE partner_id = %s", [partner_id])
            self.assertFalse(cr.fetchall(), "the next run computes it")

    def test_a_change_while_the_job_runs_is_not_lost_on_a_listed_customer(self):
        """The customer is listed already when another transaction changes it while the job
        computes it: that change is listed again, so the job's cleanup does not forget it."""
        partner_id = self.ids["partner"]
        with self.db.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["credit.figures.store"]._refresh()
            env["res.partner"].browse(partner_id).credit_limit = 1111.0  # listed now
        cr_user = self.db.cursor()
        cr_job = self.db.cursor()
        try:
            cr_user.execute("SELECT 1")  # the user's snapshot sees the listed row
            api.Environment(cr_job, SUPERUSER_ID, {})["credit.figures.store"]._refresh()
            cr_job.commit()
            api.Environment(cr_user, SUPERUSER_ID, {})["res.partner"].browse(partner_id).credit_limit = 2222.0
            cr_user.commit()
        finally:
            cr_user.close()
            cr_job.close()
        with self.db.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            rows = env["credit.figures.store"]._fetch(env.ref("base.main_company"), [partner_id])
            self.assertEqual(rows[partner_id]["credit_limit"], 2222.0)
            cr.execute("SELECT 1 FROM credit_figures_dirty WHERE partner_id = %s", [partner_id])
            self.assertTrue(cr.fetchall())

    def test_a_setting_changed_while_the_job_runs_keeps_the_store_out_of_date(self):
        """The job computed the store with the old setting: it must not write it back as current."""
        with self.db.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            company = env.ref("base.main_company")
            self.saved["credit_overdue_days"] = company.credit_overdue_days
            env["credit.figures.store"]._refresh()
            env["res.partner"].browse(self.ids["partner"]).credit_limit = 1234.0  # something to do
        cr_job = self.db.cursor()
        cr_user = self.db.cursor()
        try:
            cr_job.execute("SELECT 1")  # the job's snapshot: before the change
            env_user = api.Environment(cr_user, SUPERUSER_ID, {})
            env_user.ref("base.main_company").credit_overdue_days = 7
            cr_user.commit()
            api.Environment(cr_job, SUPERUSER_ID, {})["credit.figures.store"]._refresh()
            cr_job.commit()
        finally:
            cr_job.close()
            cr_user.close()
        with self.db.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            company = env.ref("base.main_company")
            cr.execute("SELECT as_of FROM credit_figures_state WHERE company_id = %s", [company.id])
            self.assertNotEqual(
                cr.fetchall(), [(company._credit_today(),)], "not current: the setting changed"
            )


@tagged("post_install", "-at_install")
class TestConcurrentDunning(BaseCase):
    """Two dunning runs at once, in two real transactions: the step is done once."""

    def setUp(self):
        super().setUp()
        self.db = sql_db.db_connect(get_db_name())
        self.day = datetime.date(2026, 3, 17)
        with self.db.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            partner = env["res.partner"].create({"name": "Concurrent Debtor", "email": "debtor@example.com"})
            invoice = env["account.move"].create(
                {
                    "move_type": "out_invoice",
                    "partner_id": partner.id,
                    "invoice_date": self.day - datetime.timedelta(days=45),
                    "invoice_date_due": self.day - datetime.timedelta(days=15),
                    "invoice_line_ids": [
                        Command.create({"name": "Goods", "quantity": 1, "price_unit": 100.0, "tax_ids": []})
                    ],
                }
            )
            invoice.action_post()
            self.ids = {"partner": partner.id, "invoice": invoice.id, "company": env.company.id}
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self.db.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            partner = env["res.partner"].browse(self.ids["partner"])
            env["credit.dunning.history"].search([("partner_id", "=", partner.id)]).unlink()
            env["mail.mail"].search([("model", "=", "res.partner"), ("res_id", "=", partner.id)]).unlink()
            invoice = env["account.move"].browse(self.ids["invoice"])
            invoice.button_draft()
            invoice.unlink()
            partner.unlink()

    def run_dunning(self, env):
        company = env["res.company"].browse(self.ids["company"])
        return env["credit.dunning"]._run(company, self.day, partner_ids=[self.ids["partner"]])

    def steps(self):
        with self.db.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            history = env["credit.dunning.history"].search([("partner_id", "=", self.ids["partner"])])
            mails = env["mail.mail"].search_count(
                [("model", "=", "res.partner"), ("res_id", "=", self.ids["partner"])]
            )
            return len(history), mails

    def test_two_runs_at_once(self):
        cr1 = self.db.cursor()
        cr2 = self.db.cursor()
        try:
            env1 = api.Environment(cr1, SUPERUSER_ID, {})
            env2 = api.Environment(cr2, SUPERUSER_ID, {})
            self.assertEqual(len(self.run_dunning(env1)), 1)
            # The first run holds the invoice: the second skips the customer.
            self.assertEqual(len(self.run_dunning(env2)), 0)
            cr1.commit()
            cr2.commit()
        finally:
            cr1.close()
            cr2.close()
        self.assertEqual(self.steps(), (1, 1))

    def test_a_run_that_started_before_the_other_committed(self):
        cr1 = self.db.cursor()
        cr2 = self.db.cursor()
        try:
            env1 = api.Environment(cr1, SUPERUSER_ID, {})
            env2 = api.Environment(cr2, SUPERUSER_ID, {})
            cr2.execute("SELECT 1")  # the second run's snapshot is taken before the first commits
            self.assertEqual(len(self.run_dunning(env1)), 1)
            cr1.commit()
            # Its plan still sees the step as due, but it cannot lock what the first one changed.
            self.assertEqual(len(self.run_dunning(env2)), 0)
            cr2.commit()
        finally:
            cr1.close()
            cr2.close()
        self.assertEqual(self.steps(), (1, 1))
