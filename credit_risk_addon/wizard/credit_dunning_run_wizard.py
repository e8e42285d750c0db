from odoo import Command, fields, models
from odoo.exceptions import UserError


class CreditDunningRunWizard(models.TransientModel):
    """Preview the dunning run of a date, then do it: the same plan and code as the scheduled run."""

    _name = "credit.dunning.run.wizard"
    _description = "Dunning Run"

    company_id = fields.Many2one(
        "res.company",
        required=True,
        default=lambda self: self.env.company,
        domain="[('id', 'in', allowed_company_ids)]",
    )
    date = fields.Date(required=True, default=fields.Date.context_today)
    line_ids = fields.One2many("credit.dunning.run.line", "wizard_id", string="Steps", readonly=True)
    previewed = fields.Boolean(readonly=True)

    def _check_company(self):
        if self.company_id not in self.env.user.company_ids:
            raise UserError(self.env._("You may only run the dunning of your own companies."))

    def action_preview(self):
        """List what the run of the date would do, customer by customer (nothing is sent)."""
        self.ensure_one()
        self._check_company()
        plan = (
            self.env["credit.dunning"].sudo().with_company(self.company_id)._plan(self.company_id, self.date)
        )
        levels = self.env["credit.dunning.level"].sudo().browse([step.level.key for _p, _pol, step in plan])
        actions = {level.id: level._actions_text() for level in levels}
        self.line_ids = [Command.clear()] + [
            Command.create(
                {
                    "partner_id": partner.id,
                    "level_id": step.level.key,
                    "move_ids": [Command.set(list(step.items))],
                    "amount": step.amount,
                    "actions": actions[step.level.key],
                }
            )
            for partner, _policy, step in plan
        ]
        self.previewed = True
        return self._reopen()

    def action_run(self):
        """Do the run of the date now, for the customers previewed; opens the history it wrote."""
        self.ensure_one()
        self._check_company()
        if not self.previewed:
            raise UserError(self.env._("Preview the run before doing it."))
        if self.date > self.company_id._credit_today():
            raise UserError(
                self.env._(
                    "A run can be done for today or an earlier day; a later date can only be previewed."
                )
            )
        partner_ids = self.line_ids.partner_id.ids
        history = self.browse()
        if partner_ids:
            history = (
                self.env["credit.dunning"]
                .sudo()
                .with_company(self.company_id)
                ._run(self.company_id, self.date, partner_ids=partner_ids, by_user=True)
            )
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "credit_risk_addon.credit_dunning_history_action"
        )
        action["domain"] = [("id", "in", history.ids)]
        return action

    def _reopen(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
            "name": self.env._("Dunning Run"),
        }


class CreditDunningRunLine(models.TransientModel):
    _name = "credit.dunning.run.line"
    _description = "Dunning Run Step"
    _order = "amount desc, id"

    wizard_id = fields.Many2one("credit.dunning.run.wizard", required=True, ondelete="cascade")
    company_id = fields.Many2one(related="wizard_id.company_id")
    currency_id = fields.Many2one(related="company_id.currency_id")
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    level_id = fields.Many2one("credit.dunning.level", readonly=True)
    move_ids = fields.Many2many("account.move", string="Invoices", readonly=True)
    amount = fields.Monetary(currency_field="currency_id", readonly=True)
    actions = fields.Char(readonly=True)
