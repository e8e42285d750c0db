import logging
from dataclasses import dataclass

from odoo import api, fields, models
from odoo.exceptions import RedirectWarning, UserError
from odoo.tools import format_amount, format_date

from ..rules import gate

# Cursor-cache key of the orders action_confirm() has just let through.
GATE_PASSED_KEY = "credit_risk_addon.gate_passed"
GATE_STATUS = [
    ("none", "No Credit Check"),
    ("pass", "Will Pass"),
    ("warn", "Warning"),
    ("approved", "Approved by Credit Manager"),
    ("pending", "Approval Pending"),
    ("block", "Will Be Refused"),
]
# Who sees an order's approval requests (their record rules say which).
APPROVAL_READ_GROUPS = "sales_team.group_sale_salesman,credit_risk_addon.group_credit_user"


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
        string=string, currency_field="credit_currency_id", compute="_compute_partner_credit_warning"
    )


class SaleOrder(models.Model):
    _inherit = "sale.order"

    # Shown to the salesperson on the quotation; worked out with sudo() from
    # the customer's figures in the order's company.
    credit_currency_id = fields.Many2one(related="company_id.currency_id", string="Company Currency")
    credit_gate_status = fields.Selection(
        GATE_STATUS, string="Credit Check", compute="_compute_partner_credit_warning"
    )
    credit_gate_limit = _gate_amount("Credit Limit")
    credit_gate_exposure = _gate_amount("Current Exposure")
    credit_gate_order_amount = _gate_amount("This Order")
    credit_gate_remaining = _gate_amount("Remaining After Order")
    credit_gate_overdue = _gate_amount("Overdue Amount")
    credit_gate_approved_amount = _gate_amount("Approved Up To")
    credit_gate_approval_expiry = fields.Date(
        string="Approval Valid Until", compute="_compute_partner_credit_warning"
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
    @api.depends("company_id", "partner_id", "amount_total", "state")
    def _compute_partner_credit_warning(self):
        # Replaces the core banner text with one built from this module's
        # figures (right company, full exposure, hold and overdue rules).
        result = super()._compute_partner_credit_warning()
        for order in self:
            check = CreditCheck()
            if order.state in ("draft", "sent") and order.partner_id and order.company_id:
                check = order._credit_gate_check()
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
    # Actions
    # ------------------------------------------------------------------
    def action_confirm(self):
        # The gate itself lives in _confirmation_error_message(); here the
        # refusals of a batch are gathered into one message with a button
        # to ask for approval, instead of the first plain error.
        refused = self.env["sale.order"]
        messages = []
        pending = {}
        warned = {}
        for order in self:
            if order.state not in ("draft", "sent"):
                continue
            key = order._credit_key()
            check = order._credit_gate_check(extra_exposure=pending.get(key, 0.0), lock=True)
            if check.blocking:
                refused |= order
                messages.append(order._credit_refusal_text(check))
                continue
            # A negative order never makes room for the next one of the batch.
            pending[key] = pending.get(key, 0.0) + max(order._credit_order_amount(), 0.0)
            if check.decision and check.decision.reasons and not check.decision.approved:
                warned[order] = order._credit_reason_lines(check)
        if refused:
            raise self._credit_refusal(refused, messages)
        # Core's loop asks _confirmation_error_message() again for each order:
        # the orders just checked (same total) are not checked twice. The mark
        # lives on the cursor, out of any client's reach, for this call only.
        passed = self.env.cr.cache.setdefault(GATE_PASSED_KEY, {})
        marked = {order.id: order.amount_total for order in self if order.id not in passed}
        passed.update(marked)
        try:
            result = super().action_confirm()
        finally:
            for order_id in marked:
                passed.pop(order_id, None)
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
        if error:
            return error
        passed = self.env.cr.cache.get(GATE_PASSED_KEY, {})
        if self.id in passed and passed[self.id] == self.amount_total:
            return False
        return self._credit_gate_error(lock=True)

    def _action_confirm(self):
        result = super()._action_confirm()
        for order in self:
            approval = order._credit_valid_approval()
            if approval:
                approval._mark_used()
        return result

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
    def _credit_key(self):
        return (self.company_id.id, self.partner_id.commercial_partner_id.id)

    def _credit_order_amount(self):
        """This order's total in company currency, at the order's rate."""
        self.ensure_one()
        return self.amount_total / (self.currency_rate or 1.0)

    def _credit_paid_online(self):
        """A confirmed online payment covers what confirmation requires."""
        self.ensure_one()
        return any(tx.state in ("authorized", "done") for tx in self.sudo().transaction_ids) and (
            self._is_confirmation_amount_reached()
        )

    def _credit_requests(self, state):
        """This order's approval requests in ``state`` (read as superuser), newest first.

        Works on a quotation being edited too: the requests belong to the
        saved order behind it.
        """
        self.ensure_one()
        Request = self.env["credit.approval.request"].sudo()
        if not self._origin.id:
            return Request
        domain = [("order_id", "=", self._origin.id), ("state", "=", state)]
        if state == "approved":
            domain.append(("expiry_date", ">=", fields.Date.context_today(self)))
        return Request.search(domain, order="approved_amount desc, id desc" if state == "approved" else None)

    def _credit_valid_approval(self):
        """The approval covering this order (largest amount first), if any."""
        return self._credit_requests("approved")[:1]

    def _credit_gate_check(self, extra_exposure=0.0, lock=False):
        """Gather the figures and ask the rules: a :class:`CreditCheck`.

        A fixed number of queries whatever the customer's number of invoices
        and orders.
        """
        self.ensure_one()
        order = self.sudo()
        company = order.company_id
        mode = company._credit_gate_mode()
        if mode == gate.MODE_OFF or (company.credit_exempt_online_payment and order._credit_paid_online()):
            return CreditCheck()
        partner = order.partner_id.commercial_partner_id.with_company(company)
        if lock:
            partner._credit_lock()
        figures = self.env["credit.figures"].sudo()._fetch(company, partner.ids)[partner.id]
        approval = order._credit_valid_approval()
        data = gate.GateInput(
            mode=mode,
            credit_limit=partner.credit_limit,
            exposure=figures["exposure"] + extra_exposure,
            order_amount=order._credit_order_amount(),
            on_hold=partner.credit_hold,
            oldest_overdue_days=figures["oldest_overdue_days"],
            overdue_threshold=company.credit_overdue_days,
            approved_amount=approval.approved_amount if approval else None,
        )
        decision = gate.decide(data)
        pending = order._credit_requests("pending")[:1] if decision.blocking else None
        return CreditCheck(
            data=data,
            decision=decision,
            overdue=figures["overdue"],
            approval=approval or None,
            pending=pending or None,
        )

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
        partner = self.partner_id.commercial_partner_id.with_company(self.company_id).sudo()
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
        return self.env._(
            "Credit limit: %(limit)s | Exposure: %(exposure)s | This order: %(order)s | "
            "Excess: %(excess)s | Oldest overdue: %(days)s days",
            limit=amount(data.credit_limit) if data.credit_limit else self.env._("none"),
            exposure=amount(data.exposure),
            order=amount(data.order_amount),
            excess=amount(excess),
            days=data.oldest_overdue_days,
        )

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

    def _credit_refusal_text(self, check):
        lines = [f"- {line}" for line in self._credit_reason_lines(check)]
        if check.pending:
            lines.append(self._credit_pending_line(check.pending))
        return self.env._(
            "%(order)s for %(customer)s cannot be confirmed:\n%(reasons)s\n%(figures)s",
            order=self.name,
            customer=self.partner_id.commercial_partner_id.display_name,
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
            error = RedirectWarning(
                "\n\n".join([*messages, footer]),
                action.id,
                self.env._("Request Credit Approval"),
                {"default_order_ids": askable.ids},
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

    def _credit_hold_paid_order(self, transaction):
        """An order paid online broke a credit rule: keep it, tell the credit managers."""
        self.ensure_one()
        order = self.sudo()
        body = self.env._(
            "Paid online (%(reference)s) but not confirmed: it breaks a credit rule. "
            "A credit manager must approve it.",
            reference=transaction.reference,
        )
        order._credit_log(body)
        for manager in order.company_id._credit_managers():
            order.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=self.env._("Paid order held by the credit gate"),
                note=body,
                user_id=manager.id,
            )
