import pandas as pd

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..rules import aging

# The parameters of the report, in the context (the wizard and the menu set them).
AS_OF = "credit_aged_as_of"
BASIS = "credit_aged_basis"
PERIOD_DAYS = "credit_aged_period_days"
PERIOD_COUNT = "credit_aged_period_count"
BASES = [("due", "Due Date"), ("invoice", "Invoice Date")]
AMOUNT_FIELDS = ("amount_not_due", *(f"amount_period_{n}" for n in range(1, aging.MAX_PERIOD_COUNT + 1)))
AMOUNT_FIELDS += ("amount_older",)


def _days_between(low, high):
    """SQL: ``item.days`` within ``low`` and ``high`` (``None``: open-ended)."""
    conditions = []
    if low is not None:
        conditions.append(SQL("item.days >= %s", low))
    if high is not None:
        conditions.append(SQL("item.days <= %s", high))
    return SQL(" AND ").join(conditions)


class CreditAgedReceivable(models.Model):
    """Aged receivables as of any date: one row per open receivable item on that date.

    An item is a posted journal item on a receivable account, dated on or
    before the date; what was open of it that day is its amount less the
    reconciliations whose both sides are dated on or before the date
    (payments, credit notes and write-offs made later are ignored). Each
    installment of an invoice is an item of its own, aged by its own due
    date. The items are listed through ``account.move.line._search``, so the
    reader's record rules and companies apply; the sum of all items equals
    the receivable accounts' balance on the date.

    The parameters come from the context (see the ``credit.aged.receivable.wizard``):
    the date, the aging basis (due date or invoice date), the length and
    number of the periods. A row's id is its journal item's, whatever the
    parameters: code that reads the report with other parameters in the same
    transaction invalidates the model's cache first.
    """

    _name = "credit.aged.receivable"
    _description = "Aged Receivables"
    _auto = False
    _order = "partner_id, aging_date, id"
    _rec_name = "document"

    company_id = fields.Many2one("res.company", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    country_id = fields.Many2one("res.country", readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    move_id = fields.Many2one("account.move", string="Journal Entry", readonly=True)
    move_line_id = fields.Many2one("account.move.line", string="Journal Item", readonly=True)
    document = fields.Char(readonly=True)
    invoice_date = fields.Date(readonly=True)
    date_maturity = fields.Date(string="Due Date", readonly=True)
    aging_date = fields.Date(
        readonly=True, help="The date the item is aged from: its due date or its invoice date."
    )
    days = fields.Integer(readonly=True, aggregator="max", help="Days past the aging date.")
    period = fields.Char(readonly=True, help="The column the item falls in.")
    company_currency_id = fields.Many2one("res.currency", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    residual_currency = fields.Monetary(
        string="Open in Currency", currency_field="currency_id", readonly=True, aggregator=None
    )
    residual = fields.Monetary(string="Open Amount", currency_field="company_currency_id", readonly=True)
    amount_not_due = fields.Monetary(string="Not Due", currency_field="company_currency_id", readonly=True)
    amount_period_1 = fields.Monetary(string="1-30", currency_field="company_currency_id", readonly=True)
    amount_period_2 = fields.Monetary(string="31-60", currency_field="company_currency_id", readonly=True)
    amount_period_3 = fields.Monetary(string="61-90", currency_field="company_currency_id", readonly=True)
    amount_period_4 = fields.Monetary(string="91-120", currency_field="company_currency_id", readonly=True)
    amount_period_5 = fields.Monetary(string="121-150", currency_field="company_currency_id", readonly=True)
    amount_older = fields.Monetary(string="Older", currency_field="company_currency_id", readonly=True)

    # ------------------------------------------------------------------
    # Parameters
    # ------------------------------------------------------------------
    @api.model
    def _parameters(self):
        """``(as_of date, basis, columns)`` from the context, checked: a clear error for bad ones."""
        context = self.env.context
        try:
            as_of = fields.Date.to_date(context.get(AS_OF)) or fields.Date.context_today(self)
        except (TypeError, ValueError) as error:
            raise UserError(self.env._("The date of the aged receivables is not a date.")) from error
        basis = context.get(BASIS, "due")
        if basis not in dict(BASES):
            raise UserError(self.env._("Age the receivables by due date or by invoice date."))
        try:
            columns = aging.periods(
                context.get(PERIOD_DAYS, aging.DEFAULT_PERIOD_DAYS),
                context.get(PERIOD_COUNT, aging.DEFAULT_PERIOD_COUNT),
            )
        except ValueError as error:
            raise UserError(
                self.env._(
                    "The periods of the aged receivables must be 1 to %(days)s days long, 1 to %(count)s "
                    "of them.",
                    days=aging.MAX_PERIOD_DAYS,
                    count=aging.MAX_PERIOD_COUNT,
                )
            ) from error
        return as_of, basis, columns

    @api.model
    def _column_labels(self, columns):
        """Translated title of each column of ``columns``: Not Due, 1-30, ..., Older."""
        labels = {}
        for key, low, high in columns:
            if key == aging.NOT_DUE:
                labels[key] = self.env._("Not Due")
            elif high is None:
                labels[key] = self.env._("Older")
            else:
                labels[key] = self.env._("%(low)s-%(high)s", low=low, high=high)
        return labels

    @api.model
    def fields_get(self, allfields=None, attributes=None):
        # The period columns are titled after the periods asked for.
        result = super().fields_get(allfields, attributes)
        try:
            _as_of, _basis, columns = self._parameters()
        except UserError:
            return result
        labels = self._column_labels(columns)
        for key, _low, _high in columns:
            description = result.get(f"amount_{key}")
            if description is not None and "string" in description:
                description["string"] = labels[key]
        return result

    def action_open_document(self):
        """The journal entry of the item (an invoice, a credit note, a payment)."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "account.move",
            "res_id": self.move_id.id,
            "view_mode": "form",
            "views": [(False, "form")],
        }

    # ------------------------------------------------------------------
    # The rows
    # ------------------------------------------------------------------
    @property
    def _table_query(self):
        as_of, basis, columns = self._parameters()
        return self._aged_query(as_of, basis, columns)

    @api.model
    def _line_domain(self, as_of):
        """The receivable items that can be open on ``as_of``: not fully reconciled, or reconciled by a
        reconciliation dated after it (Odoo's index of unreconciled items serves the first part)."""
        receivable = self.env["account.account"].sudo()._search([("account_type", "=", "asset_receivable")])
        return [
            ("account_id", "in", receivable),
            ("parent_state", "=", "posted"),
            ("date", "<=", as_of),
            "|",
            ("reconciled", "=", False),
            "|",
            ("matched_debit_ids.max_date", ">", as_of),
            ("matched_credit_ids.max_date", ">", as_of),
        ]

    @api.model
    def _aged_query(self, as_of, basis, columns, domain=()):
        """SQL of the open items on ``as_of``, one row each, with the reader's access to journal items.

        ``domain`` narrows the journal items (on ``account.move.line``).
        """
        lines = self.env["account.move.line"]._search([*self._line_domain(as_of), *domain])
        aging_date = (
            SQL("COALESCE(line.date_maturity, line.date)")
            if basis == "due"
            else SQL("COALESCE(move.invoice_date, line.date)")
        )
        days = SQL("(%s::date - %s)", as_of, aging_date)
        labels = self._column_labels(columns)
        amounts = [
            SQL(
                "CASE WHEN %s THEN item.residual ELSE 0 END AS %s",
                _days_between(low, high),
                SQL.identifier(f"amount_{key}"),
            )
            for key, low, high in columns
        ]
        used = {f"amount_{key}" for key, _low, _high in columns}
        amounts += [
            SQL("0::numeric AS %s", SQL.identifier(name)) for name in AMOUNT_FIELDS if name not in used
        ]
        period = SQL(
            "CASE %s END",
            SQL(" ").join(
                SQL("WHEN %s THEN %s", _days_between(low, high), labels[key]) for key, low, high in columns
            ),
        )
        # What was settled of each item on the date: the reconciliations whose
        # both sides are dated on or before it, summed once per journal item.
        return SQL(
            """
            SELECT item.*, %(period)s AS period, %(amounts)s
              FROM (
                SELECT line.id, line.id AS move_line_id, line.move_id, line.company_id,
                       partner.commercial_partner_id AS partner_id,
                       commercial.country_id, move.invoice_user_id AS user_id,
                       COALESCE(move.name, line.name) AS document,
                       move.invoice_date, line.date_maturity, %(aging_date)s AS aging_date,
                       %(days)s AS days,
                       company.currency_id AS company_currency_id, line.currency_id,
                       line.balance - COALESCE(settled.amount, 0) AS residual,
                       line.amount_currency - COALESCE(settled.amount_currency, 0) AS residual_currency
                  FROM account_move_line line
                  JOIN account_move move ON move.id = line.move_id
                  JOIN res_company company ON company.id = line.company_id
             LEFT JOIN res_partner partner ON partner.id = line.partner_id
             LEFT JOIN res_partner commercial ON commercial.id = partner.commercial_partner_id
             LEFT JOIN (
                    SELECT side.line_id, SUM(side.amount) AS amount,
                           SUM(side.amount_currency) AS amount_currency
                      FROM (
                        SELECT debit_move_id AS line_id, amount, debit_amount_currency AS amount_currency
                          FROM account_partial_reconcile WHERE max_date <= %(as_of)s
                        UNION ALL
                        SELECT credit_move_id, -amount, -credit_amount_currency
                          FROM account_partial_reconcile WHERE max_date <= %(as_of)s
                      ) side
                  GROUP BY side.line_id
                  ) settled ON settled.line_id = line.id
                 WHERE line.id IN %(lines)s
              ) item
             WHERE item.residual <> 0 OR item.residual_currency <> 0
            """,
            period=period,
            amounts=SQL(", ").join(amounts),
            aging_date=aging_date,
            days=days,
            as_of=as_of,
            lines=lines.subselect(),
        )

    # ------------------------------------------------------------------
    # Export
    # ------------------------------------------------------------------
    @api.model
    def _export_data(self, domain):
        """The workbook's data for the rows of ``domain``, with the context's parameters.

        One query for the items (through ``_search``: record rules apply),
        then the customers' current limit, exposure and available credit
        (the stored figures, one query per company); pandas sums the items per
        customer. Returns ``(summary, detail, columns)``.
        """
        _as_of, _basis, columns = self._parameters()
        labels = self._column_labels(columns)
        amount_names = [f"amount_{key}" for key, _low, _high in columns]
        query = self._search(domain, order="partner_id, aging_date, id")
        items = self.env.execute_query_dict(
            query.select(
                *(
                    SQL.identifier(self._table, name)
                    for name in (
                        "company_id",
                        "partner_id",
                        "document",
                        "invoice_date",
                        "date_maturity",
                        "days",
                        "period",
                        "currency_id",
                        "residual_currency",
                        "residual",
                        *amount_names,
                    )
                )
            )
        )
        frame = pd.DataFrame(items, columns=["company_id", "partner_id", *amount_names, "residual"])
        partners = self.env["res.partner"].browse(
            {item["partner_id"] for item in items if item["partner_id"]}
        )
        names = dict(partners.sudo().mapped(lambda partner: (partner.id, partner.display_name)))
        currencies = self.env["res.currency"].browse({item["currency_id"] for item in items})
        codes = {currency.id: currency.name for currency in currencies}
        figures = {}
        for company in self.env["res.company"].browse(frame["company_id"].unique().tolist()):
            company_partners = (
                frame.loc[frame["company_id"] == company.id, "partner_id"].dropna().unique().tolist()
            )
            for partner_id, row in (
                self.env["credit.figures.store"]
                .sudo()
                ._fetch(company, [int(p) for p in company_partners])
                .items()
            ):
                figures[(company.id, partner_id)] = row
        summary = []
        if not frame.empty:
            frame["partner_id"] = frame["partner_id"].fillna(0).astype(int)
            totals = frame.groupby(["company_id", "partner_id"], sort=False)[
                [*amount_names, "residual"]
            ].sum()
            for (company_id, partner_id), sums in totals.iterrows():
                row = figures.get((company_id, partner_id)) or {}
                summary.append(
                    {
                        "partner": names.get(partner_id) or self.env._("(no customer)"),
                        **{key: float(sums[f"amount_{key}"]) for key, _low, _high in columns},
                        "total": float(sums["residual"]),
                        "credit_limit": row.get("credit_limit") or None,
                        "exposure": float(row.get("exposure") or 0.0),
                        "available": row.get("available"),
                    }
                )
        detail = [
            {
                "partner": names.get(item["partner_id"]) or self.env._("(no customer)"),
                "document": item["document"] or "",
                "invoice_date": item["invoice_date"],
                "due_date": item["date_maturity"],
                "days_overdue": max(item["days"], 0),
                "bucket": item["period"],
                "residual_currency": item["residual_currency"],
                "currency": codes.get(item["currency_id"], ""),
                "residual": item["residual"],
            }
            for item in items
        ]
        return summary, detail, [(key, labels[key]) for key, _low, _high in columns]
