from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    credit_gate_mode = fields.Selection(related="company_id.credit_gate_mode", readonly=False)
    credit_include_draft_invoices = fields.Boolean(
        related="company_id.credit_include_draft_invoices", readonly=False
    )
    credit_include_orders = fields.Boolean(related="company_id.credit_include_orders", readonly=False)
    credit_overdue_days = fields.Integer(related="company_id.credit_overdue_days", readonly=False)
    credit_exempt_online_payment = fields.Boolean(
        related="company_id.credit_exempt_online_payment", readonly=False
    )
    credit_online_payment_share = fields.Float(
        related="company_id.credit_online_payment_share", readonly=False
    )
    credit_no_self_approval = fields.Boolean(related="company_id.credit_no_self_approval", readonly=False)
