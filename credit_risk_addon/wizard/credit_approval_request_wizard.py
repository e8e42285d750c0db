from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..rules.inputs import is_sensible_amount


class CreditApprovalRequestWizard(models.TransientModel):
    _name = "credit.approval.request.wizard"
    _description = "Request Credit Approval"

    order_ids = fields.Many2many("sale.order", string="Orders", required=True)
    note = fields.Text(string="Justification", required=True)
    company_currency_id = fields.Many2one("res.currency", default=lambda self: self.env.company.currency_id)
    requested_amount = fields.Monetary(
        currency_field="company_currency_id",
        help="For a confirmed order that is to grow: the new total to approve (company currency).",
    )
    has_confirmed_order = fields.Boolean(compute="_compute_has_confirmed_order")

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("requested_amount") and not is_sensible_amount(vals["requested_amount"]):
                raise ValidationError(self.env._("The requested amount must be a number of a sensible size."))
        return super().create(vals_list)

    def _compute_has_confirmed_order(self):
        for wizard in self:
            wizard.has_confirmed_order = any(order.state == "sale" for order in wizard.order_ids)

    def action_request(self):
        """One pending request per order; the server records what blocked each (see the request's create)."""
        self.ensure_one()
        vals_list = [
            {
                "order_id": order.id,
                "request_note": self.note,
                **({"order_amount": self.requested_amount} if order.state == "sale" else {}),
            }
            for order in self.order_ids
        ]
        requests = self.env["credit.approval.request"].create(vals_list)
        if len(requests) == 1:
            return {
                "type": "ir.actions.act_window",
                "res_model": "credit.approval.request",
                "res_id": requests.id,
                "view_mode": "form",
            }
        return {"type": "ir.actions.act_window_close"}
