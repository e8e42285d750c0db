import logging
from dataclasses import dataclass

from odoo import api, fields, models
from odoo.exceptions import RedirectWarning, UserError
from odoo.tools import format_amount, format_date

from ..rules import gate

# Context key of the GatePass action_confirm() hands to core's confirmation.
GATE_PASS_KEY = "credit_gate_pass"
# Stored computed amounts the credit figures and the gate read: the server
# computes them, a client never sets them (an RPC write would otherwise be kept).
SERVER_COMPUTED_FIELDS = {
    "sale.order": {
        "amount_untaxed",
        "amount_tax",
        "amount_total",
        "currency_rate",
        "amount_to_invoice",
        # Set by the gate itself when it holds an accepted or paid quotation.
        "credit_review_pending",
    },
    "sale.order.line": {
        # Which invoice lines bill an order line: set by invoicing, never by a client.
        "invoice_lines",
        "price_subtotal",
        "price_tax",
        "price_total",
        "qty_invoiced",
        "qty_invoiced_posted",
        "qty_to_invoice",
        "untaxed_amount_invoiced",
        "untaxed_amount_to_invoice",
        "amount_to_invoice",
    },
}
# Changes to a confirmed order that can raise what its customer owes.
GROWTH_FIELDS = {
    "partner_id",
    "partner_invoice_id",
    "company_id",
    "currency_id",
    "pricelist_id",
    "date_order",
}
GATE_STATUS = [
    ("none", "No Credit Check"),
    ("pass", "Will Pass"),
    ("warn", "Warning"),
    ("approved", "Approved by Credit Manager"),
    ("pending", "Approval Pending"),
    ("block", "Will Be Refused"),
]
# Credit figures are for the company's staff: portal and public users read none.
INTERNAL_GROUP = "base.group_user"
# Who sees an order's approval requests (their record rules say which).
APPROVAL_READ_GROUPS = "sales_team.group_sale_salesman,credit_risk_addon.group_credit_user"


class GatePass:
    """The orders action_confirm() has just judged, with the amount each was judged at.

    It travels in the context to core's confirmation (which asks the gate
    again, and writes the state). JSON-RPC and XML-RPC carry plain values
    only, never an instance of this class: no client can forge it.
    """

    __slots__ = ("amounts",)

    def __init__(self, amounts):
        self.amounts = dict(amounts)

    @classmethod
    def of(cls, env):
        value = env.context.get(GATE_PASS_KEY)
        return value if isinstance(value, cls) else cls({})

    def covers(self, order):
        return order.id in self.amounts and not order.currency_id.compare_amounts(
            self.amounts[order.id], order._credit_total()
        )


@dataclass(frozen=True)
class GateContext:
    """What the gate reads for one order: the mode, the debtor's figures row, its requests."""

    mode: str
    figures: dict
    approval: models.BaseModel | None = None  # valid approval of the order, if any
    pending: models.BaseModel | None = None  # pending request of the order, if any


@dataclass(frozen=True)
class CreditCheck:
    """What the gate says of one order, with what the panel and messages need.

    ``decision`` is ``None`` when the gate does not apply to the order (gate
    off, paid online and exempt, not a quotation).
    """

    data: gate.GateInput | None = None
    decision: gate.GateDecision | None = None
    overdue: float = 0.0
    approval: models.BaseModel | None = None  # valid approval of the order, if any
    pending: models.BaseModel | None = None  # pending request of the order, if any

    @property
    def blocking(self):
        return bool(self.decision and self.decision.blocking)

    @property
    def status(self):
        if self.decision is None:
            return "none"
        if self.decision.blocking:
            return "pending" if self.pending else "block"
        if self.decision.approved:
            return "approved"
        if self.decision.reasons:
            return "warn"
        return "pass"


def _gate_amount(string):
    """A figure of the credit panel, in company currency."""
    return fields.Monetary(
        string=string,
        currency_field="credit_currency_id",
        compute="_compute_partner_credit_warning",
        groups=INTERNAL_GROUP,
    )


class SaleOrder(models.Model):
    _inherit = "sale.order"

    # Shown to the salesperson on the quotation; worked out with sudo() from
    # the customer's figures in the order's company.
    credit_currency_id = fields.Many2one(related="company_id.currency_id", string="Company Currency")
    credit_gate_status = fields.Selection(
        GATE_STATUS, string="Credit Check", compute="_compute_partner_credit_warning", groups=INTERNAL_GROUP
    )
    credit_gate_limit = _gate_amount("Credit Limit")
    credit_gate_exposure = _gate_amount("Current Exposure")
    credit_gate_order_amount = _gate_amount("This Order")
    credit_gate_remaining = _gate_amount("Remaining After Order")
    credit_gate_overdue = _gate_amount("Overdue Amount")
    credit_gate_approved_amount = _gate_amount("Approved Up To")
    credit_gate_approval_expiry = fields.Date(
        string="Approval Valid Until", compute="_compute_partner_credit_warning", groups=INTERNAL_GROUP
    )
    credit_review_pending = fields.Boolean(
        string="Waiting for Credit Review",
        copy=False,
        readonly=True,
        help="Accepted or paid by the customer, but held by the credit gate until a credit manager "
        "approves it.",
    )
    credit_approval_ids = fields.One2many(
        "credit.approval.request", "order_id", string="Credit Approvals", groups=APPROVAL_READ_GROUPS
    )
    credit_approval_count = fields.Integer(
        compute="_compute_credit_approval_count", groups=APPROVAL_READ_GROUPS
    )

    # ------------------------------------------------------------------
    # Compute
    # ------------------------------------------------------------------
    @api.depends("company_id", "partner_id", "partner_invoice_id", "amount_total", "state")
    @api.depends_context("uid")
    def _compute_partner_credit_warning(self):
        # Replaces the core banner text with one built from this module's
        # figures (right company, full exposure, hold and overdue rules).
        quotations = self.filtered(lambda order: order.state in ("draft", "sent") and order.partner_id)
        contexts = {} if self.env.user.share else quotations._credit_gate_inputs()
        # Core's banner (one receivable query per customer) only where the gate
        # does not judge: the others get this module's banner below.
        result = super(
            SaleOrder, self.filtered(lambda order: order.id not in contexts)
        )._compute_partner_credit_warning()
        for order in self:
            check = order._credit_judge(contexts.get(order.id))
            if self.env.user.share:
                # Portal and public users (a customer, a link holder) see no credit figure.
                order.partner_credit_warning = ""
            if check.decision is None:
                order.update(
                    {
                        "credit_gate_status": "none",
                        "credit_gate_limit": 0.0,
                        "credit_gate_exposure": 0.0,
                        "credit_gate_order_amount": 0.0,
                        "credit_gate_remaining": 0.0,
                        "credit_gate_overdue": 0.0,
                        "credit_gate_approved_amount": 0.0,
                        "credit_gate_approval_expiry": False,
                    }
                )
                continue
            data, decision = check.data, check.decision
            order.update(
                {
                    "credit_gate_status": check.status,
                    "credit_gate_limit": data.credit_limit,
                    "credit_gate_exposure": data.exposure,
                    "credit_gate_order_amount": data.order_amount,
                    "credit_gate_remaining": decision.remaining or 0.0,
                    "credit_gate_overdue": check.overdue,
                    "credit_gate_approved_amount": check.approval.approved_amount if check.approval else 0.0,
                    "credit_gate_approval_expiry": check.approval.expiry_date if check.approval else False,
                    "partner_credit_warning": order._credit_banner(check),
                }
            )
        return result

    def _compute_credit_approval_count(self):
        Request = self.env["credit.approval.request"]
        counts = {}
        if Request.has_access("read"):
            groups = Request._read_group([("order_id", "in", self._origin.ids)], ["order_id"], ["__count"])
            counts = {order.id: count for order, count in groups}
        for order in self:
            order.credit_approval_count = counts.get(order._origin.id, 0)

    # ------------------------------------------------------------------
    # CRUD: every other door to a confirmed order leads through the gate
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._credit_check_computed_fields(vals)
        # An order created confirmed (RPC, import) is created as a quotation
        # and confirmed through action_confirm(), the gate's door.
        confirm = [index for index, vals in enumerate(vals_list) if vals.get("state") == "sale"]
        if confirm and not GatePass.of(self.env).amounts:
            vals_list = [
                dict(vals, state="draft") if index in confirm else vals
                for index, vals in enumerate(vals_list)
            ]
        orders = super().create(vals_list)
        to_confirm = self.browse([orders[index].id for index in confirm]).filtered(
            lambda o: o.state != "sale"
        )
        if to_confirm:
            to_confirm.action_confirm()
        return orders

    def write(self, vals):
        self._credit_check_computed_fields(vals)
        gate_pass = GatePass.of(self.env)
        to_confirm = self.browse()
        if vals.get("state") == "sale":
            to_confirm = self.filtered(lambda order: order.state != "sale" and not gate_pass.covers(order))
            if to_confirm:
                vals = {key: value for key, value in vals.items() if key != "state"}
        before = self._credit_snapshot() if GROWTH_FIELDS & vals.keys() else {}
        result = super().write(vals) if vals or not to_confirm else True
        if before:
            self._credit_check_growth(before)
        if to_confirm:
            to_confirm.action_confirm()
        return result

    def unlink(self):
        # Decided requests stay as audit records (their order reference is
        # kept); a pending one has nothing left to decide.
        pending = (
            self.env["credit.approval.request"]
            .sudo()
            .search([("order_id", "in", self.ids), ("state", "=", "pending")])
        )
        if pending:
            pending.write({"state": "cancelled"})
            pending._close_manager_activities()
        return super().unlink()

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_confirm(self):
        # The gate judges the whole batch here: the refusals are gathered
        # into one message with a button to ask for approval, instead of
        # the first plain error of core's loop.
        refused = self.env["sale.order"]
        messages = []
        pending = {}
        warned = {}
        amounts = {}
        quotations = self.filtered(lambda order: order.state in ("draft", "sent"))
        contexts = quotations._credit_gate_inputs(lock=True)
        for order in quotations:
            key = order._credit_key()
            check = order._credit_judge(contexts.get(order.id), extra_exposure=pending.get(key, 0.0))
            if check.blocking:
                refused |= order
                messages.append(order._credit_refusal_text(check))
                continue
            amount = order._credit_order_amount()
            amounts[order.id] = order._credit_total()
            # A negative order never makes room for the next one of the batch.
            pending[key] = pending.get(key, 0.0) + max(amount, 0.0)
            if check.decision and check.decision.reasons and not check.decision.approved:
                warned[order] = order._credit_reason_lines(check)
        if refused:
            raise self._credit_refusal(refused, messages)
        # Core asks _confirmation_error_message() again for each order and
        # writes the state: the pass tells both these orders were just judged.
        result = super(SaleOrder, self.with_context(**{GATE_PASS_KEY: GatePass(amounts)})).action_confirm()
        for order, lines in warned.items():
            order._credit_log(
                self.env._(
                    "Confirmed by %(user)s despite a credit warning: %(reasons)s.",
                    user=self.env.user.name,
                    reasons="; ".join(lines),
                ),
                partner=False,
            )
        return result

    def _confirmation_error_message(self):
        error = super()._confirmation_error_message()
        if error or GatePass.of(self.env).covers(self):
            return error
        return self._credit_gate_error(lock=True)

    def _action_confirm(self):
        self.filtered("credit_review_pending").sudo().credit_review_pending = False
        result = super()._action_confirm()
        for order in self:
            approval = order._credit_valid_approval()
            if approval and approval.state == "approved":
                approval._mark_used()
        return result

    def _validate_order(self):
        # The portal's acceptance (signature) and payment flows confirm here.
        # A quotation the gate refuses stays a quotation, signature kept,
        # waiting for credit review; its customer sees no internal figure.
        blocked = self.filtered(lambda order: order.state in ("draft", "sent") and order._credit_gate_error())
        for order in blocked:
            order._credit_hold_for_review(
                self.env._("Accepted by the customer but not confirmed: it breaks a credit rule.")
            )
        return super(SaleOrder, self - blocked)._validate_order() if self - blocked else None

    def action_request_credit_approval(self):
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Request Credit Approval"),
            "res_model": "credit.approval.request.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_order_ids": self.ids},
        }

    def action_view_credit_approvals(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "credit_risk_addon.credit_approval_request_action"
        )
        action["domain"] = [("order_id", "=", self.id)]
        action["context"] = {}
        return action

    # ------------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------------
    def _credit_debtor(self):
        """Who owes the money: the commercial entity of the invoice address.

        Invoices of the order are made out to its invoice address, so its
        commercial entity is the customer whose limit, hold and exposure
        the gate judges (the ordering customer when no other address is set).
        """
        self.ensure_one()
        return (self.partner_invoice_id or self.partner_id).commercial_partner_id

    def _credit_key(self):
        return (self.company_id.id, self._credit_debtor().id)

    def _credit_total(self):
        """The order total from its lines, in order currency.

        Not the order's stored total: a client may write that one; the
        lines' amounts are computed fields no client may set (see
        ``_credit_check_computed_fields``).
        """
        self.ensure_one()
        return sum(line.price_total for line in self.sudo().order_line if not line.display_type)

    def _credit_order_amount(self):
        """This order's total in company currency, at today's rate of the currency table.

        A quotation's order date becomes the confirmation date when it is
        confirmed, so today's rate is the one confirmation stores; a
        confirmed order is judged at the same rate before and after a
        change, so a client's order date picks no rate.
        """
        self.ensure_one()
        company = self.company_id
        currency = self.currency_id or company.currency_id
        return currency._convert(
            self._credit_total(), company.currency_id, company, company._credit_today(), round=False
        )

    def _credit_paid_online(self):
        """Payments that are done (not merely authorized) cover the company's share of the order."""
        self.ensure_one()
        share = self.company_id.credit_online_payment_share / 100.0
        paid = sum(tx.amount for tx in self.sudo().transaction_ids if tx.state == "done")
        total = self._credit_total()
        return total > 0 and self.currency_id.compare_amounts(paid, total * share) >= 0

    def _credit_requests(self, states):
        """This order's approval requests in ``states`` (read as superuser), largest approval first.

        Works on a quotation being edited too: the requests belong to the
        saved order behind it.
        """
        self.ensure_one()
        Request = self.env["credit.approval.request"].sudo()
        if not self._origin.id:
            return Request
        states = [states] if isinstance(states, str) else list(states)
        return Request.search(
            [("order_id", "=", self._origin.id), ("state", "in", states)],
            order="approved_amount desc, id desc",
        )

    def _credit_covering_approval(self, requests):
        """The approval among ``requests`` (largest first) that covers this order, if any.

        Approved and unexpired, for the order's current debtor and company; a
        confirmed order keeps the approval it was confirmed with (used): it
        covers the order's growth up to the approved amount.
        """
        self.ensure_one()
        usable = ("approved",) if self.state in ("draft", "sent") else ("approved", "used")
        company, debtor, today = self.company_id, self._credit_debtor(), self.company_id._credit_today()
        return requests.filtered(
            lambda request: (
                request.order_id == self._origin
                and request.state in usable
                and request.expiry_date
                and request.expiry_date >= today
                and request.partner_id == debtor
                and request.company_id == company
            )
        )[:1]

    def _credit_valid_approval(self):
        """The approval covering this order, if any (see ``_credit_covering_approval``)."""
        return self._credit_covering_approval(self._credit_requests(["approved", "used"]))

    def _credit_gate_inputs(self, lock=False):
        """What the gate reads for these orders: ``{order id: GateContext}``, absent when it does not apply.

        A fixed number of queries for the whole set, whatever the number of
        orders, customers, invoices and requests: one figures query per
        company, one search of the approval requests. ``lock`` first locks
        every debtor (see ``res.partner._credit_lock``).
        """
        orders = self.sudo()
        applies = orders.filtered(
            lambda order: (
                order.company_id
                and order._credit_debtor()
                and order.company_id._credit_gate_mode() != gate.MODE_OFF
                and not (
                    order.state != "sale"
                    and order.company_id.credit_exempt_online_payment
                    and order._credit_paid_online()
                )
            )
        )
        if not applies:
            return {}
        debtors = {order: order._credit_debtor() for order in applies}
        if lock:
            self.env["res.partner"].browse({debtor.id for debtor in debtors.values()})._credit_lock()
        figures = {}
        for company in applies.company_id:
            ids = {debtors[order].id for order in applies if order.company_id == company}
            rows = self.env["credit.figures.store"].sudo()._fetch(company, ids)
            figures.update({(company.id, partner_id): row for partner_id, row in rows.items()})
        requests = (
            self.env["credit.approval.request"]
            .sudo()
            .search(
                [("order_id", "in", applies._origin.ids), ("state", "in", ("pending", "approved", "used"))],
                order="approved_amount desc, id desc",
            )
        )
        contexts = {}
        for order in applies:
            company, debtor = order.company_id, debtors[order]
            mine = requests.filtered(lambda request, o=order: request.order_id == o._origin)
            approval = order._credit_covering_approval(mine)
            contexts[order.id] = GateContext(
                mode=company._credit_gate_mode(),
                figures=figures[(company.id, debtor.id)],
                approval=approval or None,
                pending=mine.filtered(lambda request: request.state == "pending")[:1] or None,
            )
        return contexts

    def _credit_judge(self, context, extra_exposure=0.0, increase=None):
        """The gate's decision for this order from what ``_credit_gate_inputs`` read: a :class:`CreditCheck`.

        ``extra_exposure`` adds the earlier orders of a batch. ``increase``
        judges the growth of a confirmed order, already counted in the
        figures, like a new order of that amount. No query but the order's own.
        """
        self.ensure_one()
        if context is None:
            return CreditCheck()
        figures, approval = context.figures, context.approval
        exposure = figures["exposure"] + extra_exposure
        order_amount = self._credit_order_amount()
        approved = approval.approved_amount if approval else None
        if increase is not None:
            # What the approval still covers on top of what was judged before.
            exposure -= increase
            if approved is not None:
                approved -= order_amount - increase
            order_amount = increase
        data = gate.GateInput(
            mode=context.mode,
            credit_limit=figures["credit_limit"],
            exposure=exposure,
            order_amount=order_amount,
            on_hold=figures["credit_hold"],
            oldest_overdue_days=figures["oldest_overdue_days"],
            overdue_threshold=self.company_id.credit_overdue_days,
            approved_amount=approved,
            rounding=self.company_id.currency_id.rounding,
        )
        decision = gate.decide(data)
        return CreditCheck(
            data=data,
            decision=decision,
            overdue=figures["overdue"],
            approval=approval,
            pending=context.pending if decision.blocking else None,
        )

    def _credit_gate_check(self, extra_exposure=0.0, lock=False, increase=None):
        """The gate's decision for this one order (see ``_credit_gate_inputs`` and ``_credit_judge``)."""
        self.ensure_one()
        context = self._credit_gate_inputs(lock=lock).get(self.id)
        return self._credit_judge(context, extra_exposure=extra_exposure, increase=increase)

    @api.model
    def _credit_check_computed_fields(self, vals, model_name="sale.order"):
        """Refuse a client's value for a computed amount the credit figures read."""
        forced = sorted(SERVER_COMPUTED_FIELDS[model_name] & vals.keys())
        if forced and not self.env.su:
            model = self.env[model_name]
            raise UserError(
                self.env._(
                    "These fields are computed and cannot be set: %(fields)s.",
                    fields=", ".join(model._fields[name]._description_string(self.env) for name in forced),
                )
            )

    def _credit_snapshot(self):
        """Debtor and amount of the confirmed orders among these, before a change."""
        return {
            order.id: (order._credit_key(), order._credit_order_amount())
            for order in self.sudo()
            if order.state == "sale"
        }

    def _credit_check_growth(self, before):
        """A confirmed order that now asks more credit is judged again, on the increase.

        A change of customer or invoice address makes the whole order new
        credit for the new debtor. Lowering an order is always allowed.
        """
        refused = self.env["sale.order"]
        messages = []
        for order in self.browse(list(before)).sudo():
            if order.state != "sale":
                continue
            key, amount = before[order.id]
            new_amount = order._credit_order_amount()
            increase = new_amount if order._credit_key() != key else new_amount - amount
            if order.company_id.currency_id.compare_amounts(increase, 0.0) <= 0:
                continue
            check = order._credit_gate_check(increase=increase, lock=True)
            if check.blocking:
                refused |= order
                messages.append(order._credit_refusal_text(check, growth=True))
            elif check.decision and check.decision.approved and check.approval.state == "approved":
                check.approval._mark_used()
        if refused:
            raise self._credit_refusal(refused.with_env(self.env), messages)

    def _credit_gate_error(self, extra_exposure=0.0, lock=False):
        """The refusal text for this order, or ``False`` when it may be confirmed."""
        self.ensure_one()
        if self.state not in ("draft", "sent"):
            return False
        check = self._credit_gate_check(extra_exposure=extra_exposure, lock=lock)
        if not check.blocking:
            return False
        return self._credit_refusal_text(check)

    def _credit_reason_data(self, check):
        """The broken rules as data (code and figures): what a request stores."""
        if not check.decision:
            return []
        partner = self._credit_debtor().with_company(self.company_id).sudo()
        return [
            {
                "code": reason.code,
                "excess": reason.excess,
                "days": reason.days,
                "threshold": check.data.overdue_threshold,
                "hold_reason": partner.credit_hold_reason or "",
            }
            for reason in check.decision.reasons
        ]

    def _credit_reason_lines(self, check):
        """One translated line per broken rule, in the current user's language."""
        return self.env["credit.approval.request"]._credit_reason_lines(
            self.company_id, self._credit_reason_data(check)
        )

    def _credit_figures_line(self, check):
        data, decision = check.data, check.decision
        currency = self.company_id.currency_id

        def amount(value):
            return format_amount(self.env, value, currency)

        excess = max(-(decision.remaining or 0.0), 0.0) if data.credit_limit else 0.0
        parts = [
            self.env._("Credit limit: %(limit)s", limit=amount(data.credit_limit))
            if data.credit_limit
            else self.env._("Credit limit: none"),
            self.env._("Exposure: %(exposure)s", exposure=amount(data.exposure)),
            self.env._("This order: %(order)s", order=amount(data.order_amount)),
        ]
        # Only the figures that say something: no "Excess: 0.00" for an order within its limit.
        if excess:
            parts.append(self.env._("Excess: %(excess)s", excess=amount(excess)))
        if data.oldest_overdue_days:
            parts.append(self.env._("Oldest overdue: %(days)s days", days=data.oldest_overdue_days))
        return " | ".join(parts)

    def _credit_pending_line(self, request):
        return self.env._(
            "Credit approval requested by %(user)s on %(date)s: waiting for a credit manager's decision.",
            user=request.requested_by_id.name,
            date=format_date(self.env, request.create_date),
        )

    def _credit_approval_line(self, approval):
        return self.env._(
            "Approved by %(user)s: up to %(amount)s, valid until %(date)s.",
            user=approval.decided_by_id.name,
            amount=format_amount(self.env, approval.approved_amount, approval.currency_id),
            date=format_date(self.env, approval.expiry_date),
        )

    def _credit_refusal_text(self, check, growth=False):
        lines = [f"- {line}" for line in self._credit_reason_lines(check)]
        if check.pending:
            lines.append(self._credit_pending_line(check.pending))
        if growth:
            return self.env._(
                "%(order)s for %(customer)s cannot grow by %(increase)s:\n%(reasons)s\n%(figures)s",
                order=self.name,
                customer=self._credit_debtor().display_name,
                increase=format_amount(self.env, check.data.order_amount, self.company_id.currency_id),
                reasons="\n".join(lines),
                figures=self._credit_figures_line(check),
            )
        return self.env._(
            "%(order)s for %(customer)s cannot be confirmed:\n%(reasons)s\n%(figures)s",
            order=self.name,
            customer=self._credit_debtor().display_name,
            reasons="\n".join(lines),
            figures=self._credit_figures_line(check),
        )

    def _credit_banner(self, check):
        decision = check.decision
        if not decision.reasons:
            return ""
        reasons = "; ".join(self._credit_reason_lines(check))
        figures = self._credit_figures_line(check)
        if decision.blocking:
            head = self.env._("Confirmation will be refused: %(reasons)s.", reasons=reasons)
            if check.pending:
                tail = self._credit_pending_line(check.pending)
            else:
                tail = self.env._("A credit manager can approve this order: use Request Credit Approval.")
            if check.approval:
                tail = "\n".join(
                    [
                        self._credit_approval_line(check.approval),
                        self.env._("This order is now above the approved amount."),
                        tail,
                    ]
                )
            return f"{head}\n{figures}\n{tail}"
        if decision.approved:
            head = self.env._("Approved by a credit manager despite: %(reasons)s.", reasons=reasons)
            return f"{head}\n{figures}\n{self._credit_approval_line(check.approval)}"
        head = self.env._("Credit warning: %(reasons)s.", reasons=reasons)
        return f"{head}\n{figures}"

    def _credit_refusal(self, refused, messages):
        """The error refusing a batch: a button to ask for approval unless every refused order has asked."""
        askable = refused.filtered(lambda order: not order._credit_requests("pending"))
        if not askable:
            error = UserError("\n\n".join(messages))
        else:
            if len(askable) == 1:
                footer = self.env._(
                    "Only a credit manager can unblock this order: ask for approval with the button below."
                )
            else:
                footer = self.env._(
                    "Only a credit manager can unblock these orders: ask for approval with the button below."
                )
            action = self.env.ref("credit_risk_addon.credit_approval_request_wizard_action")
            context = {"default_order_ids": askable.ids}
            confirmed = askable.filtered(lambda order: order.state == "sale")
            if len(confirmed) == 1:
                # A confirmed order refused its growth: ask for its new total.
                context["default_requested_amount"] = confirmed._credit_order_amount()
            error = RedirectWarning(
                "\n\n".join([*messages, footer]), action.id, self.env._("Request Credit Approval"), context
            )
        # A refusal is an expected answer, not a server fault: the HTTP layer
        # logs it on this level, without a traceback.
        error.loglevel = logging.INFO
        return error

    def _credit_log(self, body, partner=True):
        """Post a credit note on the order, and on its customer unless ``partner`` is False.

        Posted as superuser so that a missing sender address never stops
        the action being logged; the author stays the current user.
        """
        for order in self.sudo():
            order.message_post(body=body)
            if partner:
                order.partner_id.commercial_partner_id.message_post(body=body)

    def _credit_hold_for_review(self, body):
        """Keep this quotation (signature, payment) for the credit managers: logged, flagged, a to-do each."""
        for order in self.sudo():
            order.credit_review_pending = True
            order._credit_log(body)
            for manager in order.company_id._credit_managers():
                order.activity_schedule(
                    "mail.mail_activity_data_todo",
                    summary=self.env._("Quotation held by the credit gate"),
                    note=body,
                    user_id=manager.id,
                )
