from odoo import fields, models
from odoo.exceptions import UserError


class CreditApprovalRequestWizard(models.TransientModel):
    _name = "credit.approval.request.wizard"
    _description = "Request Credit Approval"

    order_ids = fields.Many2many("sale.order", string="Orders", required=True)
    note = fields.Text(string="Justification", required=True)

    def action_request(self):
        """One pending request per order; each records what blocked it."""
        self.ensure_one()
        vals_list = []
        for order in self.order_ids:
            if order.state not in ("draft", "sent"):
                raise UserError(self.env._("%(order)s is no longer a quotation.", order=order.name))
            if order._credit_requests("pending"):
                raise UserError(
                    self.env._("%(order)s already has a pending credit approval request.", order=order.name)
                )
            check = order._credit_gate_check()
            exposure = limit = 0.0
            if check.decision:
                exposure, limit = check.data.exposure, check.data.credit_limit
            vals_list.append(
                {
                    "order_id": order.id,
                    "company_id": order.company_id.id,
                    "request_note": self.note,
                    "blocking_data": order._credit_reason_data(check),
                    "order_amount": order._credit_order_amount(),
                    "exposure": exposure,
                    "credit_limit": limit,
                }
            )
        requests = self.env["credit.approval.request"].create(vals_list)
        if len(requests) == 1:
            return {
                "type": "ir.actions.act_window",
                "res_model": "credit.approval.request",
                "res_id": requests.id,
                "view_mode": "form",
            }
        return {"type": "ir.actions.act_window_close"}
