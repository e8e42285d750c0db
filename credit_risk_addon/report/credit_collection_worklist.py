from odoo import fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from ..models.credit_figures_store import report_id

# Who may act from the worklist (record promises and disputes, send a reminder now).
ACTING_GROUPS = ("account.group_account_invoice", "credit_risk_addon.group_credit_manager")


class CreditCollectionWorklist(models.Model):
    """Collections today: one line per customer with something overdue, what is at stake first.

    Built on the credit figures (overdue amount, oldest overdue days) of each
    company, with the customer's collector, its broken and open promises, its
    disputes and its last dunning step, in one SQL query; the next step of
    the dunning ladder is worked out for the lines shown.
    """

    _name = "credit.collection.worklist"
    _description = "Collections Today"
    _auto = False
    _rec_name = "partner_id"
    _order = "priority desc, overdue desc, partner_id"

    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    collector_id = fields.Many2one("res.users", readonly=True)
    overdue = fields.Monetary(string="Overdue Amount", readonly=True)
    oldest_overdue_days = fields.Integer(string="Oldest Overdue (days)", readonly=True, aggregator="max")
    broken_promises = fields.Integer(readonly=True)
    promise_date = fields.Date(
        string="Promised For", readonly=True, help="The next date an open promise falls due."
    )
    disputed = fields.Monetary(string="Disputed Amount", readonly=True)
    level_id = fields.Many2one("credit.dunning.level", string="Dunning Level", readonly=True)
    last_step_date = fields.Date(string="Last Step", readonly=True)
    credit_hold = fields.Boolean(readonly=True)
    priority = fields.Float(
        string="At Stake",
        readonly=True,
        aggregator="sum",
        digits=(16, 0),
        help="What orders the list: overdue amount × (1 + oldest overdue days / 90) "
        "× (1 + broken promises / 2).",
    )
    next_action = fields.Char(compute="_compute_next_action")
    next_action_date = fields.Date(compute="_compute_next_action")

    @property
    def _table_query(self):
        figures = self.env["credit.figures.store"]._current_query(None)
        return SQL(
            """
            SELECT %(id)s AS id, f.company_id, f.partner_id, f.currency_id, f.overdue, f.oldest_overdue_days,
                   f.credit_hold,
                   COALESCE(partner.credit_collector_id, partner.user_id) AS collector_id,
                   COALESCE(promises.broken, 0) AS broken_promises, promises.next_date AS promise_date,
                   COALESCE(disputes.amount, 0) AS disputed,
                   steps.level_id, steps.date AS last_step_date,
                   f.overdue * (1 + f.oldest_overdue_days / 90.0) * (1 + COALESCE(promises.broken, 0) / 2.0)
                       AS priority
              FROM (%(figures)s) f
              JOIN res_partner partner ON partner.id = f.partner_id
         LEFT JOIN (
                    SELECT company_id, partner_id, COUNT(*) FILTER (WHERE state = 'broken') AS broken,
                           MIN(promise_date) FILTER (WHERE state = 'open') AS next_date
                      FROM credit_promise GROUP BY company_id, partner_id
                   ) promises ON promises.company_id = f.company_id AND promises.partner_id = f.partner_id
         LEFT JOIN (
                    SELECT company_id, partner_id, SUM(amount) AS amount
                      FROM credit_dispute WHERE state = 'open' GROUP BY company_id, partner_id
                   ) disputes ON disputes.company_id = f.company_id AND disputes.partner_id = f.partner_id
         LEFT JOIN LATERAL (
                    SELECT history.level_id, history.date
                      FROM credit_dunning_history history
                     WHERE history.company_id = f.company_id AND history.partner_id = f.partner_id
                       AND history.state = 'done'
                  ORDER BY history.date DESC, history.id DESC
                     LIMIT 1
                   ) steps ON TRUE
             WHERE f.overdue > 0
               AND NOT COALESCE((partner.credit_dunning_handed_over ->> f.company_id::text)::boolean, FALSE)
            """,
            id=report_id("f"),
            figures=figures,
        )

    def _compute_next_action(self):
        Dunning = self.env["credit.dunning"].sudo()
        plans = {}
        for company in self.company_id:
            partners = self.filtered(lambda line, company=company: line.company_id == company).partner_id
            plans[company] = Dunning._next_steps(company, partners)
        for line in self:
            today = line.company_id._credit_today()
            day, level = plans[line.company_id].get(line.partner_id.id, (False, False))
            if line.promise_date and line.promise_date >= today:
                line.next_action = self.env._("Wait for the promised payment")
                line.next_action_date = line.promise_date
            elif day:
                line.next_action = level.name
                line.next_action_date = day
            else:
                line.next_action = self.env._("Call the customer")
                line.next_action_date = today

    # ------------------------------------------------------------------
    # Actions (one click from the list)
    # ------------------------------------------------------------------
    def _check_acting(self):
        if not any(self.env.user.has_group(group) for group in ACTING_GROUPS):
            raise AccessError(self.env._("Only billing users and credit managers act on collections."))

    def action_log_call(self):
        """Log a call with the customer (an activity of type Call, for the user, to fill and mark done)."""
        self.ensure_one()
        self._check_acting()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Log a Call"),
            "res_model": "mail.activity",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {
                "default_res_model_id": self.env["ir.model"]._get_id("res.partner"),
                "default_res_id": self.partner_id.id,
                "default_activity_type_id": self.env.ref("mail.mail_activity_data_call").id,
                "default_user_id": self.env.user.id,
                "default_summary": self.env._("Call about overdue invoices"),
            },
        }

    def action_record_promise(self):
        self.ensure_one()
        self._check_acting()
        return self.partner_id.with_company(self.company_id)._credit_promise_action()

    def action_open_dispute(self):
        """Open a dispute on the customer's oldest overdue invoice (another can be chosen)."""
        self.ensure_one()
        self._check_acting()
        invoice = self.env["account.move"].search(
            [
                ("commercial_partner_id", "=", self.partner_id.id),
                ("company_id", "=", self.company_id.id),
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("payment_state", "in", ("not_paid", "partial")),
                ("credit_disputed", "=", False),
            ],
            order="invoice_date_due, id",
            limit=1,
        )
        if not invoice:
            raise UserError(
                self.env._("%(customer)s has no open invoice to dispute.", customer=self.partner_id.name)
            )
        return invoice.action_credit_open_dispute()

    def action_send_reminder(self):
        """Do the customer's dunning step due today now, instead of waiting for tomorrow's run."""
        self.ensure_one()
        self._check_acting()
        company = self.company_id
        history = (
            self.env["credit.dunning"]
            .sudo()
            .with_company(company)
            ._run(company, company._credit_today(), partner_ids=self.partner_id.ids, by_user=True)
        )
        if not history:
            raise UserError(
                self.env._(
                    "No dunning step is due for %(customer)s today (see its next step on the list).",
                    customer=self.partner_id.name,
                )
            )
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "credit_risk_addon.credit_dunning_history_action"
        )
        action["domain"] = [("id", "in", history.ids)]
        return action
