from odoo import api, fields, models
from odoo.tools import SQL

from ..models.credit_figures import FIGURE_SOURCES
from ..models.credit_figures_store import report_id


class CreditExposureReport(models.Model):
    """Credit exposure and aging by customer: one live row per company and customer.

    Backs the Accounting > Reporting analysis (list, pivot, graph) and the
    set-based searches on the partner's credit figures.
    """

    _name = "credit.exposure.report"
    _description = "Credit Exposure and Aging by Customer"
    _auto = False
    _order = "exposure desc"
    _rec_name = "partner_id"
    _depends = FIGURE_SOURCES

    company_id = fields.Many2one("res.company", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    credit_limit = fields.Monetary(readonly=True, aggregator="sum")
    receivable = fields.Monetary(string="Open Receivable", readonly=True)
    draft_invoices = fields.Monetary(readonly=True)
    orders = fields.Monetary(string="Orders to Invoice", readonly=True)
    exposure = fields.Monetary(readonly=True)
    available = fields.Monetary(string="Available Credit", readonly=True)
    unapplied_credits = fields.Monetary(
        readonly=True,
        help="Credit notes and payments not matched with an invoice yet: the aging buckets minus this "
        "amount give the open receivable.",
    )
    overdue = fields.Monetary(string="Overdue Amount", readonly=True)
    oldest_overdue_days = fields.Integer(string="Oldest Overdue (days)", readonly=True, aggregator="max")
    dso = fields.Float(string="DSO (days)", readonly=True, aggregator="avg", digits=(16, 1))
    credit_hold = fields.Boolean(readonly=True)
    over_limit = fields.Boolean(readonly=True)
    past_overdue_threshold = fields.Boolean(
        string="Too Far Overdue",
        readonly=True,
        help="The oldest overdue invoice is more days overdue than the company's threshold allows.",
    )
    aging_not_due = fields.Monetary(string="Not Due", readonly=True)
    aging_1_30 = fields.Monetary(string="1-30 Days", readonly=True)
    aging_31_60 = fields.Monetary(string="31-60 Days", readonly=True)
    aging_61_90 = fields.Monetary(string="61-90 Days", readonly=True)
    aging_91_120 = fields.Monetary(string="91-120 Days", readonly=True)
    aging_over_120 = fields.Monetary(string="Over 120 Days", readonly=True)

    @property
    def _table_query(self):
        return self._report_query()

    @api.model
    def _report_query(self, company_ids=None):
        """The report's rows as SQL: the current figures, one row per company and customer.

        ``company_ids`` narrows them (``None``: all companies). Every column
        is a figure of ``credit.figures``, computed there and nowhere else
        (and kept by ``credit.figures.store``).
        """
        figures = self.env["credit.figures.store"]._current_query(company_ids)
        return SQL("SELECT %s AS id, f.* FROM (%s) f", report_id("f"), figures)
