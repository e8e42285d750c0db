import io
import re
from datetime import date, datetime

import openpyxl

from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import new_test_user, tagged

from .common import CreditRiskCommon


@tagged("post_install", "-at_install")
class TestCreditKpi(CreditRiskCommon):
    """The KPIs of a constructed history, April to June 2026, with the answers worked out by hand.

    - A4 500 of 1 February, due 3 March; 100 of it written off on 15 June.
    - A1 1,000 of 10 April, due 10 May, paid 20 May (40 days to pay, 10 beyond terms).
    - A2 2,000 of 5 May, due 4 June, paid 4 June (30 days, on time).
    - A3 3,000 of 10 June, due 10 July, open.
    Month ends: March 500 open (not current: due 3 March); April 1,500 (1,000
    current); May 2,500 (2,000 current); June 3,400 (3,000 current, A4's 400
    over 90 days: 119).
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.kpi_customer = cls.env["res.partner"].create({"name": "KPI Customer", "is_company": True})
        cls.a4 = cls._invoice(500.0, date(2026, 2, 1), date(2026, 3, 3))
        cls.a1 = cls._invoice(1000.0, date(2026, 4, 10), date(2026, 5, 10))
        cls.a2 = cls._invoice(2000.0, date(2026, 5, 5), date(2026, 6, 4))
        cls.a3 = cls._invoice(3000.0, date(2026, 6, 10), date(2026, 7, 10))
        cls._pay(cls.a1, date(2026, 5, 20))
        cls._pay(cls.a2, date(2026, 6, 4))
        cls._write_off(cls.a4, 100.0, date(2026, 6, 15))

    @classmethod
    def _invoice(cls, amount, invoice_date, due):
        move = cls.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": cls.kpi_customer.id,
                "invoice_date": invoice_date,
                "date": invoice_date,
                "invoice_date_due": due,
                "invoice_line_ids": [
                    Command.create({"name": "Goods", "quantity": 1, "price_unit": amount, "tax_ids": []})
                ],
            }
        )
        move.action_post()
        return move

    @classmethod
    def _pay(cls, invoice, payment_date):
        cls.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({"payment_date": payment_date})._create_payments()

    @classmethod
    def _write_off(cls, invoice, amount, write_off_date):
        receivable = invoice.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        )
        entry = cls.env["account.move"].create(
            {
                "move_type": "entry",
                "date": write_off_date,
                "journal_id": cls.company_data["default_journal_misc"].id,
                "line_ids": [
                    Command.create(
                        {
                            "account_id": receivable.account_id.id,
                            "partner_id": cls.kpi_customer.id,
                            "credit": amount,
                        }
                    ),
                    Command.create(
                        {"account_id": cls.company_data["default_account_expense"].id, "debit": amount}
                    ),
                ],
            }
        )
        entry.action_post()
        (
            receivable | entry.line_ids.filtered(lambda line: line.account_id == receivable.account_id)
        ).reconcile()

    def compute(self, partner_ids=None):
        return self.env["credit.kpi"]._compute(self.company, 2026, 6, 3, partner_ids or self.kpi_customer.ids)

    def test_month_end_amounts(self):
        months, _period = self.compute()
        self.assertEqual(
            [row["month"] for row in months], [date(2026, 4, 1), date(2026, 5, 1), date(2026, 6, 1)]
        )
        self.assertEqual([row["receivable"] for row in months], [1500.0, 2500.0, 3400.0])
        self.assertEqual([row["current"] for row in months], [1000.0, 2000.0, 3000.0])
        self.assertEqual([row["over_90"] for row in months], [0.0, 0.0, 400.0])
        self.assertEqual([row["credit_sales"] for row in months], [1000.0, 2000.0, 3000.0])
        self.assertEqual([row["written_off"] for row in months], [0.0, 0.0, 100.0])

    def test_june_kpis(self):
        june = self.compute()[0][-1]
        # DSO: 3,400 / 3,000 × 30 days.
        self.assertAlmostEqual(june["dso"], 34.0)
        # Countback: June's 3,000 sales take 30 days, then 400 of May's 2,000 over 31 days: 6.2.
        self.assertAlmostEqual(june["dso_countback"], 36.2)
        # Best possible: the current 3,000 / 3,000 × 30.
        self.assertAlmostEqual(june["best_dso"], 30.0)
        self.assertAlmostEqual(june["add"], 4.0)
        # CEI: (2,500 + 3,000 − 3,400) / (2,500 + 3,000 − 3,000) = 2,100 / 2,500.
        self.assertAlmostEqual(june["cei"], 84.0)
        self.assertAlmostEqual(june["share_current"], 3000 / 3400 * 100)
        self.assertAlmostEqual(june["share_over_90"], 400 / 3400 * 100)
        # Paid in June: A2, 30 days after its invoice, on its due date.
        self.assertAlmostEqual(june["days_to_pay"], 30.0)
        self.assertAlmostEqual(june["days_beyond_terms"], 0.0)
        # 100 written off of 3,000 sold.
        self.assertAlmostEqual(june["bad_debt_ratio"], 100 / 3000 * 100)

    def test_may_and_the_period(self):
        months, period = self.compute()
        may = months[1]
        self.assertAlmostEqual(may["days_to_pay"], 40.0)
        self.assertAlmostEqual(may["days_beyond_terms"], 10.0)
        # CEI of May: (1,500 + 2,000 − 2,500) / (1,500 + 2,000 − 2,000).
        self.assertAlmostEqual(may["cei"], 1000 / 1500 * 100)
        # April opens on March's 500.
        self.assertAlmostEqual(months[0]["cei"], (500 + 1000 - 1500) / (500 + 1000 - 1000) * 100)
        # Over the three months: A1 and A2 paid, weighted by amount.
        self.assertAlmostEqual(period["days_to_pay"], (1000 * 40 + 2000 * 30) / 3000)
        self.assertAlmostEqual(period["days_beyond_terms"], (1000 * 10) / 3000)
        self.assertAlmostEqual(period["bad_debt_ratio"], 100 / 6000 * 100)

    def test_other_customers_are_not_counted(self):
        self.make_invoice(self.customer, 999.0, due=date(2026, 6, 30), invoice_date=date(2026, 6, 1))
        june = self.compute()[0][-1]
        self.assertEqual(june["receivable"], 3400.0)
        everyone = self.env["credit.kpi"]._compute(self.company, 2026, 6, 3)[0][-1]
        self.assertEqual(everyone["receivable"] - june["receivable"], 999.0 + self._others_open_at_june_end())

    def _others_open_at_june_end(self):
        """What the company's other customers (from the common set-up) had open at the end of June."""
        lines = self.env["account.move.line"].search(
            [
                ("company_id", "=", self.company.id),
                ("account_id.account_type", "=", "asset_receivable"),
                ("parent_state", "=", "posted"),
                ("date", "<=", date(2026, 6, 30)),
                ("partner_id", "not in", [self.kpi_customer.id, self.customer.id]),
            ]
        )
        return sum(lines.mapped("balance"))

    def test_the_screen_for_an_accountant(self):
        accountant = self.env["res.users"].create(
            {
                "name": "KPI Accountant",
                "login": "kpi_accountant",
                "company_id": self.company.id,
                "company_ids": [Command.set(self.company.ids)],
                "groups_id": [Command.set(self.env.ref("account.group_account_readonly").ids)],
            }
        )
        wizard = self.env(user=accountant)["credit.kpi.wizard"].create(
            {"partner_id": self.kpi_customer.id, "end_date": date(2026, 6, 15), "month_count": 3}
        )
        wizard.action_compute()
        self.assertEqual(
            wizard.line_ids.mapped("month"), [date(2026, 4, 1), date(2026, 5, 1), date(2026, 6, 1)]
        )
        self.assertAlmostEqual(wizard.line_ids[-1].dso_countback, 36.2)
        self.assertAlmostEqual(wizard.days_to_pay, (1000 * 40 + 2000 * 30) / 3000, places=1)
        trend = wizard.action_open_trend()
        self.assertEqual(
            self.env[trend["res_model"]].with_user(accountant).search(trend["domain"]), wizard.line_ids
        )
        # A salesperson has no KPI screen.
        with self.assertRaises(AccessError):
            self.env(user=self.salesman)["credit.kpi.wizard"].create({})
        with self.assertRaises(ValidationError):
            self.env["credit.kpi.wizard"].create({"month_count": 0})

    def test_export_of_the_history(self):
        """A billing user's Excel export of the screen holds the KPIs worked out above."""
        billing = new_test_user(
            self.env,
            login="kpi_billing",
            groups="account.group_account_invoice",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        Wizard = self.env(user=billing)["credit.kpi.wizard"]
        self.assertIn('name="action_export_xlsx"', Wizard.get_view()["arch"])
        wizard = Wizard.create(
            {"partner_id": self.kpi_customer.id, "end_date": date(2026, 6, 15), "month_count": 3}
        )
        action = wizard.action_export_xlsx()
        self.assertEqual(action["target"], "download")
        attachment_id = re.fullmatch(r"/web/content/(\d+)\?download=true", action["url"]).group(1)
        attachment = self.env(user=billing)["ir.attachment"].browse(int(attachment_id))
        self.assertEqual(attachment.name, f"Credit KPIs - {self.company.name} - 2026-04-2026-06.xlsx")
        # Exporting computes, as the Compute button does: the screen shows the months too.
        self.assertEqual(
            wizard.line_ids.mapped("month"), [date(2026, 4, 1), date(2026, 5, 1), date(2026, 6, 1)]
        )

        kpis, parameters = openpyxl.load_workbook(io.BytesIO(attachment.raw)).worksheets
        header = [cell.value for cell in kpis[1]]
        rows = [dict(zip(header, row, strict=True)) for row in kpis.iter_rows(min_row=2, values_only=True)]
        self.assertEqual(
            [row["Month"] for row in rows],
            [datetime(2026, 4, 1), datetime(2026, 5, 1), datetime(2026, 6, 1), "Over the Period"],
        )
        april, may, june, period = rows
        self.assertEqual(june["Receivable at Month End"], 3400.0)
        self.assertEqual(june["Not Due at Month End"], 3000.0)
        self.assertEqual(june["Over 90 Days at Month End"], 400.0)
        self.assertAlmostEqual(june["DSO"], 34.0)
        self.assertAlmostEqual(june["DSO (Countback)"], 36.2)
        self.assertAlmostEqual(june["Best Possible DSO"], 30.0)
        self.assertAlmostEqual(june["Average Days Delinquent"], 4.0)
        # Shares are Excel percentages: a CEI of 84 % is 0.84, shown 84.0%.
        self.assertAlmostEqual(june["CEI (%)"], 0.84)
        self.assertAlmostEqual(june["Over 90 Days (%)"], 400 / 3400)
        self.assertAlmostEqual(june["Bad-Debt Ratio (%)"], 100 / 3000)
        self.assertAlmostEqual(may["Days to Pay"], 40.0)
        self.assertAlmostEqual(may["Days Beyond Terms"], 10.0)
        # Nothing was paid in April: the screen shows 0, the workbook an empty cell.
        self.assertEqual(wizard.line_ids[0].days_to_pay, 0.0)
        self.assertIsNone(april["Days to Pay"])
        self.assertAlmostEqual(period["Credit Sales"], 6000.0)
        self.assertAlmostEqual(period["Days to Pay"], (1000 * 40 + 2000 * 30) / 3000)
        self.assertAlmostEqual(period["Bad-Debt Ratio (%)"], 100 / 6000)
        self.assertIsNone(period["DSO"])
        cei = kpis.cell(4, header.index("CEI (%)") + 1)
        self.assertEqual(cei.number_format, "0.0%")
        self.assertEqual(len(kpis._charts), 1)

        values = dict(parameters.iter_rows(values_only=True, max_col=2))
        self.assertEqual(values["Company"], self.company.name)
        self.assertEqual(values["Customer"], "KPI Customer")
        self.assertEqual((values["First Month"], values["Last Month"]), ("2026-04", "2026-06"))
        self.assertEqual(values["Generated by"], billing.name)

    def test_export_needs_the_kpi_screen(self):
        """A salesperson, who has no KPI screen, cannot export one a billing user made."""
        billing = new_test_user(
            self.env,
            login="kpi_billing_2",
            groups="account.group_account_invoice",
            company_id=self.company.id,
        )
        wizard = self.env(user=billing)["credit.kpi.wizard"].create(
            {"partner_id": self.kpi_customer.id, "end_date": date(2026, 6, 15), "month_count": 3}
        )
        self.env.invalidate_all()
        with self.assertRaises(AccessError):
            self.env(user=self.salesman)["credit.kpi.wizard"].browse(wizard.id).action_export_xlsx()
