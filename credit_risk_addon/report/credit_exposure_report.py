from odoo import api, fields, models
from odoo.tools import SQL

from ..models.credit_figures import FIGURE_SOURCES
from ..rules.aging import BUCKET_KEYS


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
        """The report's rows as SQL; ``company_ids`` narrows them (``None``: all companies)."""
        today = fields.Date.context_today(self)
        figures = self.env["credit.figures"]._figures_query(today, company_ids=company_ids)
        # The limit is Odoo's company-dependent credit_limit (jsonb keyed by
        # company id) falling back to the company default from ir.default.
        return SQL(
            """
            SELECT f.partner_id::bigint * 100000 + f.company_id AS id,
                   f.company_id,
                   f.partner_id,
                   company.currency_id,
                   lim.credit_limit,
                   f.receivable,
                   parts.draft_invoices,
                   parts.orders,
                   total.exposure,
                   CASE WHEN lim.credit_limit > 0 THEN lim.credit_limit - total.exposure END AS available,
                   lim.credit_limit > 0 AND total.exposure > lim.credit_limit AS over_limit,
                   f.unapplied_credits,
                   f.overdue,
                   f.oldest_overdue_days,
                   f.oldest_overdue_days > company.credit_overdue_days AS past_overdue_threshold,
                   CASE WHEN f.invoiced_total > 0 AND f.first_invoice_date < %(today)s::date
                        THEN f.receivable / f.invoiced_total * (%(today)s::date - f.first_invoice_date)
                        ELSE 0 END AS dso,
                   COALESCE((partner.credit_hold ->> f.company_id::text)::boolean, FALSE) AS credit_hold,
                   %(buckets)s
              FROM (%(figures)s) f
              JOIN res_company company ON company.id = f.company_id
              JOIN res_partner partner ON partner.id = f.partner_id
         LEFT JOIN LATERAL (
                SELECT COALESCE(
                           (partner.credit_limit ->> f.company_id::text)::numeric,
                           (SELECT d.json_value::numeric
                              FROM ir_default d
                              JOIN ir_model_fields imf ON imf.id = d.field_id
                             WHERE imf.model = 'res.partner' AND imf.name = 'credit_limit'
                               AND d.user_id IS NULL AND d.condition IS NULL
                               AND (d.company_id = f.company_id OR d.company_id IS NULL)
                          ORDER BY d.company_id NULLS LAST LIMIT 1),
                           0) AS credit_limit
              ) lim ON TRUE
         -- Same policy as rules.exposure.draft_part / orders_part (a test
         -- checks both agree): the parts a company does not count are 0.
         LEFT JOIN LATERAL (
                SELECT CASE WHEN NOT company.credit_include_draft_invoices THEN 0
                            WHEN company.credit_include_orders THEN f.draft_invoices
                            ELSE f.draft_invoices + f.draft_from_orders END AS draft_invoices,
                       CASE WHEN company.credit_include_orders THEN f.orders ELSE 0 END AS orders
              ) parts ON TRUE
         LEFT JOIN LATERAL (
                SELECT f.receivable + parts.draft_invoices + parts.orders AS exposure
              ) total ON TRUE
            """,
            today=today,
            figures=figures,
            buckets=SQL(", ").join(SQL("f.%s", SQL.identifier(f"aging_{key}")) for key in BUCKET_KEYS),
        )
