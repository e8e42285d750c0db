import base64
import io
from datetime import date, datetime

import openpyxl

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..models.credit_report_export import BACKGROUND_ITEMS_PARAM
from ..report.credit_aged_receivable import AS_OF, BASIS, PERIOD_COUNT, PERIOD_DAYS
from .common import CreditRiskCommon

AS_OF_DATE = date(2026, 6, 30)


@tagged("post_install", "-at_install")
class TestAgedReceivables(CreditRiskCommon):
    """A constructed history, aged as of 30 June 2026 and other dates.

    Company A (USD), customer "Credit Customer":
    - INV1 1,000 of 1 April, terms 50 % at 30 days (1 May) and 50 % at 75 days (15 June);
      300 paid on 20 May (before the date);
    - INV2 600 of 10 June, due 10 July, paid in full on 5 July (after the date);
    - CN1 100 of 20 June, not matched; CN2 50 of 2 July (after the date);
    - INV3 200 EUR of 1 March, due 31 March, at 2 EUR per USD (100 USD), paid
      200 EUR on 10 July at 2.5 (80 USD: an exchange difference of 20 USD).
    Company B: the same customer, 700 of 1 June, due the same day.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.eur = cls.setup_other_currency("EUR", rates=[("2026-01-01", 2.0), ("2026-07-01", 2.5)])
        cls.company_b = cls.setup_other_company(name="Credit Company B")["company"]
        cls.env.user.company_ids |= cls.company_b
        terms = cls.env["account.payment.term"].create(
            {
                "name": "Half at 30 days, half at 75",
                "line_ids": [
                    Command.create({"value": "percent", "value_amount": 50.0, "nb_days": 30}),
                    Command.create({"value": "percent", "value_amount": 50.0, "nb_days": 75}),
                ],
            }
        )
        customer = cls.customer
        cls.inv1 = cls._invoice(customer, 1000.0, date(2026, 4, 1), invoice_payment_term_id=terms.id)
        cls.inv2 = cls._invoice(customer, 600.0, date(2026, 6, 10), invoice_date_due=date(2026, 7, 10))
        cls.cn1 = cls._invoice(
            customer, 100.0, date(2026, 6, 20), move_type="out_refund", invoice_date_due=date(2026, 6, 20)
        )
        cls.cn2 = cls._invoice(
            customer, 50.0, date(2026, 7, 2), move_type="out_refund", invoice_date_due=date(2026, 7, 2)
        )
        cls.inv3 = cls._invoice(
            customer, 200.0, date(2026, 3, 1), invoice_date_due=date(2026, 3, 31), currency_id=cls.eur.id
        )
        cls.inv_b = cls._invoice(
            customer, 700.0, date(2026, 6, 1), company=cls.company_b, invoice_date_due=date(2026, 6, 1)
        )
        cls._pay(cls.inv1, date(2026, 5, 20), amount=300.0)
        cls._pay(cls.inv2, date(2026, 7, 5))
        cls._pay(cls.inv3, date(2026, 7, 10))

    @classmethod
    def _invoice(cls, partner, amount, invoice_date, move_type="out_invoice", company=None, **values):
        company = company or cls.company
        move = (
            cls.env["account.move"]
            .with_company(company)
            .create(
                {
                    "move_type": move_type,
                    "partner_id": partner.id,
                    "invoice_date": invoice_date,
                    "date": invoice_date,
                    "invoice_line_ids": [
                        Command.create({"name": "Goods", "quantity": 1, "price_unit": amount, "tax_ids": []})
                    ],
                    **values,
                }
            )
        )
        move.action_post()
        return move

    @classmethod
    def _pay(cls, invoice, payment_date, amount=None):
        values = {"payment_date": payment_date}
        if amount:
            values["amount"] = amount
        return (
            cls.env["account.payment.register"]
            .with_company(invoice.company_id)
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create(values)
            ._create_payments()
        )

    def rows(self, as_of=AS_OF_DATE, basis="due", days=30, count=4, user=None, companies=None):
        env = self.env(user=user) if user else self.env
        companies = companies or (self.company | self.company_b)
        # Rows are journal items: their values depend on the parameters, the cache does not.
        env["credit.aged.receivable"].invalidate_model()
        report = (
            env["credit.aged.receivable"]
            .with_context(
                **{AS_OF: str(as_of), BASIS: basis, PERIOD_DAYS: days, PERIOD_COUNT: count},
                allowed_company_ids=companies.ids,
            )
            .search([("partner_id", "=", self.customer.id)])
        )
        return report

    def balance(self, company, as_of):
        """The receivable accounts' balance of the customer on the date, from the journal items."""
        [(total,)] = self.env["account.move.line"]._read_group(
            [
                ("company_id", "=", company.id),
                ("partner_id", "=", self.customer.id),
                ("account_id.account_type", "=", "asset_receivable"),
                ("parent_state", "=", "posted"),
                ("date", "<=", as_of),
            ],
            aggregates=["balance:sum"],
        )
        return total

    def test_open_items_as_they_stood_on_the_date(self):
        rows = self.rows().filtered(lambda row: row.company_id == self.company)
        by_move = {}
        for row in rows:
            by_move.setdefault(row.move_id, []).append(row)
        # INV1: two installments, each aged by its own due date; the 300 paid before the date settled one.
        installments = sorted((row.date_maturity, row.residual, row.days) for row in by_move[self.inv1])
        self.assertEqual(
            installments,
            [(date(2026, 5, 1), 200.0, 60), (date(2026, 6, 15), 500.0, 15)],
        )
        # INV2 was paid after the date: fully open, not due yet.
        [inv2] = by_move[self.inv2]
        self.assertEqual((inv2.residual, inv2.amount_not_due, inv2.days), (600.0, 600.0, -10))
        # CN1 open (a credit); CN2 dated after the date: absent.
        self.assertEqual([row.residual for row in by_move[self.cn1]], [-100.0])
        self.assertNotIn(self.cn2, by_move)
        # INV3 in EUR: 200 EUR, 100 USD at its own rate, 91 days past due; paid after the date.
        [inv3] = by_move[self.inv3]
        self.assertEqual((inv3.residual, inv3.residual_currency, inv3.currency_id), (100.0, 200.0, self.eur))
        self.assertEqual((inv3.days, inv3.amount_period_4), (91, 100.0))
        # The payments: the one before the date is fully matched, the others are after it.
        self.assertEqual(set(by_move), {self.inv1, self.inv2, self.cn1, self.inv3})
        # Each item in exactly one column.
        columns = ["amount_not_due", *(f"amount_period_{n}" for n in range(1, 6)), "amount_older"]
        for row in rows:
            self.assertEqual(sum(row[name] for name in columns), row.residual)
        self.assertEqual(sum(rows.mapped("amount_period_1")), 500.0 - 100.0)
        self.assertEqual(sum(rows.mapped("amount_period_2")), 200.0)

    def test_total_equals_the_receivable_balance_on_any_date(self):
        for as_of in (date(2026, 4, 30), AS_OF_DATE, date(2026, 7, 5), date(2026, 7, 31), date(2026, 12, 31)):
            for company in (self.company, self.company_b):
                with self.subTest(as_of=as_of, company=company.name):
                    rows = self.rows(as_of=as_of).filtered(lambda row, c=company: row.company_id == c)
                    self.assertEqual(
                        company.currency_id.compare_amounts(
                            sum(rows.mapped("residual")), self.balance(company, as_of)
                        ),
                        0,
                    )

    def test_aged_by_invoice_date_and_other_periods(self):
        rows = self.rows(basis="invoice", days=60, count=2).filtered(
            lambda row: row.company_id == self.company
        )
        inv1 = rows.filtered(lambda row: row.move_id == self.inv1)
        # Both installments of INV1 are aged from 1 April: 90 days, past the two periods of 60 days.
        self.assertEqual(set(inv1.mapped("days")), {90})
        self.assertEqual(sum(inv1.mapped("amount_period_2")), 700.0)
        inv3 = rows.filtered(lambda row: row.move_id == self.inv3)
        self.assertEqual((inv3.days, inv3.amount_older), (121, 100.0))
        self.assertEqual(inv3.period, "Older")

    def test_column_titles_follow_the_periods(self):
        report = self.env["credit.aged.receivable"].with_context(**{PERIOD_DAYS: 15, PERIOD_COUNT: 2})
        fields = report.fields_get(["amount_period_1", "amount_period_2", "amount_older"], ["string"])
        self.assertEqual(
            [fields[name]["string"] for name in ("amount_period_1", "amount_period_2", "amount_older")],
            ["1-15", "16-30", "Older"],
        )

    def test_bad_parameters_are_refused_clearly(self):
        Report = self.env["credit.aged.receivable"]
        for context in ({AS_OF: "not a date"}, {BASIS: "moon"}, {PERIOD_DAYS: 0}, {PERIOD_COUNT: 9}):
            with self.subTest(context=context), self.assertRaises(UserError):
                Report.with_context(**context).search([])
        Wizard = self.env["credit.aged.receivable.wizard"]
        with self.assertRaises(ValidationError):
            Wizard.create({"period_days": 30, "period_count": 6})

    def test_wizard_opens_the_report_with_its_filters(self):
        other = self.env["res.partner"].create({"name": "Other Aged Customer", "is_company": True})
        self._invoice(other, 50.0, date(2026, 6, 1))
        tag = self.env["res.partner.category"].create({"name": "Key account"})
        self.customer.category_id = tag
        wizard = self.env["credit.aged.receivable.wizard"].create(
            {
                "as_of_date": AS_OF_DATE,
                "category_ids": [Command.set(tag.ids)],
                "company_ids": [Command.set(self.company.ids)],
            }
        )
        action = wizard.action_view()
        self.env["credit.aged.receivable"].invalidate_model()
        rows = self.env["credit.aged.receivable"].with_context(**action["context"]).search(action["domain"])
        self.assertEqual(rows.partner_id, self.customer)
        self.assertEqual(rows.company_id, self.company)
        self.assertEqual(sum(rows.mapped("residual")), self.balance(self.company, AS_OF_DATE))

    def test_access_follows_companies_and_groups(self):
        # An accountant of company A alone: company B's items are not shown.
        accountant = self.env["res.users"].create(
            {
                "name": "Aged Accountant",
                "login": "aged_accountant",
                "company_id": self.company.id,
                "company_ids": [Command.set(self.company.ids)],
                "groups_id": [Command.set(self.env.ref("account.group_account_readonly").ids)],
            }
        )
        rows = self.rows(user=accountant, companies=self.company)
        self.assertTrue(rows)
        self.assertEqual(rows.company_id, self.company)
        # A salesperson reads no aged receivables, through the report or the wizard.
        with self.assertRaises(AccessError):
            self.rows(user=self.salesman, companies=self.company).mapped("residual")
        with self.assertRaises(AccessError):
            self.env(user=self.salesman)["credit.aged.receivable.wizard"].create({})

    def test_workbook_of_the_report(self):
        """The export holds the report's items and sums; numbers are numbers, dates dates."""
        wizard = self.env["credit.aged.receivable.wizard"].create(
            {"as_of_date": AS_OF_DATE, "company_ids": [Command.set(self.company.ids)]}
        )
        action = wizard.action_export_xlsx()
        attachment = self.env["ir.attachment"].browse(int(action["url"].split("/")[3].split("?")[0]))
        self.assertEqual(action["target"], "download")
        book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(attachment.datas)), data_only=True)
        summary, detail, parameters = book.worksheets
        header = [cell.value for cell in summary[1]]
        self.assertEqual(header[:3], ["Customer", "Not Due", "1-30"])
        customer_row = next(
            row
            for row in summary.iter_rows(min_row=2, values_only=True)
            if row[0] == self.customer.display_name
        )
        total = customer_row[header.index("Total")]
        self.assertEqual(total, self.balance(self.company, AS_OF_DATE))
        self.assertEqual(customer_row[header.index("31-60")], 200.0)
        self.assertEqual(customer_row[header.index("Credit Limit")], 10000.0)
        detail_header = [cell.value for cell in detail[1]]
        rows = list(detail.iter_rows(min_row=2, values_only=True))
        self.assertEqual(len(rows), 5)
        due_dates = {row[detail_header.index("Due Date")] for row in rows}
        self.assertIn(datetime(2026, 5, 1), due_dates)
        self.assertEqual(
            sum(row[detail_header.index("Open Amount")] for row in rows),
            self.balance(self.company, AS_OF_DATE),
        )
        values = dict(parameters.iter_rows(min_row=1, values_only=True, max_col=2))
        self.assertEqual(values.get("As of"), datetime(2026, 6, 30))

    # ------------------------------------------------------------------
    # Big exports, built in the background
    # ------------------------------------------------------------------
    def _accountant(self, login):
        return self.env["res.users"].create(
            {
                "name": login.replace("_", " ").title(),
                "login": login,
                "company_id": self.company.id,
                "company_ids": [Command.set(self.company.ids)],
                "groups_id": [Command.set(self.env.ref("account.group_account_readonly").ids)],
            }
        )

    def test_big_export_is_built_in_the_background(self):
        self.env["ir.config_parameter"].sudo().set_param(BACKGROUND_ITEMS_PARAM, "2")
        accountant = self._accountant("export_accountant")
        cron = self.env.ref("credit_risk_addon.ir_cron_credit_report_export")
        self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]).unlink()
        wizard = self.env(user=accountant)["credit.aged.receivable.wizard"].create(
            {"as_of_date": AS_OF_DATE, "company_ids": [Command.set(self.company.ids)], "period_count": 2}
        )
        action = wizard.action_export_xlsx()
        # More items than the threshold: queued, the user told where to follow it, the job woken.
        self.assertEqual(action["tag"], "display_notification")
        self.assertEqual(action["params"]["next"]["res_model"], "credit.report.export")
        export = self.env["credit.report.export"].sudo().search([("user_id", "=", accountant.id)])
        self.assertEqual((export.state, export.report, export.progress), ("queued", "aged_receivables", 0))
        self.assertTrue(self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]))
        self.env["credit.report.export"]._cron_build_exports(auto_commit=False)
        self.assertEqual((export.state, export.progress), ("done", 100))
        self.assertEqual(export.file_name, "Aged Receivables 2026-06-30.xlsx")
        # Built as the accountant, with the options chosen: company A's items, two periods.
        book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(export.file)), data_only=True)
        summary = book.worksheets[0]
        header = [cell.value for cell in summary[1]]
        self.assertEqual(header[:5], ["Customer", "Not Due", "1-30", "31-60", "Older"])
        total = sum(
            row[header.index("Total")]
            for row in summary.iter_rows(min_row=2, values_only=True)
            if row[0] == self.customer.display_name
        )
        self.assertEqual(total, self.balance(self.company, AS_OF_DATE))
        # The accountant is told (a notification on their bus channel, sent at commit) and may download it.
        self.env.cr.precommit.run()
        message = (
            self.env["bus.bus"].sudo().search([("message", "like", "Export ready")], order="id desc", limit=1)
        )
        self.assertIn(f'"res.partner",{accountant.partner_id.id}]', message.channel)
        download = export.with_user(accountant).action_download()
        self.assertIn(f"/web/content/credit.report.export/{export.id}/file/", download["url"])
        # Nobody else sees it, nor may queue one in the accountant's name.
        with self.assertRaises(AccessError):
            export.with_user(self.credit_user).read(["file"])
        self.assertFalse(self.env(user=self.credit_user)["credit.report.export"].search([]))
        with self.assertRaises(AccessError):
            self.env(user=self.credit_user)["credit.report.export"].create(
                {"report": "aged_receivables", "name": "Not mine", "user_id": accountant.id}
            )
        # A salesperson has no exports at all.
        with self.assertRaises(AccessError):
            self.env(user=self.salesman)["credit.report.export"].search([])

    def test_small_export_downloads_at_once(self):
        self.env["ir.config_parameter"].sudo().set_param(BACKGROUND_ITEMS_PARAM, "100")
        wizard = self.env(user=self._accountant("small_accountant"))["credit.aged.receivable.wizard"].create(
            {"as_of_date": AS_OF_DATE, "company_ids": [Command.set(self.company.ids)]}
        )
        self.assertEqual(wizard.action_export_xlsx()["target"], "download")
        self.assertFalse(self.env["credit.report.export"].sudo().search([]))

    @mute_logger("odoo.addons.credit_risk_addon.models.credit_report_export")
    def test_a_failing_export_is_recorded_and_the_job_goes_on(self):
        accountant = self._accountant("failing_accountant")
        Export = self.env(user=accountant)["credit.report.export"]
        good_values = {"as_of_date": "2026-06-30", "company_ids": [Command.set(self.company.ids)]}
        bad = Export.create(
            {"report": "aged_receivables", "name": "Bad", "parameters": {**good_values, "period_days": 0}}
        )
        # Company B is not the accountant's: refused when built as them.
        foreign = Export.create(
            {
                "report": "aged_receivables",
                "name": "Foreign",
                "parameters": {**good_values, "company_ids": [Command.set(self.company_b.ids)]},
            }
        )
        good = Export.create({"report": "aged_receivables", "name": "Good", "parameters": good_values})
        self.env["credit.report.export"]._cron_build_exports(auto_commit=False)
        self.assertEqual(bad.state, "failed")
        self.assertIn("Periods are 1 to 366 days long", bad.error)
        self.assertFalse(bad.file)
        self.assertEqual(foreign.state, "failed")
        self.assertFalse(foreign.file)
        self.assertEqual((good.state, good.progress), ("done", 100))
        self.assertTrue(good.file)
