from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..rules.inputs import is_date_value, is_sensible_amount


class CreditApprovalDecideWizard(models.TransientModel):
    _name = "credit.approval.decide.wizard"
    _description = "Decide on a Credit Approval"

    request_id = fields.Many2one("credit.approval.request", required=True, ondelete="cascade")
    currency_id = fields.Many2one(related="request_id.currency_id")
    order_amount = fields.Monetary(compute="_compute_order_amount")
    approved_amount = fields.Monetary(compute="_compute_defaults", store=True, readonly=False)
    expiry_date = fields.Date(compute="_compute_defaults", store=True, readonly=False)
    note = fields.Text(string="Reason", required=True)

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if "approved_amount" in vals and not is_sensible_amount(vals["approved_amount"] or 0.0):
                raise ValidationError(self.env._("The approved amount must be a number of a sensible size."))
            if vals.get("expiry_date") and not is_date_value(vals["expiry_date"]):
                raise ValidationError(self.env._("The expiry date is not a date."))
        return super().create(vals_list)

    @api.depends("request_id")
    def _compute_order_amount(self):
        for wizard in self:
            order = wizard.request_id.order_id.sudo()
            wizard.order_amount = order._credit_order_amount() if order else 0.0

    @api.depends("request_id")
    def _compute_defaults(self):
        today = fields.Date.context_today(self)
        for wizard in self:
            wizard.approved_amount = wizard.approved_amount or wizard.order_amount
            wizard.expiry_date = wizard.expiry_date or today + timedelta(days=7)

    def action_approve(self):
        self.ensure_one()
        self.request_id._approve(self.approved_amount, self.expiry_date, self.note)
        return {"type": "ir.actions.act_window_close"}

    def action_refuse(self):
        self.ensure_one()
        self.request_id._refuse(self.note)
        return {"type": "ir.actions.act_window_close"}
