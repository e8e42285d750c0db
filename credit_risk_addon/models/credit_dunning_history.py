from odoo import fields, models


class CreditDunningHistory(models.Model):
    """One dunning step done (or failed) for a customer: what, for which invoices, how and by whom."""

    _name = "credit.dunning.history"
    _description = "Dunning History"
    _check_company_auto = True
    _order = "date desc, id desc"
    _rec_name = "level_id"

    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, index=True, readonly=True)
    level_id = fields.Many2one("credit.dunning.level", readonly=True, ondelete="set null")
    date = fields.Date(required=True, index=True, readonly=True)
    move_ids = fields.Many2many(
        "account.move",
        "credit_dunning_history_move_rel",
        "history_id",
        "move_id",
        string="Invoices",
        readonly=True,
    )
    amount = fields.Monetary(
        currency_field="currency_id", readonly=True, help="Open amount of the invoices reminded."
    )
    state = fields.Selection([("done", "Done"), ("failed", "Failed")], required=True, readonly=True)
    error = fields.Text(readonly=True)
    user_id = fields.Many2one("res.users", string="Run by", readonly=True, help="Empty: the scheduled run.")
    channel_email = fields.Boolean(string="Email", readonly=True)
    email_to = fields.Char(string="Sent to", readonly=True)
    message_id = fields.Many2one("mail.message", readonly=True, ondelete="set null")
    channel_letter = fields.Boolean(string="Letter", readonly=True)
    activity_id = fields.Many2one("mail.activity", readonly=True, ondelete="set null")
    channel_hold = fields.Boolean(string="Credit Hold", readonly=True)
    channel_hand_over = fields.Boolean(string="Handed Over", readonly=True)
