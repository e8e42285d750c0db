from odoo import api, fields, models
from odoo.exceptions import ValidationError

# The trade's usual ladder (days relative to the due date), shipped as each company's default policy.
DEFAULT_LADDER = (
    # (xml-free key, days, email, letter, activity, hold, hand-over)
    ("courtesy", -7, True, False, False, False, False),
    ("reminder", 15, True, False, False, False, False),
    ("firm", 30, True, True, True, False, False),
    ("final", 45, True, True, False, True, False),
    ("handover", 60, False, False, True, False, True),
)


class CreditDunningPolicy(models.Model):
    """How a company reminds its customers of overdue invoices: an ordered ladder of levels."""

    _name = "credit.dunning.policy"
    _description = "Dunning Policy"
    _check_company_auto = True
    _order = "company_id, sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    is_default = fields.Boolean(
        string="Default Policy",
        help="Followed by the company's customers that are given no other policy.",
    )
    min_interval_days = fields.Integer(
        string="Days Between Two Steps",
        default=7,
        help="A customer gets no new step sooner than this many days after the last one.",
    )
    level_ids = fields.One2many("credit.dunning.level", "policy_id", string="Levels", copy=True)

    _sql_constraints = [
        (
            "min_interval_positive",
            "CHECK(min_interval_days >= 0)",
            "The days between two steps cannot be negative.",
        ),
    ]

    @api.constrains("is_default", "company_id", "active")
    def _check_one_default(self):
        for company in self.filtered("is_default").company_id:
            defaults = self.search_count(
                [("company_id", "=", company.id), ("is_default", "=", True), ("active", "=", True)]
            )
            if defaults > 1:
                raise ValidationError(
                    self.env._("%(company)s can have only one default dunning policy.", company=company.name)
                )

    @api.constrains("min_interval_days")
    def _check_min_interval(self):
        if any(policy.min_interval_days < 0 for policy in self):
            raise ValidationError(self.env._("The days between two steps cannot be negative."))

    @api.model
    def _create_default_everywhere(self):
        return self._create_default(self.env["res.company"].search([("active", "=", True)]))

    @api.model
    def _create_default(self, companies):
        """Give each company without a policy the trade's usual ladder, as its default policy."""
        Level = self.env["credit.dunning.level"]
        templates = {
            "courtesy": self.env.ref(
                "credit_risk_addon.mail_template_dunning_courtesy", raise_if_not_found=False
            ),
            "other": self.env.ref(
                "credit_risk_addon.mail_template_dunning_reminder", raise_if_not_found=False
            ),
        }
        names = {
            "courtesy": self.env._("Courtesy reminder"),
            "reminder": self.env._("Reminder"),
            "firm": self.env._("Firm letter and call"),
            "final": self.env._("Final notice"),
            "handover": self.env._("Hand-over to collection"),
        }
        call = self.env.ref("mail.mail_activity_data_call", raise_if_not_found=False)
        todo = self.env.ref("mail.mail_activity_data_todo", raise_if_not_found=False)
        policies = self.browse()
        for company in companies:
            if self.with_context(active_test=False).search_count([("company_id", "=", company.id)]):
                continue
            policy = self.create(
                {"name": self.env._("Standard"), "company_id": company.id, "is_default": True}
            )
            Level.create(
                [
                    {
                        "policy_id": policy.id,
                        "name": names[key],
                        "days": days,
                        "send_email": email,
                        "mail_template_id": (
                            templates["courtesy"] if key == "courtesy" else templates["other"]
                        ).id
                        if email
                        else False,
                        "send_letter": letter,
                        "create_activity": activity,
                        "activity_type_id": (call if key == "firm" else todo).id if activity else False,
                        "set_hold": hold,
                        "hand_over": handover,
                    }
                    for key, days, email, letter, activity, hold, handover in DEFAULT_LADDER
                ]
            )
            policies |= policy
        return policies
