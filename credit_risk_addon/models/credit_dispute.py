import math

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError


class CreditDispute(models.Model):
    """A customer disputes (part of) an invoice: out of the dunning chase until resolved.

    Insurers do not cover disputed debts either: the invoice is flagged
    (``account.move.credit_disputed``) while a dispute is open.
    """

    _name = "credit.dispute"
    _description = "Invoice Dispute"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _check_company_auto = True
    _order = "state, expected_date, id desc"

    name = fields.Char(compute="_compute_name", store=True)
    company_id = fields.Many2one(related="move_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    move_id = fields.Many2one(
        "account.move",
        string="Invoice",
        required=True,
        index=True,
        ondelete="cascade",
        domain="[('move_type', '=', 'out_invoice'), ('state', '=', 'posted'), "
        "('payment_state', 'in', ('not_paid', 'partial'))]",
    )
    partner_id = fields.Many2one(
        related="move_id.commercial_partner_id", string="Customer", store=True, index=True
    )
    reason_id = fields.Many2one("credit.dispute.reason", required=True)
    amount = fields.Monetary(string="Disputed Amount", currency_field="currency_id", required=True)
    owner_id = fields.Many2one(
        "res.users",
        default=lambda self: self.env.user,
        tracking=True,
        domain="[('share', '=', False)]",
    )
    expected_date = fields.Date(string="Expected Resolution", tracking=True)
    note = fields.Text()
    resolution = fields.Text()
    source = fields.Selection(
        [("staff", "Staff"), ("portal", "Customer Portal")], default="staff", readonly=True
    )
    state = fields.Selection(
        [("open", "Open"), ("resolved", "Resolved")],
        default="open",
        required=True,
        tracking=True,
        readonly=True,
    )

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            vals_list = [{key: value for key, value in vals.items() if key != "state"} for vals in vals_list]
        return super().create(vals_list)

    def write(self, vals):
        self.check_access("write")
        if not self.env.su and {"move_id", "amount", "source", "state"} & vals.keys():
            raise UserError(
                self.env._("A dispute's invoice and amount cannot be changed: resolve it and open another.")
            )
        return super().write(vals)

    @api.depends("move_id.name", "reason_id.name")
    def _compute_name(self):
        for dispute in self:
            dispute.name = " - ".join(filter(None, [dispute.move_id.name, dispute.reason_id.name]))

    @api.constrains("amount", "move_id", "state")
    def _check_amount(self):
        for dispute in self.filtered(lambda dispute: dispute.state == "open"):
            others = self.sudo().search_count(
                [("id", "!=", dispute.id), ("move_id", "=", dispute.move_id.id), ("state", "=", "open")]
            )
            if others:
                raise ValidationError(
                    self.env._("%(invoice)s is already disputed.", invoice=dispute.move_id.name)
                )
            move = dispute.move_id
            if move.move_type != "out_invoice" or move.state != "posted":
                raise ValidationError(self.env._("Only a posted customer invoice can be disputed."))
            residual = move.amount_residual_signed
            currency = dispute.currency_id
            if (
                not math.isfinite(dispute.amount)
                or currency.compare_amounts(dispute.amount, 0.0) <= 0
                or currency.compare_amounts(dispute.amount, residual) > 0
            ):
                raise ValidationError(
                    self.env._(
                        "The disputed amount of %(invoice)s must be above zero and at most what is open "
                        "(%(residual)s).",
                        invoice=move.name,
                        residual=residual,
                    )
                )

    def action_resolve(self):
        """Close the dispute: the invoice goes back on the dunning ladder where its age puts it."""
        if any(dispute.state != "open" for dispute in self):
            raise UserError(self.env._("Only an open dispute can be resolved."))
        self.check_access("write")
        self.sudo().write({"state": "resolved"})
        for dispute in self:
            dispute.message_post(body=self.env._("Dispute resolved by %(user)s.", user=self.env.user.name))
