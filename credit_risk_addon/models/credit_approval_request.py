import logging

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, float_compare, format_amount, format_date

from ..rules import gate
from ..rules.inputs import is_sensible_amount

_logger = logging.getLogger(__name__)

# The one field of mail.thread that posting (with attachments) writes: a client
# never writes a request's messages, followers or activities through it.
MAIL_FIELDS = {"message_main_attachment_id"}
MAX_APPROVAL_YEARS = 5
# Fields that only the decision methods (manager) or the confirmation (use) write.
DECISION_FIELDS = {
    "state",
    "approved_amount",
    "expiry_date",
    "decision_note",
    "decided_by_id",
    "decided_on",
    "used_on",
}


class CreditApprovalRequest(models.Model):
    _name = "credit.approval.request"
    _description = "Credit Approval Request"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "create_date desc, id desc"
    _check_company_auto = True

    name = fields.Char(string="Order Reference", compute="_compute_name", store=True)
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
        readonly=True,
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    # A decided request is an audit record: it outlives its order, keeping
    # the order's reference in ``name``.
    order_id = fields.Many2one(
        "sale.order",
        string="Sale Order",
        index=True,
        ondelete="set null",
        check_company=True,
        readonly=True,
    )
    # The debtor the request was made for: an approval covers the order only
    # while the order's debtor and company are the ones it was made for.
    partner_id = fields.Many2one("res.partner", string="Customer", index=True, readonly=True)
    salesperson_id = fields.Many2one(related="order_id.user_id", string="Salesperson")
    requested_by_id = fields.Many2one("res.users", default=lambda self: self.env.user, readonly=True)
    request_note = fields.Text(string="Why", required=True)
    # What stopped the order, as data (rule codes and figures), so that each
    # reader gets the reasons in their own language.
    blocking_data = fields.Json(string="Blocking Rules", readonly=True, copy=False)
    blocking_reasons = fields.Text(
        compute="_compute_blocking_reasons", help="What stopped the order when approval was asked."
    )
    order_amount = fields.Monetary(
        readonly=True, help="Order total in company currency when approval was asked."
    )
    exposure = fields.Monetary(string="Exposure at Request", readonly=True)
    credit_limit = fields.Monetary(string="Credit Limit at Request", readonly=True)
    state = fields.Selection(
        [
            ("pending", "Pending"),
            ("approved", "Approved"),
            ("refused", "Refused"),
            ("used", "Used"),
            ("expired", "Expired"),
            ("cancelled", "Cancelled"),
        ],
        default="pending",
        required=True,
        readonly=True,
        tracking=True,
        index=True,
    )
    approved_amount = fields.Monetary(readonly=True, tracking=True)
    expiry_date = fields.Date(readonly=True, tracking=True)
    decision_note = fields.Text(string="Decision Reason", readonly=True)
    decided_by_id = fields.Many2one("res.users", readonly=True)
    decided_on = fields.Datetime(readonly=True)
    used_on = fields.Datetime(readonly=True)
    is_valid = fields.Boolean(compute="_compute_is_valid", help="Approved, not expired and not yet used.")
    can_withdraw = fields.Boolean(
        compute="_compute_can_withdraw", help="Pending, and the current user asked for it or manages credit."
    )

    @api.depends("order_id.name")
    def _compute_name(self):
        for request in self:
            # Kept when the order is deleted: the audit record still says which order it was.
            request.name = request.order_id.name or request.name or ""

    @api.depends("name")
    @api.depends_context("lang")
    def _compute_display_name(self):
        for request in self:
            request.display_name = self.env._("Credit approval for %(order)s", order=request.name or "")

    @api.depends("blocking_data", "company_id")
    @api.depends_context("lang")
    def _compute_blocking_reasons(self):
        for request in self:
            request.blocking_reasons = "; ".join(
                self._credit_reason_lines(request.company_id, request.blocking_data or [])
            )

    def _compute_is_valid(self):
        for request in self:
            request.is_valid = (
                request.state == "approved"
                and request.expiry_date
                and request.expiry_date >= request.company_id._credit_today()
            )

    @api.depends("state", "requested_by_id")
    @api.depends_context("uid")
    def _compute_can_withdraw(self):
        manager = self.env["res.users"]._credit_is_manager()
        for request in self:
            request.can_withdraw = request.state == "pending" and (
                manager or request.requested_by_id == self.env.user
            )

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        if self.env.su:
            vals_list = [self._completed_values(vals) for vals in vals_list]
        else:
            vals_list = [self._bound_values(vals) for vals in vals_list]
        requests = super().create(vals_list)
        for request in requests:
            request.order_id._credit_log(
                self.env._(
                    "Credit approval requested by %(user)s: %(note)s",
                    user=request.requested_by_id.name,
                    note=request.request_note,
                )
            )
        requests._notify_credit_managers()
        return requests

    def write(self, vals):
        # After creation only the decision and the use change a request, and
        # they write as superuser once they have checked who asks: whatever
        # model or relation a client writes through, it changes nothing here.
        if not self.env.su and vals.keys() - MAIL_FIELDS:
            raise AccessError(
                self.env._(
                    "A credit approval request cannot be changed: a credit manager decides on it, "
                    "its requester may withdraw it."
                )
            )
        return super().write(vals)

    @api.model
    def _completed_values(self, vals):
        """A request created by the server itself: its debtor and company default to its order's."""
        order = self.env["sale.order"].browse(vals.get("order_id")).sudo()
        if not order:
            return vals
        return {"partner_id": order._credit_debtor().id, "company_id": order.company_id.id, **vals}

    @api.model
    def _bound_values(self, vals):
        """What a request records, computed by the server from its order; only the note is the client's.

        ``requested_amount`` (a confirmed order that is to grow) may ask for
        more than the order's total now; never less.
        """
        if DECISION_FIELDS & vals.keys() or vals.get("state", "pending") != "pending":
            raise AccessError(self.env._("Only a credit manager can decide on a credit approval."))
        if not isinstance(vals.get("order_id"), int) or isinstance(vals.get("order_id"), bool):
            raise UserError(self.env._("A credit approval request needs an existing sale order."))
        if not isinstance(vals.get("request_note"), str):
            raise ValidationError(self.env._("Say why the order should be approved."))
        order = self.env["sale.order"].browse(vals.get("order_id"))
        order.check_access("read")
        order = order.sudo()
        if not order.exists():
            raise UserError(self.env._("A credit approval request needs an existing sale order."))
        if order.state not in ("draft", "sent", "sale"):
            raise UserError(self.env._("%(order)s can no longer be approved.", order=order.name))
        if order._credit_requests("pending"):
            raise UserError(
                self.env._("%(order)s already has a pending credit approval request.", order=order.name)
            )
        note = (vals.get("request_note") or "").strip()
        if not note:
            raise ValidationError(self.env._("Say why the order should be approved."))
        amount = order._credit_order_amount()
        requested = vals.get("order_amount")
        if order.state == "sale" and requested:
            if not is_sensible_amount(requested):
                raise ValidationError(self.env._("The requested amount must be a number of a sensible size."))
            amount = max(amount, requested)
        check = order._credit_gate_check()
        return {
            "order_id": order.id,
            "company_id": order.company_id.id,
            "partner_id": order._credit_debtor().id,
            "requested_by_id": self.env.user.id,
            "request_note": note,
            "order_amount": amount,
            "exposure": check.data.exposure if check.data else 0.0,
            "credit_limit": check.data.credit_limit if check.data else 0.0,
            "blocking_data": order._credit_reason_data(check),
        }

    @api.ondelete(at_uninstall=False)
    def _unlink_except_decided(self):
        if any(request.state != "pending" for request in self):
            raise UserError(self.env._("A decided credit approval is an audit record and cannot be deleted."))

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_open_decide_wizard(self):
        self.ensure_one()
        self._check_can_decide()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Decide on Credit Approval"),
            "res_model": "credit.approval.decide.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_request_id": self.id},
        }

    def action_cancel(self):
        for request in self:
            if request.state != "pending":
                raise UserError(self.env._("Only a pending request can be cancelled."))
            if request.requested_by_id != self.env.user and not self.env["res.users"]._credit_is_manager():
                raise AccessError(self.env._("Only the requester or a credit manager can cancel a request."))
        self.sudo().write({"state": "cancelled"})
        self._close_manager_activities(self.env._("Withdrawn by %(user)s.", user=self.env.user.name))
        return True

    # ------------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------------
    def _check_can_decide(self):
        if not self.env["res.users"]._credit_is_manager():
            raise AccessError(self.env._("Only a credit manager can decide on a credit approval."))
        for request in self:
            if (
                request.company_id.credit_no_self_approval
                and request.requested_by_id == self.env.user
                and not self.env.su
            ):
                raise UserError(
                    self.env._(
                        "%(request)s was requested by you: another credit manager decides on it.",
                        request=request.display_name,
                    )
                )
            if request.state != "pending":
                raise UserError(
                    self.env._(
                        "%(request)s is already %(state)s.",
                        request=request.name,
                        state=dict(request._fields["state"]._description_selection(self.env))[request.state],
                    )
                )

    def _approve(self, amount, expiry_date, note):
        """Approve: this order, up to ``amount`` (company currency), until ``expiry_date``."""
        self.ensure_one()
        self._check_can_decide()
        note = (note or "").strip()
        if not note:
            raise ValidationError(self.env._("A reason is required to approve a credit request."))
        today = self.company_id._credit_today()
        expiry_date = fields.Date.to_date(expiry_date) if isinstance(expiry_date, str) else expiry_date
        if not expiry_date or expiry_date < today:
            raise ValidationError(self.env._("The approval must expire today or later."))
        if expiry_date > today + relativedelta(years=MAX_APPROVAL_YEARS):
            raise ValidationError(
                self.env._("An approval cannot last more than %(years)s years.", years=MAX_APPROVAL_YEARS)
            )
        if not is_sensible_amount(amount):
            raise ValidationError(self.env._("The approved amount must be a number of a sensible size."))
        if not self.order_id:
            raise UserError(self.env._("The order of %(request)s no longer exists.", request=self.name))
        order_amount = self.order_id.sudo()._credit_order_amount()
        if float_compare(amount or 0.0, order_amount, precision_rounding=self.currency_id.rounding) < 0:
            raise ValidationError(
                self.env._(
                    "The approved amount %(amount)s is below the order total %(total)s.",
                    amount=format_amount(self.env, amount or 0.0, self.currency_id),
                    total=format_amount(self.env, order_amount, self.currency_id),
                )
            )
        self.sudo().write(
            {
                "state": "approved",
                "approved_amount": amount,
                "expiry_date": expiry_date,
                "decision_note": note,
                "decided_by_id": self.env.user.id,
                "decided_on": fields.Datetime.now(),
            }
        )
        self._log_everywhere(
            self.env._(
                "Credit approval granted by %(user)s up to %(amount)s until %(date)s: %(note)s",
                user=self.env.user.name,
                amount=format_amount(self.env, amount, self.currency_id),
                date=format_date(self.env, expiry_date),
                note=note,
            )
        )
        self._notify_requester()
        return True

    def _refuse(self, note):
        self.ensure_one()
        self._check_can_decide()
        note = (note or "").strip()
        if not note:
            raise ValidationError(self.env._("A reason is required to refuse a credit request."))
        self.sudo().write(
            {
                "state": "refused",
                "decision_note": note,
                "decided_by_id": self.env.user.id,
                "decided_on": fields.Datetime.now(),
            }
        )
        self._log_everywhere(
            self.env._("Credit approval refused by %(user)s: %(note)s", user=self.env.user.name, note=note)
        )
        self._notify_requester()
        return True

    def _mark_used(self):
        """The order was confirmed under this approval: it covers nothing else."""
        self.sudo().write({"state": "used", "used_on": fields.Datetime.now()})
        self._close_manager_activities()
        for request in self:
            request._log_everywhere(
                self.env._(
                    "Credit approval used: %(order)s confirmed by %(user)s.",
                    order=request.order_id.name,
                    user=self.env.user.name,
                )
            )

    def _log_everywhere(self, body):
        """Post on the request, its order and its customer."""
        for request in self.sudo():
            request.message_post(body=body)
            request.order_id._credit_log(body, partner=False)
            if request.partner_id:
                request.partner_id.message_post(body=body)

    @api.model
    def _cron_expire_approvals(self, batch_size=500):
        """Nightly: approvals past their expiry date become Expired (logged).

        The gate never relies on this (it checks the date itself); it keeps the
        queue honest. One batch per call: rows another transaction holds are
        skipped, one failing record is logged and skipped, and the progress
        tells the cron runner whether to call again (it stops when a batch
        expired nothing, so records that keep failing cannot loop it).
        """
        today = fields.Date.context_today(self)
        domain = [("state", "=", "approved"), ("expiry_date", "<", today)]
        requests = self.sudo().search(domain, limit=batch_size)
        if requests:
            rows = self.env.execute_query(
                SQL(
                    "SELECT id FROM credit_approval_request WHERE id IN %s FOR UPDATE SKIP LOCKED",
                    tuple(requests.ids),
                )
            )
            requests = requests.browse(row[0] for row in rows)
        expired = 0
        for request in requests:
            try:
                with self.env.cr.savepoint():
                    request.write({"state": "expired"})
                    request._close_manager_activities()
                    request._log_everywhere(
                        self.env._(
                            "Credit approval expired unused on %(date)s.", date=format_date(self.env, today)
                        )
                    )
                expired += 1
            except Exception:  # noqa: BLE001 - a cron goes on past one bad record
                _logger.exception("Could not expire credit approval %s", request.id)
        remaining = self.sudo().search_count(domain) if expired else 0
        self.env["ir.cron"]._notify_progress(done=expired, remaining=remaining)
        return expired

    def _notify_credit_managers(self):
        """The company's credit managers follow the request, get the message and a to-do."""
        for request in self.sudo():
            managers = request.company_id._credit_managers()
            request.message_subscribe(partner_ids=managers.partner_id.ids)
            request.message_post(
                body=self.env._(
                    "%(user)s asks for credit approval of %(order)s (%(amount)s): %(reasons)s",
                    user=request.requested_by_id.name,
                    order=request.order_id.name,
                    amount=format_amount(self.env, request.order_amount, request.currency_id),
                    reasons=request.blocking_reasons or "",
                ),
                partner_ids=managers.partner_id.ids,
                subtype_xmlid="mail.mt_comment",
            )
            for manager in managers:
                request.activity_schedule(
                    "mail.mail_activity_data_todo",
                    summary=self.env._("Decide on credit approval of %(order)s", order=request.order_id.name),
                    note=request.request_note,
                    user_id=manager.id,
                )

    def _notify_requester(self):
        """Tell the requester (inbox or email, as they chose) that their request was decided."""
        for request in self.sudo():
            if request.state == "approved":
                body = self.env._(
                    "Your credit approval request for %(order)s was approved by %(user)s up to %(amount)s "
                    "until %(date)s: %(note)s",
                    order=request.order_id.name,
                    user=self.env.user.name,
                    amount=format_amount(self.env, request.approved_amount, request.currency_id),
                    date=format_date(self.env, request.expiry_date),
                    note=request.decision_note or "",
                )
            else:
                body = self.env._(
                    "Your credit approval request for %(order)s was refused by %(user)s: %(note)s",
                    order=request.order_id.name,
                    user=self.env.user.name,
                    note=request.decision_note or "",
                )
            request.message_post(
                body=body,
                partner_ids=request.requested_by_id.partner_id.ids,
                subtype_xmlid="mail.mt_comment",
            )
        self._close_manager_activities()

    def _close_manager_activities(self, feedback=None):
        """The decision is made (or no longer needed): the managers' to-dos are done."""
        self.sudo().activity_feedback(["mail.mail_activity_data_todo"], feedback=feedback)

    @api.model
    def _credit_reason_lines(self, company, reasons):
        """Turn reason data (``code`` and its figures) into lines in the current language."""
        currency = company.currency_id
        lines = []
        for reason in reasons:
            code = reason.get("code")
            if code == gate.REASON_HOLD:
                lines.append(
                    self.env._(
                        "the customer is on credit hold (%(reason)s)",
                        reason=reason.get("hold_reason") or self.env._("no reason given"),
                    )
                )
            elif code == gate.REASON_LIMIT:
                lines.append(
                    self.env._(
                        "the order exceeds the credit limit by %(excess)s",
                        excess=format_amount(self.env, reason.get("excess") or 0.0, currency),
                    )
                )
            elif code == "text":  # a request made before reasons were stored as data
                lines.append(reason.get("text") or "")
            elif code == gate.REASON_OVERDUE:
                lines.append(
                    self.env._(
                        "an invoice is %(days)s days overdue (more than %(threshold)s allowed)",
                        days=reason.get("days"),
                        threshold=reason.get("threshold"),
                    )
                )
        return lines
