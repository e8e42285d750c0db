from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..rules.gate import MODE_BLOCK, MODE_OFF, MODE_WARN

# Ten years: beyond that a threshold is a typing error.
MAX_OVERDUE_DAYS = 3650


class ResCompany(models.Model):
    _inherit = "res.company"

    credit_gate_mode = fields.Selection(
        [
            (MODE_OFF, "Off"),
            (MODE_WARN, "Warn only"),
            (MODE_BLOCK, "Block confirmation"),
        ],
        string="Credit Gate",
        default=MODE_BLOCK,
        required=True,
        help="What happens when a sale order breaks a credit rule, once Sales Credit Limit is "
        "enabled: nothing, a warning on the quotation, or a refused confirmation.",
    )
    credit_include_draft_invoices = fields.Boolean(
        string="Count Draft Invoices in Exposure",
        default=True,
    )
    credit_include_orders = fields.Boolean(
        string="Count Orders to Invoice in Exposure",
        default=True,
    )
    credit_overdue_days = fields.Integer(
        string="Block When Overdue More Than (days)",
        default=60,
        help="A customer with an open invoice overdue by more than this many days cannot get "
        "new orders confirmed.",
    )
    credit_exempt_online_payment = fields.Boolean(
        string="Exempt Orders Paid Online",
        default=True,
        help="Orders whose online payment covers the confirmation amount are confirmed without "
        "the credit check. When unchecked, such an order that breaks a rule stays a quotation "
        "and the credit managers are told.",
    )

    credit_no_self_approval = fields.Boolean(
        string="No Self-Approval",
        default=True,
        help="A credit manager cannot decide on a credit approval request they made themselves.",
    )
    credit_online_payment_share = fields.Float(
        string="Paid Share for the Exemption (%)",
        default=100.0,
        digits=(5, 2),
        help="An order paid online is exempt from the credit check only when payments that are done "
        "(not merely authorized) cover this share of its total.",
    )

    @api.constrains("credit_online_payment_share")
    def _check_credit_online_payment_share(self):
        for company in self:
            share = company.credit_online_payment_share
            if not 0 < share <= 100:
                raise ValidationError(
                    self.env._(
                        "The paid share of %(company)s must be more than 0 and at most 100 percent.",
                        company=company.name,
                    )
                )

    @api.constrains("credit_overdue_days")
    def _check_credit_overdue_days(self):
        for company in self:
            if not 0 <= company.credit_overdue_days <= MAX_OVERDUE_DAYS:
                raise ValidationError(
                    self.env._(
                        "The overdue-days threshold of %(company)s must be between 0 and %(max)s days.",
                        company=company.name,
                        max=MAX_OVERDUE_DAYS,
                    )
                )

    def _credit_gate_mode(self):
        """The effective mode: off unless Odoo's Sales Credit Limit is enabled."""
        self.ensure_one()
        if not self.account_use_credit_limit:
            return MODE_OFF
        return self.credit_gate_mode or MODE_BLOCK

    def _credit_today(self):
        """Today in the company's own time zone (its address's), whatever a client sends."""
        self.ensure_one()
        return fields.Date.context_today(self.with_context(tz=self.sudo().partner_id.tz or "UTC"))

    def _credit_managers(self):
        """The people who decide credit matters in this company (OdooBot excluded)."""
        self.ensure_one()
        group = self.env.ref("credit_risk_addon.group_credit_manager").sudo()
        return group.users.filtered(
            lambda user: self in user.company_ids and not user.share and not user._is_superuser()
        )

    @api.model_create_multi
    def create(self, vals_list):
        companies = super().create(vals_list)
        # A new company follows the usual dunning ladder until it sets its own.
        self.env["credit.dunning.policy"].sudo()._create_default(companies)
        return companies
