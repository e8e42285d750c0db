import math

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, ValidationError
from odoo.tools import SQL, Query, float_compare, float_round, format_amount

from ..rules import aging
from ..rules.inputs import is_sensible_amount
from .credit_figures import FIGURE_SOURCES

CREDIT_READ_GROUPS = (
    "credit_risk_addon.group_credit_user,account.group_account_invoice,account.group_account_readonly"
)
# Fields only a credit manager may change (the server refuses anyone else);
# use_partner_credit_limit is Odoo's switch for credit_limit.
MANAGER_VALUE_FIELDS = ("credit_limit", "credit_hold", "credit_hold_reason")
MAX_REASON_LENGTH = 500
_OPERATORS = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


# The one table of the partner's credit figures: each field and the column of
# the figures query (credit.figures) it shows. The compute, the searches, the
# sorts and groupings all go through it; the report has the same columns.
FIGURE_FIELD_COLUMNS = {
    "credit_receivable": "receivable",
    "credit_draft_invoices": "draft_invoices",
    "credit_orders_to_invoice": "orders",
    "credit_exposure": "exposure",
    "credit_available": "available",
    "credit_unapplied_credits": "unapplied_credits",
    "credit_overdue_amount": "overdue",
    "credit_oldest_overdue_days": "oldest_overdue_days",
    "days_sales_outstanding": "dso",
    **{f"credit_aging_{key}": f"aging_{key}" for key in aging.BUCKET_KEYS},
}
# What every figure field shares: computed from the figures query, readable by
# the credit and accounting groups, and never summed over partners (contacts
# repeat their company's figures).
FIGURE = {"compute": "_compute_credit_figures", "groups": CREDIT_READ_GROUPS, "aggregator": None}
MONEY = {**FIGURE, "currency_field": "credit_currency_id"}


class ResPartner(models.Model):
    _inherit = "res.partner"

    credit_hold = fields.Boolean(
        company_dependent=True,
        copy=False,
        groups=CREDIT_READ_GROUPS,
        help="No new sale order of this customer can be confirmed in this company without a "
        "credit manager's approval.",
    )
    credit_hold_reason = fields.Char(company_dependent=True, copy=False, groups=CREDIT_READ_GROUPS)
    credit_currency_id = fields.Many2one("res.currency", compute="_compute_credit_currency_id")
    # Collections (see credit.dunning)
    credit_dunning_policy_id = fields.Many2one(
        "credit.dunning.policy",
        string="Dunning Policy",
        company_dependent=True,
        copy=False,
        groups=CREDIT_READ_GROUPS,
        domain="[('company_id', '=', current_company_id)]",
        help="How this customer is reminded of overdue invoices in this company; empty: the company's "
        "default policy.",
    )
    credit_dunning_handed_over = fields.Boolean(
        string="Handed Over to Collection",
        company_dependent=True,
        copy=False,
        groups=CREDIT_READ_GROUPS,
        help="Handed over to legal or a collection agency in this company: no more reminders.",
    )
    credit_collector_id = fields.Many2one(
        "res.users",
        string="Collector",
        copy=False,
        domain="[('share', '=', False)]",
        help="Who chases this customer's overdue invoices; empty: its salesperson.",
    )
    credit_dunning_contact_id = fields.Many2one(
        "res.partner",
        string="Dunning Contact",
        copy=False,
        domain="[('id', 'child_of', commercial_partner_id)]",
        help="Who receives the reminders; empty: the invoicing address.",
    )
    credit_dunning_level_id = fields.Many2one(
        "credit.dunning.level",
        string="Dunning Level",
        compute="_compute_credit_dunning",
        groups=CREDIT_READ_GROUPS,
        help="The level of the last reminder step done in this company.",
    )
    credit_dunning_last_date = fields.Date(
        string="Last Dunning Step", compute="_compute_credit_dunning", groups=CREDIT_READ_GROUPS
    )
    credit_dunning_next_date = fields.Date(
        string="Next Dunning Step",
        compute="_compute_credit_dunning",
        groups=CREDIT_READ_GROUPS,
        help="When the next step is planned if nothing is paid by then.",
    )
    credit_dunning_next_level_id = fields.Many2one(
        "credit.dunning.level",
        string="Next Dunning Level",
        compute="_compute_credit_dunning",
        groups=CREDIT_READ_GROUPS,
    )
    credit_dunning_history_count = fields.Integer(
        string="Dunning Steps", compute="_compute_credit_dunning", groups=CREDIT_READ_GROUPS
    )
    credit_promises_kept = fields.Integer(
        string="Promises Kept", compute="_compute_credit_promises", groups=CREDIT_READ_GROUPS
    )
    credit_promises_broken = fields.Integer(
        string="Promises Broken", compute="_compute_credit_promises", groups=CREDIT_READ_GROUPS
    )
    credit_promises_open = fields.Integer(
        string="Open Promises", compute="_compute_credit_promises", groups=CREDIT_READ_GROUPS
    )
    credit_disputes_open = fields.Integer(
        string="Open Disputes", compute="_compute_credit_promises", groups=CREDIT_READ_GROUPS
    )
    credit_receivable = fields.Monetary("Open Receivable", search="_search_credit_receivable", **MONEY)
    credit_draft_invoices = fields.Monetary("Draft Invoices", search="_search_credit_draft_invoices", **MONEY)
    credit_orders_to_invoice = fields.Monetary(
        "Orders to Invoice", search="_search_credit_orders_to_invoice", **MONEY
    )
    credit_exposure = fields.Monetary(search="_search_credit_exposure", **MONEY)
    credit_available = fields.Monetary(
        "Available Credit",
        search="_search_credit_available",
        help="The credit limit less the exposure; empty for a customer without a limit.",
        **MONEY,
    )
    credit_unapplied_credits = fields.Monetary(
        "Unapplied Credits",
        search="_search_credit_unapplied_credits",
        help="Credit notes and payments not matched with an invoice yet. They settle the oldest "
        "overdue invoices first when the overdue amount is worked out.",
        **MONEY,
    )
    credit_overdue_amount = fields.Monetary(
        "Overdue Amount",
        search="_search_credit_overdue_amount",
        help="Invoices past their due date, less the unapplied credits.",
        **MONEY,
    )
    credit_oldest_overdue_days = fields.Integer(
        "Oldest Overdue (days)", search="_search_credit_oldest_overdue_days", **FIGURE
    )
    # Odoo's own DSO, worked out like the other figures: for the current
    # company only (core mixes in the receivables of the whole company tree).
    days_sales_outstanding = fields.Float(
        string="DSO (days)",
        help="Days sales outstanding in the current company: the customer's open receivable divided "
        "by its total invoiced amount in this company, times the days since its first invoice.",
        compute="_compute_credit_figures",
        search="_search_days_sales_outstanding",
        digits=(16, 1),
        aggregator=None,
        # Every internal user, as in core; portal and public users read no credit figure.
        groups="base.group_user",
    )
    credit_aging_not_due = fields.Monetary("Not Due", search="_search_credit_aging_not_due", **MONEY)
    credit_aging_1_30 = fields.Monetary("1-30 Days", search="_search_credit_aging_1_30", **MONEY)
    credit_aging_31_60 = fields.Monetary("31-60 Days", search="_search_credit_aging_31_60", **MONEY)
    credit_aging_61_90 = fields.Monetary("61-90 Days", search="_search_credit_aging_61_90", **MONEY)
    credit_aging_91_120 = fields.Monetary("91-120 Days", search="_search_credit_aging_91_120", **MONEY)
    credit_aging_over_120 = fields.Monetary("Over 120 Days", search="_search_credit_aging_over_120", **MONEY)
    credit_approval_count = fields.Integer(
        compute="_compute_credit_approval_count", groups=CREDIT_READ_GROUPS
    )
    credit_can_edit_limit = fields.Boolean(
        string="Can Edit Credit Limits",
        compute="_compute_credit_can_edit_limit",
        help="The current user may change credit limits and holds (credit managers only).",
    )

    # ------------------------------------------------------------------
    # Compute
    # ------------------------------------------------------------------
    @api.depends_context("company")
    def _compute_credit_currency_id(self):
        self.credit_currency_id = self.env.company.currency_id

    @api.depends_context("company")
    def _compute_credit_figures(self):
        # Every figure comes from the figures query, as computed there. Put in
        # the cache field by field for the whole set: assigned partner by
        # partner, the ORM would look up the currency of every amount (most
        # of the time of a list of every customer).
        company = self.env.company
        # Only the commercial entity is read (not every field of every partner).
        partners = self.with_context(prefetch_fields=False)
        commercial_ids = [partner.commercial_partner_id._origin.id for partner in partners]
        figures = self.env["credit.figures.store"].sudo()._fetch(company, set(commercial_ids))
        rows = [figures[partner_id] for partner_id in commercial_ids]
        # Amounts in the company's currency, to its decimals (as the ORM would round them).
        decimals = company.currency_id.decimal_places
        for fname, column in FIGURE_FIELD_COLUMNS.items():
            field = self._fields[fname]
            values = [row[column] or 0 for row in rows]
            if field.type == "monetary":
                values = [round(value, decimals) + 0.0 for value in values]
            elif field.type == "float":
                digits = field.get_digits(self.env)
                values = [
                    float_round(value, precision_digits=digits[1]) if digits else float(value)
                    for value in values
                ]
            else:
                values = [int(value) for value in values]
            self.env.cache.update(self, field, values)

    @api.depends_context("company")
    def _compute_credit_promises(self):
        company = self.env.company
        commercial = self.commercial_partner_id
        promises = dict.fromkeys(("open", "kept", "broken"), {})
        for partner, state, count in (
            self.env["credit.promise"]
            .sudo()
            ._read_group(
                [("company_id", "=", company.id), ("partner_id", "in", commercial.ids)],
                ["partner_id", "state"],
                ["__count"],
            )
        ):
            promises.setdefault(state, {})
            promises[state] = {**promises[state], partner: count}
        disputes = dict(
            self.env["credit.dispute"]
            .sudo()
            ._read_group(
                [
                    ("company_id", "=", company.id),
                    ("partner_id", "in", commercial.ids),
                    ("state", "=", "open"),
                ],
                ["partner_id"],
                ["__count"],
            )
        )
        for partner in self:
            entity = partner.commercial_partner_id
            partner.credit_promises_open = promises["open"].get(entity, 0)
            partner.credit_promises_kept = promises["kept"].get(entity, 0)
            partner.credit_promises_broken = promises["broken"].get(entity, 0)
            partner.credit_disputes_open = disputes.get(entity, 0)

    @api.depends_context("company")
    def _compute_credit_dunning(self):
        company = self.env.company
        commercial = self.commercial_partner_id
        History = self.env["credit.dunning.history"].sudo()
        last = {}
        counts = dict(
            History._read_group(
                [("company_id", "=", company.id), ("partner_id", "in", commercial.ids)],
                ["partner_id"],
                ["__count"],
            )
        )
        for history in History.search(
            [("company_id", "=", company.id), ("partner_id", "in", commercial.ids), ("state", "=", "done")],
            order="date desc, id desc",
        ):
            last.setdefault(history.partner_id, history)
        plans = self.env["credit.dunning"].sudo()._next_steps(company, commercial)
        for partner in self:
            entity = partner.commercial_partner_id
            history = last.get(entity)
            next_date, next_level = plans.get(entity.id, (False, False))
            partner.credit_dunning_level_id = history.level_id if history else False
            partner.credit_dunning_last_date = history.date if history else False
            partner.credit_dunning_next_date = next_date
            partner.credit_dunning_next_level_id = next_level
            partner.credit_dunning_history_count = counts.get(entity, 0)

    @api.depends_context("uid")
    def _compute_credit_can_edit_limit(self):
        self.credit_can_edit_limit = self.env["res.users"]._credit_is_manager()

    def _compute_credit_approval_count(self):
        Request = self.env["credit.approval.request"]
        counts = {}
        if Request.has_access("read"):
            groups = Request._read_group(
                [("partner_id", "in", self.commercial_partner_id._origin.ids)], ["partner_id"], ["__count"]
            )
            counts = {partner.id: count for partner, count in groups}
        for partner in self:
            partner.credit_approval_count = counts.get(partner.commercial_partner_id.id, 0)

    def _search_credit_receivable(self, operator, value):
        return self._credit_figure_domain("credit_receivable", operator, value)

    def _search_credit_draft_invoices(self, operator, value):
        return self._credit_figure_domain("credit_draft_invoices", operator, value)

    def _search_credit_orders_to_invoice(self, operator, value):
        return self._credit_figure_domain("credit_orders_to_invoice", operator, value)

    def _search_credit_exposure(self, operator, value):
        return self._credit_figure_domain("credit_exposure", operator, value)

    def _search_credit_available(self, operator, value):
        return self._credit_figure_domain("credit_available", operator, value)

    def _search_credit_unapplied_credits(self, operator, value):
        return self._credit_figure_domain("credit_unapplied_credits", operator, value)

    def _search_credit_overdue_amount(self, operator, value):
        return self._credit_figure_domain("credit_overdue_amount", operator, value)

    def _search_credit_oldest_overdue_days(self, operator, value):
        return self._credit_figure_domain("credit_oldest_overdue_days", operator, value)

    def _search_days_sales_outstanding(self, operator, value):
        return self._credit_figure_domain("days_sales_outstanding", operator, value)

    def _search_credit_aging_not_due(self, operator, value):
        return self._credit_figure_domain("credit_aging_not_due", operator, value)

    def _search_credit_aging_1_30(self, operator, value):
        return self._credit_figure_domain("credit_aging_1_30", operator, value)

    def _search_credit_aging_31_60(self, operator, value):
        return self._credit_figure_domain("credit_aging_31_60", operator, value)

    def _search_credit_aging_61_90(self, operator, value):
        return self._credit_figure_domain("credit_aging_61_90", operator, value)

    def _search_credit_aging_91_120(self, operator, value):
        return self._credit_figure_domain("credit_aging_91_120", operator, value)

    def _search_credit_aging_over_120(self, operator, value):
        return self._credit_figure_domain("credit_aging_over_120", operator, value)

    @api.model
    def _credit_figure_domain(self, fname, operator, value):
        """Set-based search on a credit figure of the current company.

        The figures live in ``credit.exposure.report`` (one SQL view);
        customers without any activity have no row there and count as 0.
        """
        # A figure the user may not read is not searchable either: a search is an oracle.
        self.check_field_access_rights("read", [fname])
        column = FIGURE_FIELD_COLUMNS[fname]
        if (
            operator not in _OPERATORS
            or isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not math.isfinite(value)
        ):
            raise ValidationError(self.env._("Unsupported search on credit figures: %(op)s", op=operator))
        report = self.env["credit.exposure.report"].sudo()
        company_domain = [("company_id", "=", self.env.company.id)]
        matching = report._search([*company_domain, (column, operator, value)]).subselect("partner_id")
        domain = [("commercial_partner_id", "in", matching)]
        if _OPERATORS[operator](0, value):
            with_rows = report._search(company_domain).subselect("partner_id")
            domain = ["|", *domain, ("commercial_partner_id", "not in", with_rows)]
        return domain

    def _field_to_sql(self, alias: str, fname: str, query: Query | None = None, flush: bool = True) -> SQL:
        """Credit figures in SQL, so that lists sort and group customers by them.

        The figures of the current company come from credit.exposure.report,
        joined once per query on the commercial partner; no row means 0.
        """
        column = FIGURE_FIELD_COLUMNS.get(fname)
        if not column or query is None:
            return super()._field_to_sql(alias, fname, query, flush)
        self.check_field_access_rights("read", [fname])
        company_id = self.env.company.id
        table = self._credit_figures_table(company_id, flush)
        figures = query.make_alias(alias, "credit_figures")
        query.add_join(
            "LEFT JOIN",
            figures,
            table,
            SQL(
                "%s = %s AND %s = %s",
                SQL.identifier(figures, "partner_id"),
                SQL.identifier(alias, "commercial_partner_id"),
                SQL.identifier(figures, "company_id"),
                company_id,
            ),
        )
        return SQL("COALESCE(%s, 0)", SQL.identifier(figures, column))

    @api.model
    def _credit_figures_table(self, company_id, flush):
        """The company's report rows as a SQL table, for a query run at once.

        Built again for each query: it reads the stored figures and computes
        those of the customers changed when it is built (see
        ``credit.figures.store``).
        """
        table = SQL("(%s)", self.env["credit.exposure.report"].sudo()._report_query(company_ids=[company_id]))
        if flush:
            # Markers that make the ORM flush the figures' sources before running the query.
            table = SQL(
                "%s%s",
                table,
                SQL("").join(
                    SQL("", to_flush=self.env[model]._fields[name])
                    for model, names in FIGURE_SOURCES.items()
                    for name in names
                ),
            )
        return table

    # ------------------------------------------------------------------
    # Constraints
    # ------------------------------------------------------------------
    @api.constrains("credit_limit")
    def _check_credit_limit_positive(self):
        for partner in self.sudo():
            if not is_sensible_amount(partner.credit_limit):
                raise ValidationError(
                    self.env._(
                        "The credit limit of %(partner)s must be a number of a sensible size.",
                        partner=partner.display_name,
                    )
                )
            if partner.credit_limit < 0:
                raise ValidationError(
                    self.env._(
                        "The credit limit of %(partner)s cannot be negative (%(limit)s).",
                        partner=partner.display_name,
                        limit=partner.credit_limit,
                    )
                )

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        partners = super().create(vals_list)
        if not self.env["res.users"]._credit_is_manager():
            # Checked on what was created (context defaults and imports included).
            if any(
                partner.sudo().credit_dunning_policy_id or partner.sudo().credit_dunning_handed_over
                for partner in partners
            ):
                raise AccessError(self.env._("Only credit managers may change how a customer is dunned."))
            if any(partner.credit_collector_id or partner.credit_dunning_contact_id for partner in partners):
                self._credit_check_collections_writer({"credit_collector_id": True})
            # Checked on what was created, not on what was sent: context
            # defaults, imports and the sync from a parent company included.
            partners._credit_check_standing({})
        return partners

    def write(self, vals):
        manager = self.env["res.users"]._credit_is_manager()
        before = {} if manager else self._credit_standing()
        old_limits = {}
        if "credit_limit" in vals or "use_partner_credit_limit" in vals:
            old_limits = {partner.id: partner.sudo().credit_limit for partner in self}
        if not manager:
            self._credit_check_protected(vals)
            if {"credit_dunning_policy_id", "credit_dunning_handed_over"} & vals.keys():
                raise AccessError(self.env._("Only credit managers may change how a customer is dunned."))
            self._credit_check_collections_writer(vals)
        moves = {"parent_id", "is_company"} & vals.keys()
        commercial_before = {partner.id: partner.commercial_partner_id for partner in self} if moves else {}
        if moves and not manager:
            self._credit_check_move(vals)
        result = super().write(vals)
        if commercial_before:
            became = self._credit_reset_new_entities(commercial_before)
            before.update(became._credit_standing() if before else {})
        if not manager:
            self._credit_check_standing(before)
        if old_limits:
            self._credit_log_limit_changes(old_limits)
        return result

    def _credit_standing(self):
        """The manager-only values of these partners in the current company."""
        return {partner.id: tuple(partner.sudo()[name] for name in MANAGER_VALUE_FIELDS) for partner in self}

    def _credit_check_standing(self, before):
        """Refuse when a partner's manager-only values differ from ``before`` (a new partner's when
        absent), unless a contact merely carries its company's values (synced by Odoo)."""
        fallback = self._fields["credit_limit"].get_company_dependent_fallback(self) or 0.0
        new_partner = (fallback, False, False)
        for partner in self:
            now = self.browse(partner.id)._credit_standing()[partner.id]
            commercial = partner.commercial_partner_id
            synced = commercial != partner and now[0] == commercial.sudo().credit_limit and not any(now[1:])
            if self._credit_differs(now, before.get(partner.id, new_partner)) and not synced:
                raise AccessError(self._credit_manager_only_message())

    @staticmethod
    def _credit_differs(now, then):
        return (
            float_compare(now[0] or 0.0, then[0] or 0.0, 2) != 0
            or bool(now[1]) != bool(then[1])
            or ((now[2] or False) != (then[2] or False))
        )

    def _credit_check_protected(self, vals):
        """What moves a customer's credit standing or the gate's date, refused to non-managers:
        the commercial entity (computed by Odoo, never set by a client) and the time zone of a
        company's own address (it sets the company's "today")."""
        if "commercial_partner_id" in vals:
            raise AccessError(self.env._("The commercial entity of a partner is computed from its parent."))
        if "tz" in vals and not self.env.user.has_group("base.group_system"):
            companies = self.env["res.company"].sudo().search([("partner_id", "in", self.ids)])
            if companies:
                raise AccessError(
                    self.env._(
                        "The time zone of %(company)s sets the date its credit rules use: only an "
                        "administrator changes it.",
                        company=companies[0].name,
                    )
                )

    def _credit_check_move(self, vals):
        """A non-manager does not move a customer's credit standing: no partner leaves (for another
        company, or to become a company of its own) a customer that has its own limit, is on hold or
        too far overdue: its orders would be judged on another standing."""
        for partner in self.sudo():
            moved = ("parent_id" in vals and (vals["parent_id"] or False) != partner.parent_id.id) or (
                "is_company" in vals and bool(vals["is_company"]) != partner.is_company
            )
            if not moved:
                continue
            commercial = partner.commercial_partner_id.with_company(self.env.company)
            figures = (
                self.env["credit.figures.store"]
                .sudo()
                ._fetch(self.env.company, commercial.ids)[commercial.id]
            )
            if (
                commercial.credit_hold
                or commercial.use_partner_credit_limit
                or figures["past_overdue_threshold"]
            ):
                raise AccessError(
                    self.env._(
                        "%(partner)s belongs to a customer with its own credit limit, on credit hold or "
                        "too far overdue: only a credit manager can move it.",
                        partner=partner.display_name,
                    )
                )

    def _credit_reset_new_entities(self, commercial_before):
        """A contact that becomes a company of its own does not keep the limit it was synced from its
        former company: it starts with the default limit, in every company."""
        became = self.filtered(
            lambda partner: (
                commercial_before[partner.id] != partner and partner.commercial_partner_id == partner
            )
        )
        if became:
            self.env.cr.execute(
                SQL("UPDATE res_partner SET credit_limit = NULL WHERE id IN %s", tuple(became.ids))
            )
            became.invalidate_recordset(["credit_limit"])
        return became

    def _credit_log_limit_changes(self, old_limits):
        company = self.env.company
        for partner in self:
            new_limit = partner.sudo().credit_limit
            old_limit = old_limits.get(partner.id, 0.0)
            # Contacts get the limit synced from their company: log it once, there.
            if partner == partner.commercial_partner_id and float_compare(old_limit, new_limit, 2) != 0:
                partner.sudo().message_post(
                    body=self.env._(
                        "Credit limit in %(company)s changed from %(old)s to %(new)s.",
                        company=company.name,
                        old=format_amount(self.env, old_limit, company.currency_id),
                        new=format_amount(self.env, new_limit, company.currency_id),
                    )
                )

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_credit_hold(self):
        return self._credit_hold_wizard_action("hold")

    def action_credit_release(self):
        return self._credit_hold_wizard_action("release")

    def _credit_hold_wizard_action(self, mode):
        self._credit_check_manager()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Put on Credit Hold") if mode == "hold" else self.env._("Release Credit Hold"),
            "res_model": "credit.hold.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_partner_ids": self.commercial_partner_id.ids, "default_mode": mode},
        }

    def action_view_credit_approvals(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "credit_risk_addon.credit_approval_request_action"
        )
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {}
        return action

    # ------------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------------
    @api.model
    def _credit_manager_only_message(self):
        return self.env._("Only a credit manager can change credit limits and credit holds.")

    @api.model
    def _credit_check_manager(self):
        if not self.env["res.users"]._credit_is_manager():
            raise AccessError(self._credit_manager_only_message())

    def _credit_set_hold(self, hold, reason):
        """Put the commercial partners on hold (``hold=True``) or release them."""
        self._credit_check_manager()
        reason = (reason or "").strip()
        if not reason:
            raise ValidationError(self.env._("A reason is required to put on or release a credit hold."))
        if len(reason) > MAX_REASON_LENGTH:
            raise ValidationError(
                self.env._("Keep the reason under %(length)s characters.", length=MAX_REASON_LENGTH)
            )
        company = self.env.company
        partners = self.commercial_partner_id
        # Authorised above; the manager may lack the generic right to edit contacts.
        partners.sudo().write({"credit_hold": hold, "credit_hold_reason": reason if hold else False})
        for partner in partners:
            if hold:
                body = self.env._(
                    "Put on credit hold in %(company)s by %(user)s: %(reason)s",
                    company=company.name,
                    user=self.env.user.name,
                    reason=reason,
                )
            else:
                body = self.env._(
                    "Credit hold released in %(company)s by %(user)s: %(reason)s",
                    company=company.name,
                    user=self.env.user.name,
                    reason=reason,
                )
            # As superuser: a manager without an email address still gets the hold applied and logged.
            partner.sudo().message_post(body=body)
        return True

    def _credit_lock(self):
        """Serialize credit checks of these commercial partners.

        Odoo runs transactions in REPEATABLE READ: a plain ``FOR UPDATE``
        would let a second transaction, once the first commits, go on with
        its old snapshot. Updating the row (to the same value) makes the
        second one wait and then fail with a serialization error, which
        Odoo retries; the retry sees the first order and judges again.
        """
        if self.ids:
            self.env.cr.execute(
                SQL("UPDATE res_partner SET write_date = write_date WHERE id IN %s", tuple(self.ids))
            )

    def action_send_credit_statement(self):
        """Open the mail composer with the customer statement (PDF) attached, in the partner's language."""
        self.ensure_one()
        template = self.env.ref("credit_risk_addon.mail_template_credit_statement", raise_if_not_found=False)
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Send Statement"),
            "res_model": "mail.compose.message",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {
                "default_model": self._name,
                "default_res_ids": self.ids,
                "default_template_id": template.id if template else False,
                "default_composition_mode": "comment",
                "default_email_layout_xmlid": "mail.mail_notification_light",
                "force_email": True,
            },
        }

    # ------------------------------------------------------------------
    # Collections
    # ------------------------------------------------------------------
    @api.constrains("credit_dunning_contact_id", "parent_id", "is_company")
    def _check_credit_dunning_contact(self):
        for partner in self:
            contact = partner.credit_dunning_contact_id
            if contact and contact.commercial_partner_id != partner.commercial_partner_id:
                raise ValidationError(
                    self.env._(
                        "The dunning contact of %(customer)s must be one of its own contacts.",
                        customer=partner.display_name,
                    )
                )

    @api.constrains("credit_collector_id")
    def _check_credit_collector(self):
        for partner in self:
            if partner.credit_collector_id.share:
                raise ValidationError(self.env._("A collector is an internal user."))

    def _credit_check_collections_writer(self, vals):
        """Who chases a customer and who receives its reminders: billing users and credit managers only."""
        if {"credit_collector_id", "credit_dunning_contact_id"} & vals.keys() and not (
            self.env.su or self.env.user.has_group("account.group_account_invoice")
        ):
            raise AccessError(
                self.env._(
                    "Only billing users and credit managers choose a customer's collector and "
                    "dunning contact."
                )
            )

    def _credit_collector(self):
        """Who chases this customer: its collector, else its salesperson."""
        self.ensure_one()
        entity = self.commercial_partner_id
        return entity.credit_collector_id or entity.user_id

    def _credit_dunning_recipient(self):
        """Who receives the reminders: the dunning contact, else the invoicing address."""
        self.ensure_one()
        entity = self.commercial_partner_id
        contact = entity.credit_dunning_contact_id
        if contact and contact.commercial_partner_id == entity:
            return contact
        return self.browse(entity.address_get(["invoice"])["invoice"])

    def _credit_dunning_hold(self, level):
        """Put the customer on hold for a dunning level (the run does it: no manager check)."""
        reason = self.env._("Dunning level %(level)s", level=level.name)
        for partner in self.commercial_partner_id:
            partner.write({"credit_hold": True, "credit_hold_reason": reason})
            partner.message_post(
                body=self.env._(
                    "Put on credit hold in %(company)s by the dunning run: %(reason)s",
                    company=self.env.company.name,
                    reason=reason,
                )
            )

    def _credit_promise_action(self, invoices=None):
        """A dialog to record a promise to pay of this customer (for ``invoices``, else its overdue ones)."""
        self.ensure_one()
        entity = self.commercial_partner_id
        if invoices is None:
            invoices = self.env["account.move"].search(
                [
                    ("commercial_partner_id", "=", entity.id),
                    ("company_id", "=", self.env.company.id),
                    ("move_type", "=", "out_invoice"),
                    ("state", "=", "posted"),
                    ("payment_state", "in", ("not_paid", "partial")),
                    ("invoice_date_due", "<", self.env.company._credit_today()),
                ]
            )
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Record a Promise to Pay"),
            "res_model": "credit.promise",
            "view_mode": "form",
            "target": "new",
            "context": {
                "default_partner_id": entity.id,
                "default_move_ids": [Command.set(invoices.ids)],
                "default_amount": sum(invoices.mapped("amount_residual_signed")),
            },
        }

    def action_credit_record_promise(self):
        return self._credit_promise_action()

    def action_credit_dunning_history(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "credit_risk_addon.credit_dunning_history_action"
        )
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"search_default_group_date": 0}
        return action
