from odoo import fields, models


class CreditHoldWizard(models.TransientModel):
    _name = "credit.hold.wizard"
    _description = "Put on or Release Credit Hold"

    partner_ids = fields.Many2many("res.partner", string="Customers", required=True)
    mode = fields.Selection([("hold", "Put on Hold"), ("release", "Release")], required=True, default="hold")
    reason = fields.Text(required=True)

    def action_apply(self):
        self.ensure_one()
        self.partner_ids._credit_set_hold(self.mode == "hold", self.reason)
        return {"type": "ir.actions.act_window_close"}
