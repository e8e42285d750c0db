from odoo import api, fields, models
from odoo.exceptions import RedirectWarning
from odoo.tools import format_amount

from ..rules import gate

# Cursor-cache key of the orders action_confirm() has just let through.
GATE_PASSED_KEY = "credit_risk_addon.gate_passed"
GATE_STATUS = [
    ("none", "No Credit Check"),
    ("pass", "Will Pass"),
    ("warn", "Warning"),
    ("approved", "Approved by Credit Manager"),
    ("block", "Will Be Refused"),
]


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
    credit_approval_ids = fields.One2many("credit.approval.request", "order_id", string="Credit Approvals")
    credit_approval_count = fields.Integer(compute="_compute_credit_approval_count")

    # ------------------------------------------------------------------
    # Compute
    # ------------------------------------------------------------------
    @api.depends("company_id", "partner_id", "amount_total", "state")
    def _compute_partner_credit_warning(self):
        # Replaces the core banner text with one built from this module's
        # figures (right company, full exposure, hold and overdue rules).
        result = super()._compute_partner_credit_warning()
        empty = {
            "credit_gate_status": "none",
            "credit_gate_limit": 0.0,
            "credit_gate_exposure": 0.0,
            "credit_gate_order_amount": 0.0,
            "credit_gate_remaining": 0.0,
            "credit_gate_overdue": 0.0,
        }
        for order in self:
            if order.state not in ("draft", "sent") or not order.partner_id or not order.company_id:
                order.update(empty)
                continue
            check = order._credit_gate_check()
            if check is None:
                order.update(empty)
                continue
            data, decision, figures = check
            order.update(
                {
                    "credit_gate_status": order._credit_gate_status(decision),
                    "credit_gate_limit": data.credit_limit,
                    "credit_gate_exposure": data.exposure,
                    "credit_gate_order_amount": data.order_amount,
                    "credit_gate_remaining": decision.remaining or 0.0,
                    "credit_gate_overdue": figures["overdue"],
                    "partner_credit_warning": order._credit_banner(data, decision),
                }
            )
        return result

    def _compute_credit_approval_count(self):
        groups = self.env["credit.approval.request"]._read_group(
            [("order_id", "in", self.ids)], ["order_id"], ["__count"]
        )
        counts = {order.id: count for order, count in groups}
        for order in self:
            order.credit_approval_count = counts.get(order.id, 0)

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
        for order in self:
            error = order._credit_gate_error(extra_exposure=pending.get(order._credit_key(), 0.0), lock=True)
            if error:
                refused |= order
                messages.append(error)
            elif order.state in ("draft", "sent"):
                key = order._credit_key()
                pending[key] = pending.get(key, 0.0) + order._credit_order_amount()
        if refused:
            raise self._credit_refusal(refused, messages)
        # Core's loop asks _confirmation_error_message() again for each order:
        # the orders just checked (same total) are not checked twice. The mark
        # lives on the cursor, out of any client's reach, for this call only.
        passed = self.env.cr.cache.setdefault(GATE_PASSED_KEY, {})
        marked = {order.id: order.amount_total for order in self if order.id not in passed}
        passed.update(marked)
        try:
            return super().action_confirm()
        finally:
            for order_id in marked:
                passed.pop(order_id, None)

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

    def _credit_valid_approval(self):
        self.ensure_one()
        if not self.id:
            return self.env["credit.approval.request"]
        return (
            self.env["credit.approval.request"]
            .sudo()
            .search(
                [
                    ("order_id", "=", self.id),
                    ("state", "=", "approved"),
                    ("expiry_date", ">=", fields.Date.context_today(self)),
                ],
                order="approved_amount desc",
                limit=1,
            )
        )

    def _credit_gate_check(self, extra_exposure=0.0, lock=False):
        """Gather the figures and ask the rules. ``None`` when the gate is off.

        Returns ``(GateInput, GateDecision, figures)``. A fixed number of
        queries whatever the customer's number of invoices and orders.
        """
        self.ensure_one()
        order = self.sudo()
        company = order.company_id
        mode = company._credit_gate_mode()
        if mode == gate.MODE_OFF or (company.credit_exempt_online_payment and order._credit_paid_online()):
            return None
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
        return data, gate.decide(data), figures

    def _credit_gate_error(self, extra_exposure=0.0, lock=False):
        """The refusal text for this order, or ``False`` when it may be confirmed."""
        self.ensure_one()
        if self.state not in ("draft", "sent"):
            return False
        check = self._credit_gate_check(extra_exposure=extra_exposure, lock=lock)
        if not check or not check[1].blocking:
            return False
        data, decision, _figures = check
        return self._credit_refusal_text(data, decision)

    @api.model
    def _credit_gate_status(self, decision):
        if decision.blocking:
            return "block"
        if decision.approved:
            return "approved"
        if decision.reasons:
            return "warn"
        return "pass"

    def _credit_reason_lines(self, data, decision):
        currency = self.company_id.currency_id
        partner = self.partner_id.commercial_partner_id.with_company(self.company_id).sudo()
        lines = []
        for reason in decision.reasons:
            if reason.code == gate.REASON_HOLD:
                lines.append(
                    self.env._(
                        "the customer is on credit hold (%(reason)s)",
                        reason=partner.credit_hold_reason or self.env._("no reason given"),
                    )
                )
            elif reason.code == gate.REASON_LIMIT:
                lines.append(
                    self.env._(
                        "the order exceeds the credit limit by %(excess)s",
                        excess=format_amount(self.env, reason.excess, currency),
                    )
                )
            elif reason.code == gate.REASON_OVERDUE:
                lines.append(
                    self.env._(
                        "an invoice is %(days)s days overdue (more than %(threshold)s allowed)",
                        days=reason.days,
                        threshold=data.overdue_threshold,
                    )
                )
        return lines

    def _credit_figures_line(self, data, decision):
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

    def _credit_refusal_text(self, data, decision):
        reasons = "\n".join(f"- {line}" for line in self._credit_reason_lines(data, decision))
        return self.env._(
            "%(order)s for %(customer)s cannot be confirmed:\n%(reasons)s\n%(figures)s",
            order=self.name,
            customer=self.partner_id.commercial_partner_id.display_name,
            reasons=reasons,
            figures=self._credit_figures_line(data, decision),
        )

    def _credit_banner(self, data, decision):
        if not decision.reasons:
            return ""
        reasons = "; ".join(self._credit_reason_lines(data, decision))
        figures = self._credit_figures_line(data, decision)
        if decision.blocking:
            head = self.env._("Confirmation will be refused: %(reasons)s.", reasons=reasons)
            tail = self.env._("A credit manager can approve this order: use Request Credit Approval.")
            return f"{head}\n{figures}\n{tail}"
        if decision.approved:
            head = self.env._("Approved by a credit manager despite: %(reasons)s.", reasons=reasons)
        else:
            head = self.env._("Credit warning: %(reasons)s.", reasons=reasons)
        return f"{head}\n{figures}"

    def _credit_refusal(self, refused, messages):
        """A RedirectWarning naming the refused orders, with a button to ask for approval."""
        if len(refused) == 1:
            footer = self.env._(
                "Only a credit manager can unblock this order: ask for approval with the button below."
            )
        else:
            footer = self.env._(
                "Only a credit manager can unblock these orders: ask for approval with the button below."
            )
        action = self.env.ref("credit_risk_addon.credit_approval_request_wizard_action")
        return RedirectWarning(
            "\n\n".join([*messages, footer]),
            action.id,
            self.env._("Request Credit Approval"),
            {"default_order_ids": refused.ids},
        )

    def _credit_log(self, body, partner=True):
        """Post a credit note on the order, and on its customer unless ``partner`` is False."""
        for order in self:
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
        managers = (
            self.env.ref("credit_risk_addon.group_credit_manager")
            .sudo()
            .users.filtered(lambda user: order.company_id in user.company_ids)
        )
        for manager in managers:
            order.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=self.env._("Paid order held by the credit gate"),
                note=body,
                user_id=manager.id,
            )
