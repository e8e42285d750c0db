from odoo import api, fields, models
from odoo.exceptions import AccessError

from ..rules import aging
from .credit_aged_receivable import AS_OF, BASIS, PERIOD_COUNT, PERIOD_DAYS

# The items of the statement, as the aged receivables report lists them.
LINE_FIELDS = (
    "move_id",
    "document",
    "invoice_date",
    "date_maturity",
    "days",
    "currency_id",
    "residual_currency",
    "residual",
)
INVOICE_TYPES = ("out_invoice", "out_receipt")
# Where a customer sees and pays their invoices on the portal.
PORTAL_INVOICES_PATH = "/my/invoices"


class ReportCreditStatement(models.AbstractModel):
    """Customer statement: the open items of a customer in a company, aged.

    The items and their aging come from the aged receivables report
    (``credit.aged.receivable``), read as superuser for one commercial
    partner and one company at a time: today, by due date, in periods of
    30 days. Who may print is checked here, since the report engine does not:
    the readers of the aged receivables in the back end, or server code
    running as superuser (the portal route, for the user's own customer).
    The statement's company is the current one; only server code running as
    superuser may ask for others (``data["company_ids"]``).
    """

    _name = "report.credit_risk_addon.report_credit_statement"
    _description = "Customer Statement"

    @api.model
    def _aged_receivables(self):
        """The aged receivables report as superuser, with the statement's parameters, its cache cleared."""
        report = (
            self.env["credit.aged.receivable"]
            .sudo()
            .with_context(
                **{
                    AS_OF: fields.Date.to_string(fields.Date.context_today(self)),
                    BASIS: "due",
                    PERIOD_DAYS: aging.DEFAULT_PERIOD_DAYS,
                    PERIOD_COUNT: aging.DEFAULT_PERIOD_COUNT,
                }
            )
        )
        # Rows are journal items: their values depend on the parameters, the cache does not.
        report.invalidate_model()
        return report

    @api.model
    def _open_items_by_company(self, partner):
        """``{company: number of open items}`` of the commercial partner ``partner`` (one query)."""
        report = self._aged_receivables()
        groups = report._read_group(
            [("partner_id", "=", partner.commercial_partner_id.id)], ["company_id"], ["__count"]
        )
        return dict(groups)

    @api.model
    def _trusted(self, data):
        """Server code (the portal route) names the companies and runs as superuser: trusted.

        Superuser mode alone is not: the mail composer renders its attachments
        so for whoever opened it.
        """
        return self.env.su and bool((data or {}).get("company_ids"))

    @api.model
    def _check_statement_access(self, partners, data=None):
        if self._trusted(data):
            return
        user_env = self.env(su=False)
        if not user_env["credit.aged.receivable"].has_access("read"):
            raise AccessError(self.env._("You are not allowed to print customer statements."))
        partners.with_env(user_env).check_access("read")

    @api.model
    def _statement_companies(self, data):
        if self._trusted(data):
            return self.env["res.company"].browse(data["company_ids"])
        # The real user's current company (checked against their companies).
        return self.env(su=False).company

    @api.model
    def _kind(self, move):
        if move.move_type in INVOICE_TYPES:
            return "invoice"
        if move.move_type == "out_refund":
            return "credit_note"
        if move.origin_payment_id or move.statement_line_id:
            return "payment"
        return "entry"

    @api.model
    def _pay_url(self, company, rows, total):
        """Absolute URL to pay at: the invoice when it is the only item, else the portal's invoices."""
        if company.currency_id.compare_amounts(total, 0.0) <= 0:
            return False
        moves = rows.move_id
        if len(moves) == 1 and moves.move_type in INVOICE_TYPES:
            # Its link with its token when it has one; rendering never writes (report routes are
            # read-only): without a token, the page asks the customer to log in.
            path = moves.get_portal_url() if moves.access_token else f"/my/invoices/{moves.id}"
        else:
            path = PORTAL_INVOICES_PATH
        return company.get_base_url().rstrip("/") + path

    @api.model
    def _statement(self, doc, company):
        """What the template shows for the recipient ``doc`` in ``company``."""
        partner = doc.commercial_partner_id
        lang = doc.lang or partner.lang or self.env.lang
        report = self._aged_receivables()
        as_of, _basis, columns = report._parameters()
        labels = report.with_context(lang=lang)._column_labels(columns)
        domain = [("partner_id", "=", partner.id), ("company_id", "=", company.id)]
        amount_names = [f"amount_{key}" for key, _low, _high in columns]
        rows = report.search_fetch(domain, LINE_FIELDS, order="aging_date, id")
        [sums] = report._read_group(
            domain, aggregates=[f"{name}:sum" for name in (*amount_names, "residual")]
        )
        *amounts, total = (amount or 0.0 for amount in sums)
        lines = [
            {
                "document": row.document,
                "kind": self._kind(row.move_id),
                "invoice_date": row.invoice_date,
                "date_maturity": row.date_maturity,
                "days_overdue": max(row.days, 0),
                "currency": row.currency_id,
                "residual_currency": row.residual_currency,
                "residual": row.residual,
            }
            for row in rows
        ]
        return {
            "partner": partner.with_context(lang=lang),
            "recipient": doc.with_context(lang=lang),
            "company": company,
            "currency": company.currency_id,
            "lang": lang,
            "as_of": as_of,
            "lines": lines,
            "aging": [
                {"key": key, "label": labels[key], "amount": amount}
                for (key, _low, _high), amount in zip(columns, amounts, strict=True)
            ],
            "total": total,
            "pay_url": self._pay_url(company, rows, total),
        }

    @api.model
    def _get_report_values(self, docids, data=None):
        docs = self.env["res.partner"].browse(docids)
        self._check_statement_access(docs, data)
        companies = self._statement_companies(data)
        return {
            "doc_ids": docids,
            "doc_model": "res.partner",
            "docs": docs,
            "statements": [self._statement(doc, company) for doc in docs for company in companies],
        }
