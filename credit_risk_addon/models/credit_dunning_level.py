from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..rules import dunning


class CreditDunningLevel(models.Model):
    """A step of a dunning policy: when it is due, from which amount, and what it does."""

    _name = "credit.dunning.level"
    _description = "Dunning Level"
    _check_company_auto = True
    _order = "policy_id, days, id"

    policy_id = fields.Many2one(
        "credit.dunning.policy", required=True, index=True, ondelete="cascade", check_company=True
    )
    company_id = fields.Many2one(related="policy_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    name = fields.Char(required=True, translate=True)
    days = fields.Integer(
        required=True,
        help="Days after the due date at which an invoice reaches this level; negative: before the due date "
        "(a courtesy reminder).",
    )
    min_amount = fields.Monetary(
        string="Minimum Amount",
        currency_field="currency_id",
        help="The step is skipped (a lower level is tried) while the invoices it would remind of amount to "
        "less.",
    )
    send_email = fields.Boolean(string="Email", default=True)
    mail_template_id = fields.Many2one(
        "mail.template", string="Email Template", domain=[("model", "=", "res.partner")]
    )
    send_letter = fields.Boolean(string="Letter", help="Attach the reminder letter (PDF) to the email.")
    create_activity = fields.Boolean(string="Activity", help="Plan an activity for the customer's collector.")
    activity_type_id = fields.Many2one("mail.activity.type")
    activity_note = fields.Char(translate=True)
    set_hold = fields.Boolean(string="Credit Hold", help="Put the customer on credit hold.")
    hand_over = fields.Boolean(
        help="Hand the customer over to legal or a collection agency: no reminder after this step.",
    )

    @api.constrains("days", "min_amount", "policy_id")
    def _check_ladder(self):
        for policy in self.policy_id:
            try:
                dunning.check_levels(policy.level_ids._rule_levels())
            except ValueError as error:
                raise ValidationError(
                    self.env._(
                        "Each level of the policy %(policy)s needs its own day and a minimum amount of zero "
                        "or more.",
                        policy=policy.name,
                    )
                ) from error

    @api.constrains("send_email", "mail_template_id", "create_activity", "activity_type_id")
    def _check_actions(self):
        for level in self:
            if level.send_email and not level.mail_template_id:
                raise ValidationError(
                    self.env._("Level %(level)s sends an email: choose its template.", level=level.name)
                )
            if level.create_activity and not level.activity_type_id:
                raise ValidationError(
                    self.env._("Level %(level)s plans an activity: choose its type.", level=level.name)
                )

    def _rule_levels(self):
        """The levels as the dunning rules take them."""
        return [
            dunning.Level(
                key=level.id, days=level.days, min_amount=level.min_amount, stops_reminders=level.hand_over
            )
            for level in self
        ]

    def _actions_text(self):
        """What the level does, in words (the preview's column)."""
        self.ensure_one()
        actions = [
            (self.send_email, self.env._("Email")),
            (self.send_letter, self.env._("Letter")),
            (self.create_activity, self.activity_type_id.name or self.env._("Activity")),
            (self.set_hold, self.env._("Credit hold")),
            (self.hand_over, self.env._("Hand-over")),
        ]
        return ", ".join(label for enabled, label in actions if enabled)
