import math

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

# How far ahead a promise may pause the reminders.
MAX_PROMISE_DAYS = 60
# What is fixed once a promise is made (the run judges it on these); the state is the server's.
PROMISE_TERMS = frozenset(
    ("company_id", "partner_id", "move_ids", "amount", "promise_date", "open_at_promise", "source", "state")
)


class CreditPromise(models.Model):
    """A customer's promise to pay an amount by a date for some of its overdue invoices.

    Reminders pause for the invoices it covers until its date; the dunning
    run then marks it kept (the invoices' open amount fell by the promised
    amount) or broken (the next level fires and the collector gets an
    activity).
    """

    _name = "credit.promise"
    _description = "Promise to Pay"
    _inherit = ["mail.thread"]
    _check_company_auto = True
    _order = "state, promise_date, id desc"

    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, index=True)
    move_ids = fields.Many2many(
        "account.move",
        "credit_promise_move_rel",
        "promise_id",
        "move_id",
        string="Invoices",
        required=True,
        check_company=True,
        domain="[('commercial_partner_id', '=', partner_id), ('move_type', '=', 'out_invoice'), "
        "('state', '=', 'posted'), ('payment_state', 'in', ('not_paid', 'partial'))]",
    )
    amount = fields.Monetary(currency_field="currency_id", required=True)
    promise_date = fields.Date(string="Promised Date", required=True, tracking=True)
    open_at_promise = fields.Monetary(
        currency_field="currency_id",
        readonly=True,
        help="What the invoices had open when the promise was made.",
    )
    note = fields.Text()
    source = fields.Selection(
        [("staff", "Staff"), ("portal", "Customer Portal")], default="staff", readonly=True
    )
    state = fields.Selection(
        [("open", "Open"), ("kept", "Kept"), ("broken", "Broken"), ("cancelled", "Cancelled")],
        default="open",
        required=True,
        readonly=True,
        tracking=True,
    )

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            # Decided by the server: what was open, and the state (kept, broken...).
            vals_list = [
                {key: value for key, value in vals.items() if key not in ("open_at_promise", "state")}
                for vals in vals_list
            ]
        promises = super().create(vals_list)
        for promise in promises:
            if promise.partner_id != promise.partner_id.commercial_partner_id:
                promise.sudo().partner_id = promise.partner_id.commercial_partner_id
            promise._check_promise()
            promise.sudo().open_at_promise = promise._open_amount()
        return promises

    def write(self, vals):
        self.check_access("write")
        if not self.env.su and PROMISE_TERMS & vals.keys():
            raise UserError(
                self.env._("A promise to pay cannot be changed once made: cancel it and record another.")
            )
        return super().write(vals)

    def _open_amount(self):
        self.ensure_one()
        return sum(self.move_ids.sudo().mapped("amount_residual_signed"))

    def _check_promise(self):
        """What a promise cannot be (checked on creation, on the values stored)."""
        self.ensure_one()
        today = self.company_id._credit_today()
        partner = self.partner_id.commercial_partner_id
        moves = self.move_ids.sudo()
        if not moves:
            raise ValidationError(self.env._("A promise to pay covers at least one invoice."))
        if any(
            move.commercial_partner_id != partner
            or move.company_id != self.company_id
            or move.move_type != "out_invoice"
            or move.state != "posted"
            or move.payment_state not in ("not_paid", "partial")
            for move in moves
        ):
            raise ValidationError(
                self.env._("A promise to pay covers open invoices of its customer in its company only.")
            )
        if self.promise_date < today:
            raise ValidationError(self.env._("The promised date cannot be in the past."))
        if (self.promise_date - today).days > MAX_PROMISE_DAYS:
            raise ValidationError(
                self.env._("A promise to pay is for the next %(days)s days at most.", days=MAX_PROMISE_DAYS)
            )
        already = self.sudo().search_count(
            [("id", "!=", self.id), ("state", "=", "open"), ("move_ids", "in", moves.ids)]
        )
        if already:
            raise ValidationError(
                self.env._("An open promise to pay already covers one of these invoices: cancel it first.")
            )
        open_amount = sum(moves.mapped("amount_residual_signed"))
        currency = self.currency_id
        if (
            not math.isfinite(self.amount)
            or currency.compare_amounts(self.amount, 0.0) <= 0
            or currency.compare_amounts(self.amount, open_amount) > 0
        ):
            raise ValidationError(
                self.env._(
                    "The promised amount must be above zero and at most what the invoices have open "
                    "(%(open)s).",
                    open=open_amount,
                )
            )

    def action_cancel(self):
        if any(promise.state != "open" for promise in self):
            raise UserError(self.env._("Only an open promise can be cancelled."))
        self.check_access("write")
        self.sudo().write({"state": "cancelled"})

    @api.model
    def _settle_due(self, company, today):
        """Mark the open promises whose date has passed kept or broken; a broken one plans an activity."""
        promises = self.sudo().search(
            [("company_id", "=", company.id), ("state", "=", "open"), ("promise_date", "<", today)]
        )
        for promise in promises:
            paid = promise.open_at_promise - promise._open_amount()
            if promise.currency_id.compare_amounts(paid, promise.amount) >= 0:
                promise.state = "kept"
                continue
            promise.state = "broken"
            partner = promise.partner_id.commercial_partner_id
            partner.activity_schedule(
                "mail.mail_activity_data_call",
                summary=self.env._("Broken promise to pay"),
                note=self.env._(
                    "%(customer)s promised %(amount)s by %(date)s for %(invoices)s; not received.",
                    customer=partner.name,
                    amount=promise.amount,
                    date=promise.promise_date,
                    invoices=", ".join(promise.move_ids.mapped("name")),
                ),
                user_id=partner._credit_collector().id or self.env.user.id,
            )
        return promises
