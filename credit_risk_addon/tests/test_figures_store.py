from datetime import timedelta
from unittest.mock import patch

from odoo.tests import tagged
from odoo.tools import SQL

from ..models.credit_figures_store import DIRTY_TABLE, STATE_TABLE, STORE_TABLE
from .common import CreditRiskCommon


@tagged("post_install", "-at_install")
class TestFiguresStore(CreditRiskCommon):
    """The stored figures are always those computed from the documents.

    Runs on the company's real date (no frozen clock): the store is kept per
    company and day.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Store = cls.env["credit.figures.store"]
        cls.today = cls.company._credit_today()
        cls.other = cls.env["res.partner"].create({"name": "Other Customer", "is_company": True})
        cls.other.credit_limit = 5000.0

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------
    def invoice(self, partner, amount, **kw):
        """An invoice of today (the company's real date, as the store's)."""
        return self.make_invoice(
            partner, amount, invoice_date=self.today, due=kw.pop("due", self.today), **kw
        )

    def execute(self, query):
        self.env.flush_all()
        return self.env.execute_query_dict(query)

    def rows(self, query):
        """Rows by partner, values rounded (what the two ways of summing may differ by)."""
        return {
            row["partner_id"]: {
                key: round(value, 6) if isinstance(value, float) else value for key, value in row.items()
            }
            for row in self.execute(query)
        }

    def live(self):
        return self.rows(self.env["credit.figures"]._figures_query(self.today, [self.company.id]))

    def current(self):
        self.env.cr.cache.clear()
        return self.rows(self.Store._current_query([self.company.id]))

    def stored(self):
        return self.rows(
            SQL("SELECT * FROM %s WHERE company_id = %s", SQL.identifier(STORE_TABLE), self.company.id)
        )

    def dirty(self):
        return {
            row["partner_id"]
            for row in self.execute(SQL("SELECT partner_id FROM %s", SQL.identifier(DIRTY_TABLE)))
        }

    def assertCurrentIsLive(self, partners):
        live = self.live()
        self.assertEqual(self.current(), live)
        fetched = self.Store._fetch(self.company, partners.ids)
        requested = self.rows(
            self.env["credit.figures"]._figures_query(self.today, [self.company.id], partners.ids)
        )
        for partner in partners:
            self.assertEqual(
                {
                    key: round(value, 6) if isinstance(value, float) else value
                    for key, value in fetched[partner.id].items()
                },
                requested[partner.id],
            )
        return live

    def refresh(self):
        self.Store._refresh()
        self.assertFalse(self.dirty())
        self.assertEqual(self.stored(), self.live())

    def tamper(self, partner, exposure=123456.0):
        """Write a figure into the store that no document gives: shows whether a read used the store."""
        self.env.cr.execute(
            SQL(
                "UPDATE %s SET exposure = %s WHERE partner_id = %s",
                SQL.identifier(STORE_TABLE),
                exposure,
                partner.id,
            )
        )
        self.env.cr.cache.clear()
        self.env.invalidate_all()

    # ------------------------------------------------------------------
    # Tests
    # ------------------------------------------------------------------
    def test_every_change_of_the_documents_is_seen(self):
        """Each kind of change marks its customer changed; reads stay equal to the documents."""
        customers = self.customer | self.other
        overdue = self.invoice(self.customer, 800.0, due=self.today - timedelta(days=40))
        self.make_order(self.other, 300.0, confirm=True)
        self.refresh()
        self.assertIn(self.customer.id, self.stored())

        steps = [
            ("invoice posted", self.customer, lambda: self.invoice(self.customer, 500.0)),
            ("draft invoice", self.other, lambda: self.invoice(self.other, 70.0, post=False)),
            ("order confirmed", self.customer, lambda: self.make_order(self.customer, 400.0, confirm=True)),
            ("payment", self.customer, lambda: self.pay(overdue)),
            (
                "credit note",
                self.other,
                lambda: self.invoice(self.other, 50.0, move_type="out_refund"),
            ),
            ("limit", self.customer, lambda: setattr(self.customer, "credit_limit", 2500.0)),
            ("hold", self.other, lambda: self.other.sudo().write({"credit_hold": True})),
        ]
        for name, partner, change in steps:
            with self.subTest(name):
                change()
                self.env.flush_all()
                self.assertIn(partner.id, self.dirty(), f"{name}: the customer is not marked changed")
                self.assertCurrentIsLive(customers)
                self.refresh()
                self.assertCurrentIsLive(customers)

    def test_order_lines_and_invoicing_of_a_confirmed_order(self):
        order = self.make_order(self.customer, 1000.0, confirm=True)
        self.refresh()
        order.order_line.sudo().product_uom_qty = 3
        self.env.flush_all()
        self.assertIn(self.customer.id, self.dirty())
        live = self.assertCurrentIsLive(self.customer)
        self.assertAlmostEqual(live[self.customer.id]["orders"], 3000.0)
        self.refresh()
        invoice = order.sudo()._create_invoices()
        invoice.action_post()
        self.env.flush_all()
        self.assertIn(self.customer.id, self.dirty())
        live = self.assertCurrentIsLive(self.customer)
        self.assertAlmostEqual(live[self.customer.id]["orders"], 0.0)
        self.assertAlmostEqual(live[self.customer.id]["receivable"], 3000.0)

    def test_contact_moving_to_another_customer(self):
        # Its confirmed order is billed to the contact: the debtor is the contact's company.
        self.make_order(self.contact, 600.0, confirm=True)
        self.refresh()
        self.contact.parent_id = self.other
        self.env.flush_all()
        self.assertLessEqual({self.customer.id, self.other.id}, self.dirty())
        live = self.assertCurrentIsLive(self.customer | self.other)
        self.assertAlmostEqual(live[self.other.id]["orders"], 600.0)
        self.assertNotIn(self.customer.id, live)

    def test_reads_use_the_stored_row_until_the_customer_changes(self):
        self.invoice(self.customer, 900.0)
        self.refresh()
        self.tamper(self.customer)
        # Field, report, partner search and the gate's fetch all read the stored row.
        partner = self.figures(self.customer)
        self.assertEqual(partner.credit_exposure, 123456.0)
        self.assertEqual(
            self.Store._fetch(self.company, self.customer.ids)[self.customer.id]["exposure"], 123456.0
        )
        self.assertIn(self.customer, self.env["res.partner"].search([("credit_exposure", ">", 100000)]))
        report = self.env["credit.exposure.report"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual(report.exposure, 123456.0)
        # A change of its documents: computed again, whatever the store says.
        self.invoice(self.customer, 100.0)
        self.env.cr.cache.clear()
        self.assertAlmostEqual(self.figures(self.customer).credit_exposure, 1000.0)
        self.assertEqual(self.current()[self.customer.id]["exposure"], 1000.0)

    def test_a_store_of_another_day_is_not_read(self):
        self.invoice(self.customer, 900.0)
        self.refresh()
        self.tamper(self.customer)
        self.env.cr.execute(SQL("UPDATE %s SET as_of = as_of - 1", SQL.identifier(STATE_TABLE)))
        self.env.cr.cache.clear()
        self.assertAlmostEqual(self.figures(self.customer).credit_exposure, 900.0)
        self.assertEqual(self.current(), self.live())
        # The next run recomputes every customer, not only the changed ones.
        self.Store._refresh()
        self.assertEqual(self.stored(), self.live())

    def test_settings_and_default_limit_make_the_store_stale(self):
        def state():
            return self.execute(
                SQL(
                    "SELECT as_of FROM %s WHERE company_id = %s AND as_of IS NOT NULL",
                    SQL.identifier(STATE_TABLE),
                    self.company.id,
                )
            )

        self.invoice(self.customer, 900.0, post=False)
        self.refresh()
        self.tamper(self.customer)
        self.company.credit_include_draft_invoices = False
        self.env.flush_all()
        self.assertFalse(state())
        self.assertAlmostEqual(self.figures(self.customer).credit_exposure, 0.0)
        self.refresh()
        self.assertTrue(state())
        self.env["ir.default"].set("res.partner", "credit_limit", 777.0, company_id=self.company.id)
        self.env.flush_all()
        self.assertFalse(state())
        self.assertEqual(self.current(), self.live())

    def test_a_company_that_fails_is_logged_and_the_others_kept(self):
        company_b = self.env["res.company"].create({"name": "Second Credit Company"})
        self.invoice(self.customer, 900.0)
        real_today = type(self.company)._credit_today

        def failing_today(company):
            if company == company_b:
                raise ValueError("broken company")
            return real_today(company)

        with (
            patch.object(type(self.company), "_credit_today", failing_today),
            self.assertLogs("odoo.addons.credit_risk_addon.models.credit_figures_store", "ERROR") as logs,
        ):
            self.Store._refresh()
        self.assertIn("Second Credit Company", logs.output[0])
        states = {
            row["company_id"]
            for row in self.execute(
                SQL("SELECT company_id FROM %s WHERE as_of IS NOT NULL", SQL.identifier(STATE_TABLE))
            )
        }
        self.assertIn(self.company.id, states)
        self.assertNotIn(company_b.id, states)
        self.assertEqual(self.stored(), self.live())

    def test_queries_of_a_fetch_stored_changed_and_another_day(self):
        self.invoice(self.customer, 900.0)
        self.refresh()
        # Stored and current: one small query, no figures computed.
        with self.assertQueryCount(1):
            rows = self.Store._fetch(self.company, self.customer.ids)
        self.assertAlmostEqual(rows[self.customer.id]["exposure"], 900.0)
        # A changed customer beside it: computed in a second query.
        self.invoice(self.other, 100.0)
        self.env.flush_all()
        with self.assertQueryCount(2):
            rows = self.Store._fetch(self.company, (self.customer | self.other).ids)
        self.assertAlmostEqual(rows[self.customer.id]["exposure"], 900.0)
        self.assertAlmostEqual(rows[self.other.id]["exposure"], 100.0)
        # A store of another day, once seen: straight from the documents.
        self.env.cr.execute(SQL("UPDATE %s SET as_of = as_of - 1", SQL.identifier(STATE_TABLE)))
        self.Store._fetch(self.company, self.customer.ids)
        with self.assertQueryCount(1):
            rows = self.Store._fetch(self.company, self.customer.ids)
        self.assertAlmostEqual(rows[self.customer.id]["exposure"], 900.0)

    def test_uninstall_removes_triggers_and_tables(self):
        def leftovers():
            return self.execute(
                SQL(
                    """SELECT tgname AS name FROM pg_trigger WHERE tgname LIKE %s
                       UNION ALL SELECT proname FROM pg_proc WHERE proname LIKE %s
                       UNION ALL SELECT relname FROM pg_class WHERE relname IN %s""",
                    "credit_figures%",
                    "credit_figures%",
                    (STORE_TABLE, STATE_TABLE, DIRTY_TABLE),
                )
            )

        self.assertTrue(leftovers())
        with self.env.cr.savepoint(flush=False) as savepoint:
            self.Store._drop_schema()
            self.assertFalse(leftovers())
            # Without the triggers, documents can still be written.
            self.invoice(self.customer, 10.0)
            savepoint.rollback()
        self.assertTrue(leftovers())

    def test_confirming_an_order_moves_the_drafts_of_its_lines_to_another_customer(self):
        """A draft invoiced from an order counts inside the order while the order is confirmed:
        (re)confirming the order changes the figures of the draft's customer too."""
        self.other.credit_limit = 1200.0
        order = self.make_order(self.customer, 1000.0, confirm=True)
        invoice = order.sudo()._create_invoices()
        invoice.partner_id = self.other  # made out to another customer, still from the order
        order.sudo()._action_cancel()
        invoice.button_draft()
        order.sudo().action_draft()
        self.refresh()
        self.assertAlmostEqual(self.stored()[self.other.id]["draft_invoices"], 1000.0)
        order.sudo().action_confirm()
        self.env.flush_all()
        self.assertIn(self.other.id, self.dirty())
        live = self.assertCurrentIsLive(self.customer | self.other)
        self.assertAlmostEqual(live[self.other.id]["draft_invoices"], 0.0)

    def test_a_default_limit_not_written_yet_is_read(self):
        self.env["ir.default"].set("res.partner", "credit_limit", 99.0, company_id=self.company.id)
        self.refresh()
        newcomer = self.env["res.partner"].create({"name": "Newcomer", "is_company": True})
        self.env.flush_all()
        self.env["ir.default"].set("res.partner", "credit_limit", 5.0, company_id=self.company.id)
        self.assertEqual(self.Store._fetch(self.company, newcomer.ids)[newcomer.id]["credit_limit"], 5.0)
