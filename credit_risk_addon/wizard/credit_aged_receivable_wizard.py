import base64

from odoo import Command, api, fields, models
from odoo.exceptions import ValidationError

from ..exports.aged_receivables import build_workbook
from ..models.credit_report_export import XLSX_MIMETYPE
from ..report.credit_aged_receivable import AS_OF, BASES, BASIS, PERIOD_COUNT, PERIOD_DAYS
from ..rules import aging


class CreditAgedReceivableWizard(models.TransientModel):
    """The parameters of the aged receivables: the date, how to age, which customers."""

    _name = "credit.aged.receivable.wizard"
    _description = "Aged Receivables Options"

    as_of_date = fields.Date(
        string="As of",
        required=True,
        default=fields.Date.context_today,
        help="Open amounts as they stood that day.",
    )
    basis = fields.Selection(BASES, string="Age by", required=True, default="due")
    period_days = fields.Integer(
        string="Period Length (days)", required=True, default=aging.DEFAULT_PERIOD_DAYS
    )
    period_count = fields.Integer(
        string="Number of Periods", required=True, default=aging.DEFAULT_PERIOD_COUNT
    )
    company_ids = fields.Many2many(
        "res.company", string="Companies", default=lambda self: self.env.companies, required=True
    )
    user_ids = fields.Many2many("res.users", string="Salespeople")
    category_ids = fields.Many2many("res.partner.category", string="Customer Tags")
    country_ids = fields.Many2many("res.country", string="Countries")
    currency_ids = fields.Many2many("res.currency", string="Currencies")

    @api.constrains("period_days", "period_count")
    def _check_periods(self):
        for wizard in self:
            try:
                aging.periods(wizard.period_days, wizard.period_count)
            except ValueError as error:
                raise ValidationError(
                    self.env._(
                        "Periods are 1 to %(days)s days long, and there are 1 to %(count)s of them.",
                        days=aging.MAX_PERIOD_DAYS,
                        count=aging.MAX_PERIOD_COUNT,
                    )
                ) from error

    def _report_context(self):
        self.ensure_one()
        return {
            AS_OF: fields.Date.to_string(self.as_of_date),
            BASIS: self.basis,
            PERIOD_DAYS: self.period_days,
            PERIOD_COUNT: self.period_count,
            "allowed_company_ids": self.company_ids.ids,
        }

    def _report_domain(self):
        """Domain of the report rows for the customers chosen (on ``credit.aged.receivable``)."""
        self.ensure_one()
        domain = [("company_id", "in", self.company_ids.ids)]
        if self.user_ids:
            domain.append(("user_id", "in", self.user_ids.ids))
        if self.category_ids:
            domain.append(("partner_id.category_id", "in", self.category_ids.ids))
        if self.country_ids:
            domain.append(("country_id", "in", self.country_ids.ids))
        if self.currency_ids:
            domain.append(("currency_id", "in", self.currency_ids.ids))
        return domain

    def action_view(self):
        """The open items of the date, by customer (list, pivot)."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "credit_risk_addon.credit_aged_receivable_action"
        )
        action.update(
            {
                "name": self.env._(
                    "Aged Receivables as of %(date)s", date=fields.Date.to_string(self.as_of_date)
                ),
                "context": {**self._report_context(), "search_default_group_partner": 1},
                "domain": self._report_domain(),
                "target": "current",
            }
        )
        return action

    def action_export_xlsx(self):
        """The aged receivables as an Excel workbook: summary per customer, open items, parameters.

        A big one (more open items than the system parameter
        ``credit_risk_addon.export_background_items``, 20,000 by default) is
        built in the background (``credit.report.export``), its progress shown
        under *My Report Exports*; a smaller one downloads at once.
        """
        self.ensure_one()
        Export = self.env["credit.report.export"]
        Report = self.env["credit.aged.receivable"].with_context(**self._report_context())
        if Report.search_count(self._report_domain()) > Export._background_items():
            return Export._queue("aged_receivables", self._export_file_name(), self._export_values())
        content, name = self._build_xlsx()
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

    def _export_values(self):
        """The options, as values to create the same options form again (background exports)."""
        self.ensure_one()
        return {
            "as_of_date": fields.Date.to_string(self.as_of_date),
            "basis": self.basis,
            "period_days": self.period_days,
            "period_count": self.period_count,
            **{
                name: [Command.set(self[name].ids)]
                for name in ("company_ids", "user_ids", "category_ids", "country_ids", "currency_ids")
            },
        }

    def _export_file_name(self):
        return self.env._("Aged Receivables %(date)s.xlsx", date=fields.Date.to_string(self.as_of_date))

    def _build_xlsx(self, progress=None):
        """``(workbook bytes, file name)``; ``progress(percent)`` is called after each step."""
        self.ensure_one()
        progress = progress or (lambda percent: None)
        Report = self.env["credit.aged.receivable"].with_context(**self._report_context())
        summary, detail, buckets = Report._export_data(self._report_domain())
        progress(60)
        company_currency = self.company_ids[:1].currency_id or self.env.company.currency_id
        currencies = self.env["res.currency"].search(
            [("name", "in", list({item["currency"] for item in detail}))]
        )
        content = build_workbook(
            summary,
            detail,
            self._export_parameters(),
            buckets,
            self._export_labels(),
            _currency_format(company_currency),
            {currency.name: _currency_format(currency) for currency in currencies},
        )
        progress(95)
        return content, self._export_file_name()

    def _export_parameters(self):
        basis = dict(self._fields["basis"]._description_selection(self.env))[self.basis]
        return [
            (self.env._("Companies"), ", ".join(self.company_ids.mapped("name"))),
            (self.env._("As of"), self.as_of_date),
            (self.env._("Aged by"), basis),
            (
                self.env._("Periods"),
                self.env._("%(count)s × %(days)s days", count=self.period_count, days=self.period_days),
            ),
            (self.env._("Generated by"), self.env.user.name),
            (
                self.env._("Generated at"),
                fields.Datetime.context_timestamp(self, fields.Datetime.now()).replace(tzinfo=None),
            ),
        ]

    def _export_labels(self):
        return {
            "summary": self.env._("Summary"),
            "detail": self.env._("Open Items"),
            "parameters": self.env._("Parameters"),
            "partner": self.env._("Customer"),
            "total": self.env._("Total"),
            "credit_limit": self.env._("Credit Limit"),
            "exposure": self.env._("Exposure"),
            "available": self.env._("Available Credit"),
            "document": self.env._("Document"),
            "invoice_date": self.env._("Invoice Date"),
            "due_date": self.env._("Due Date"),
            "days_overdue": self.env._("Days Overdue"),
            "bucket": self.env._("Period"),
            "residual_currency": self.env._("Open in Currency"),
            "currency": self.env._("Currency"),
            "residual": self.env._("Open Amount"),
            "totals": self.env._("Total"),
        }


def _currency_format(currency):
    return {"symbol": currency.symbol, "position": currency.position, "decimals": currency.decimal_places}
