import logging

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..rules import aging
from .aging_sql import refresh_invoice_aging_query

_logger = logging.getLogger(__name__)

AGING_BUCKET_SELECTION = [
    ("not_due", "Not Due"),
    ("1_30", "1-30 Days"),
    ("31_60", "31-60 Days"),
    ("61_90", "61-90 Days"),
    ("91_120", "91-120 Days"),
    ("over_120", "Over 120 Days"),
    # Open credit notes: listed with the invoices (as negative items) so that
    # the totals of the Invoice Aging equal what the customers owe.
    (aging.CREDITS, "Unapplied Credits"),
]


class AccountMove(models.Model):
    _inherit = "account.move"

    credit_dunning_level_id = fields.Many2one(
        "credit.dunning.level",
        string="Dunning Level",
        copy=False,
        readonly=True,
        index="btree_not_null",
        help="The last reminder level this invoice reached.",
    )
    credit_dunning_date = fields.Date(string="Dunning Date", copy=False, readonly=True)
    credit_dispute_ids = fields.One2many("credit.dispute", "move_id", string="Disputes", copy=False)
    credit_disputed = fields.Boolean(
        string="Disputed",
        compute="_compute_credit_disputed",
        store=True,
        copy=False,
        help="An open dispute takes the invoice out of the dunning chase (and of insurance cover).",
    )
    credit_promise_ids = fields.Many2many(
        "credit.promise",
        "credit_promise_move_rel",
        "move_id",
        "promise_id",
        string="Promises to Pay",
        copy=False,
    )
    credit_dunning_history_ids = fields.Many2many(
        "credit.dunning.history",
        "credit_dunning_history_move_rel",
        "move_id",
        "history_id",
        string="Dunning History",
        copy=False,
        readonly=True,
    )
    credit_days_overdue = fields.Integer(
        string="Days Overdue",
        compute="_compute_credit_aging",
        store=True,
        index="btree_not_null",
        aggregator="max",
        groups="base.group_user",
        help="Days since the due date of this open customer invoice; refreshed every night.",
    )
    credit_aging_bucket = fields.Selection(
        AGING_BUCKET_SELECTION,
        string="Aging Bucket",
        compute="_compute_credit_aging",
        store=True,
        index="btree_not_null",
        groups="base.group_user",
    )

    @api.depends("move_type", "state", "payment_state", "invoice_date_due", "date")
    def _compute_credit_aging(self):
        today = fields.Date.context_today(self)
        for move in self:
            if move._credit_is_open_customer_invoice():
                days = aging.days_overdue(move.invoice_date_due or move.date, today)
                move.credit_days_overdue = days
                move.credit_aging_bucket = aging.bucket_for(days)
            elif move._credit_is_open_customer_invoice(aging.CREDITS):
                move.credit_days_overdue = False
                move.credit_aging_bucket = aging.CREDITS
            else:
                move.credit_days_overdue = False
                move.credit_aging_bucket = False

    @api.model
    def _read_group_orderby(self, order, groupby_terms, query):
        # Groups of aging buckets come from not due to oldest, not in the
        # alphabetical order of their keys.
        column = groupby_terms.get("credit_aging_bucket")
        if column is not None:
            rank = SQL(
                "CASE %s %s END",
                column,
                SQL(" ").join(
                    SQL("WHEN %s THEN %s", key, index)
                    for index, (key, _label) in enumerate(AGING_BUCKET_SELECTION)
                ),
            )
            groupby_terms = {**groupby_terms, "credit_aging_bucket": rank}
        return super()._read_group_orderby(order, groupby_terms, query)

    def _credit_is_open_customer_invoice(self, kind="invoice"):
        """An open customer invoice, or with ``kind`` = credits an open customer credit note."""
        self.ensure_one()
        return (
            self.move_type == ("out_refund" if kind == aging.CREDITS else "out_invoice")
            and self.state == "posted"
            and self.payment_state in ("not_paid", "partial")
        )

    @api.model
    def _cron_refresh_credit_aging(self):
        """Nightly: move every open invoice's days overdue and bucket to today."""
        self.flush_model(["move_type", "state", "payment_state", "invoice_date_due", "date"])
        self.env.cr.execute(refresh_invoice_aging_query(fields.Date.context_today(self)))
        _logger.info("Credit aging refreshed on %s customer invoices", self.env.cr.rowcount)
        self.invalidate_model(["credit_days_overdue", "credit_aging_bucket"])

    def write(self, vals):
        if "credit_disputed" in vals and not self.env.su:
            raise UserError(self.env._("Whether an invoice is disputed follows its disputes."))
        return super().write(vals)

    @api.depends("credit_dispute_ids.state")
    def _compute_credit_disputed(self):
        for move in self:
            move.credit_disputed = any(dispute.state == "open" for dispute in move.credit_dispute_ids)

    def action_credit_open_dispute(self):
        """Open a dispute on this invoice (a form in a dialog, the open amount proposed)."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Open a Dispute"),
            "res_model": "credit.dispute",
            "view_mode": "form",
            "target": "new",
            "context": {"default_move_id": self.id, "default_amount": self.amount_residual_signed},
        }

    def action_credit_record_promise(self):
        """Record a promise to pay for this invoice (a form in a dialog)."""
        self.ensure_one()
        return self.commercial_partner_id._credit_promise_action(self)
