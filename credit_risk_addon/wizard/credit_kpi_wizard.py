import base64

from odoo import Command, api, fields, models
from odoo.exceptions import ValidationError

from ..exports.kpis import COLUMN_KEYS, MONTH, build_workbook
from ..models.credit_report_export import XLSX_MIMETYPE
from .credit_aged_receivable_wizard import _currency_format

MAX_MONTHS = 36
KPI_HELP = {
    "dso": "Days sales outstanding, simple ratio: receivable at the month's end / the month's credit sales "
    "× the days of the month.",
    "dso_countback": "Days sales outstanding by the countback method: the month's end receivable is "
    "matched against the credit sales of the latest months, newest first (up to 12 months back).",
    "best_dso": "Best possible DSO: the receivable not due yet at the month's end / the month's credit "
    "sales × the days of the month.",
    "add": "Average days delinquent: DSO (simple ratio) less the best possible DSO.",
    "cei": "Collection effectiveness index of the month, in %: (opening receivable + credit sales − closing "
    "receivable) / (opening receivable + credit sales − closing receivable not due yet) × 100.",
    "share_current": "Share of the month-end receivable not due yet, in %.",
    "share_over_90": "Share of the month-end receivable more than 90 days past due, in %.",
    "days_to_pay": "Invoices paid in full in the month: average days from invoice date to payment, weighted "
    "by amount.",
    "days_beyond_terms": "Invoices paid in full in the month: average days paid after the due date (0 when "
    "paid on time), weighted by amount.",
    "bad_debt_ratio": "Receivables written off in the month (settled by a journal entry that is not a "
    "payment, a credit note or an exchange difference) / the month's credit sales, in %.",
}


class CreditKpiWizard(models.TransientModel):
    """The credit KPIs of a company, or of one customer, month by month over a period."""

    _name = "credit.kpi.wizard"
    _description = "Credit KPIs"

    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    currency_id = fields.Many2one(related="company_id.currency_id")
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        help="Leave empty for the whole company.",
        domain=[("is_company", "=", True)],
    )
    end_date = fields.Date(
        string="Last Month",
        required=True,
        default=fields.Date.context_today,
        help="Any day of the last month.",
    )
    month_count = fields.Integer(string="Months", required=True, default=12)
    line_ids = fields.One2many("credit.kpi.line", "wizard_id", readonly=True)
    credit_sales = fields.Monetary(readonly=True, help="Customer invoices less credit notes of the period.")
    written_off = fields.Monetary(readonly=True)
    days_to_pay = fields.Float(
        string="Average Days to Pay", readonly=True, digits=(16, 1), help=KPI_HELP["days_to_pay"]
    )
    days_beyond_terms = fields.Float(readonly=True, digits=(16, 1), help=KPI_HELP["days_beyond_terms"])
    bad_debt_ratio = fields.Float(
        string="Bad-Debt Ratio (%)", readonly=True, digits=(16, 2), help=KPI_HELP["bad_debt_ratio"]
    )

    @api.constrains("month_count")
    def _check_month_count(self):
        for wizard in self:
            if not 1 <= wizard.month_count <= MAX_MONTHS:
                raise ValidationError(self.env._("Choose 1 to %(count)s months.", count=MAX_MONTHS))

    def action_compute(self):
        """Work out the KPIs of each month and of the period; shows them on this form."""
        self._refresh_kpis()
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "current",
        }

    def action_export_xlsx(self):
        """Work out the KPIs as *Compute* does and download them as an Excel workbook."""
        months, period = self._refresh_kpis()
        first, last = months[0]["month"], months[-1]["month"]
        content = build_workbook(
            [{key: month[key] for key in (MONTH, *COLUMN_KEYS)} for month in months],
            {key: value for key, value in period.items() if key in COLUMN_KEYS},
            self._export_parameters(first, last),
            self._export_labels(),
            _currency_format(self.company_id.currency_id),
        )
        name = self.env._(
            "Credit KPIs - %(company)s - %(first)s-%(last)s.xlsx",
            company=self.company_id.name,
            first=first.strftime("%Y-%m"),
            last=last.strftime("%Y-%m"),
        )
        attachment = self.env["ir.attachment"].create(
            {
                "name": name,
                "datas": base64.b64encode(content),
                "res_model": self._name,
                "res_id": self.id,
                "mimetype": XLSX_MIMETYPE,
            }
        )
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{attachment.id}?download=true",
            "target": "download",
        }

    def action_open_trend(self):
        """The months as a graph (DSO, best possible DSO, average days delinquent)."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Credit KPIs: Monthly Trend"),
            "res_model": "credit.kpi.line",
            "view_mode": "graph,list",
            "domain": [("wizard_id", "=", self.id)],
            "context": {"graph_measure": "dso", "graph_mode": "line", "graph_groupbys": ["month:month"]},
        }

    def _refresh_kpis(self):
        """Work out the KPIs and show them on this form: ``(months, period)`` as ``credit.kpi`` gives them.

        The lines store an undefined figure (None: no sales, nothing collectible)
        as 0; the result keeps it None, for the export's empty cells.
        """
        self.ensure_one()
        partner_ids = self.partner_id.commercial_partner_id.ids if self.partner_id else None
        months, period = self.env["credit.kpi"]._compute(
            self.company_id, self.end_date.year, self.end_date.month, self.month_count, partner_ids
        )
        line_fields = self.env["credit.kpi.line"]._fields
        self.line_ids = [Command.clear()] + [
            Command.create({name: value or 0.0 for name, value in month.items() if name in line_fields})
            for month in months
        ]
        self.write(
            {
                name: period[name] or 0.0
                for name in (
                    "credit_sales",
                    "written_off",
                    "days_to_pay",
                    "days_beyond_terms",
                    "bad_debt_ratio",
                )
            }
        )
        return months, period

    def _export_parameters(self, first, last):
        return [
            (self.env._("Company"), self.company_id.name),
            (
                self.env._("Customer"),
                self.partner_id.commercial_partner_id.display_name or self.env._("All Customers"),
            ),
            (self.env._("First Month"), first.strftime("%Y-%m")),
            (self.env._("Last Month"), last.strftime("%Y-%m")),
            (self.env._("Generated by"), self.env.user.name),
            (
                self.env._("Generated at"),
                fields.Datetime.context_timestamp(self, fields.Datetime.now()).replace(tzinfo=None),
            ),
        ]

    def _export_labels(self):
        """The workbook's labels in the user's language.

        The column headers are the screen's own: the strings of the ``credit.kpi.line`` fields.
        """
        line_fields = self.env["credit.kpi.line"]._fields
        return {
            "kpis": self.env._("Credit KPIs"),
            "parameters": self.env._("Parameters"),
            "period": self.env._("Over the Period"),
            "chart": self.env._("DSO by Month"),
            "days": self.env._("Days"),
            **{key: line_fields[key]._description_string(self.env) for key in (MONTH, *COLUMN_KEYS)},
        }


class CreditKpiLine(models.TransientModel):
    """One month of the credit KPIs."""

    _name = "credit.kpi.line"
    _description = "Credit KPIs of a Month"
    _order = "month"

    wizard_id = fields.Many2one("credit.kpi.wizard", required=True, ondelete="cascade")
    currency_id = fields.Many2one(related="wizard_id.currency_id")
    month = fields.Date(required=True)
    receivable = fields.Monetary(string="Receivable at Month End")
    current = fields.Monetary(string="Not Due at Month End")
    over_90 = fields.Monetary(string="Over 90 Days at Month End")
    credit_sales = fields.Monetary()
    written_off = fields.Monetary()
    dso = fields.Float(string="DSO", digits=(16, 1), aggregator="avg", help=KPI_HELP["dso"])
    dso_countback = fields.Float(
        string="DSO (Countback)", digits=(16, 1), aggregator="avg", help=KPI_HELP["dso_countback"]
    )
    best_dso = fields.Float(
        string="Best Possible DSO", digits=(16, 1), aggregator="avg", help=KPI_HELP["best_dso"]
    )
    add = fields.Float(
        string="Average Days Delinquent", digits=(16, 1), aggregator="avg", help=KPI_HELP["add"]
    )
    cei = fields.Float(string="CEI (%)", digits=(16, 1), aggregator="avg", help=KPI_HELP["cei"])
    share_current = fields.Float(
        string="Current (%)", digits=(16, 1), aggregator="avg", help=KPI_HELP["share_current"]
    )
    share_over_90 = fields.Float(
        string="Over 90 Days (%)", digits=(16, 1), aggregator="avg", help=KPI_HELP["share_over_90"]
    )
    days_to_pay = fields.Float(
        string="Days to Pay", digits=(16, 1), aggregator="avg", help=KPI_HELP["days_to_pay"]
    )
    days_beyond_terms = fields.Float(digits=(16, 1), aggregator="avg", help=KPI_HELP["days_beyond_terms"])
    bad_debt_ratio = fields.Float(
        string="Bad-Debt Ratio (%)", digits=(16, 2), aggregator="avg", help=KPI_HELP["bad_debt_ratio"]
    )
