from odoo import api, models
from odoo.tools import SQL

from ..rules import aging
from .aging_sql import bucket_condition, days_past_due

# What the figures are computed from: flushed before every query, and the
# ``_depends`` of the SQL-view report built on the same query.
FIGURE_SOURCES = {
    "account.move.line": [
        "account_id",
        "amount_residual",
        "balance",
        "company_id",
        "date",
        "date_maturity",
        "display_type",
        "move_id",
        "parent_state",
        "partner_id",
        "price_subtotal",
        "price_total",
        "reconciled",
        "sale_line_ids",
    ],
    "account.move": [
        "amount_total_signed",
        "commercial_partner_id",
        "company_id",
        "invoice_date",
        "move_type",
        "state",
    ],
    "account.account": ["account_type"],
    "sale.order.line": ["display_type", "invoice_lines", "order_id", "price_subtotal", "price_total"],
    "sale.order": ["company_id", "currency_rate", "partner_id", "partner_invoice_id", "state"],
    "res.partner": ["commercial_partner_id", "credit_limit", "credit_hold"],
    # The company default of the credit limit (written by ir.default.set).
    "ir.default": ["company_id", "condition", "field_id", "json_value", "user_id"],
    "res.company": [
        "credit_include_draft_invoices",
        "credit_include_orders",
        "credit_overdue_days",
        "currency_id",
    ],
}


# Up to this many customers, their rows are looked up customer by customer
# (see CreditFigures._partner_rows). Beyond, the estimated cost of the
# lookups would make PostgreSQL compile the query (JIT) for longer than it runs.
PER_PARTNER_LOOKUP_MAX = 100
# What the receivable source reads of an open receivable line.
RECEIVABLE_LINE_COLUMNS = ("id", "company_id", "amount_residual", "date_maturity", "date")


class Partners:
    """The commercial partners a figures query is for: their ids, or SQL that selects them.

    ``few`` says whether they are few enough to be looked up one by one
    (see ``CreditFigures._partner_rows``); for a list of ids it follows from
    its length.
    """

    __slots__ = ("few", "ids")

    def __init__(self, ids, few=None):
        if isinstance(ids, SQL):
            self.ids = SQL("(%s)", ids)
            self.few = bool(few)
        else:
            ids = tuple(ids)
            self.ids = SQL("%s", ids or (0,))
            self.few = len(ids) <= PER_PARTNER_LOOKUP_MAX if few is None else few


class FigureSource:
    """One source of raw figures: SQL giving ``company_id``, ``partner_id`` and ``columns``.

    ``columns`` maps each column to its SQL type and to the aggregate that
    combines it across sources; ``activity`` says whether a row of this
    source alone makes the customer appear (invoicing history does not).
    """

    __slots__ = ("activity", "columns", "query")

    def __init__(self, query, columns, activity=True):
        self.query = query
        self.columns = columns
        self.activity = activity


class CreditFigures(models.AbstractModel):
    """Every credit figure of every customer, in one SQL query.

    One row per (company, commercial partner) with any receivable, draft
    customer invoice or confirmed order, in company currency, read with the
    superuser's view of the data (a user's record rules never make a customer
    look safer than it is). The partner fields, their searches and sorts, the
    quotation's credit panel, the gate and the exposure report all read this
    one result: each figure is computed here, once.

    Composed like Odoo's report models: ``_sources`` (raw sums, one
    overridable part per source), then ``_select`` / ``_from`` / ``_where``
    over them. A later part of the module adds a source or a figure by
    extending one of these, without editing the others.
    """

    _name = "credit.figures"
    _description = "Credit figures per customer and company"

    @api.model
    def _flush_sources(self):
        for model, field_names in FIGURE_SOURCES.items():
            self.env[model].flush_model(field_names)

    # ------------------------------------------------------------------
    # Raw sources
    # ------------------------------------------------------------------
    @api.model
    def _scope(self, company_column, company_ids, partner_ids):
        conditions = [SQL("TRUE")]
        if company_ids is not None:
            conditions.append(SQL("%s IN %s", company_column, tuple(company_ids) or (0,)))
        if partner_ids is not None:
            conditions.append(SQL("partner.commercial_partner_id IN %s", partner_ids.ids))
        return SQL(" AND ").join(conditions)

    @api.model
    def _sources(self, today, company_ids, partner_ids, requested):
        """The raw sources, by name. Override to add one.

        ``partner_ids`` is a :class:`Partners` or ``None`` (all of them).
        """
        sources = {
            "receivable": self._source_receivable(today, company_ids, partner_ids),
            "drafts": self._source_drafts(company_ids, partner_ids),
            "orders": self._source_orders(company_ids, partner_ids),
            "invoiced": self._source_invoiced(company_ids, partner_ids),
        }
        if requested:
            # Customers asked for by id get their row even without activity
            # (available credit = their limit), computed here like the others.
            sources["requested"] = FigureSource(
                SQL(
                    """SELECT company.id AS company_id, partner.id AS partner_id
                         FROM res_company company, res_partner partner
                        WHERE company.id IN %s AND partner.id IN %s""",
                    tuple(company_ids) or (0,),
                    partner_ids.ids,
                ),
                {},
            )
        return sources

    @api.model
    def _source_receivable(self, today, company_ids, partner_ids):
        """Open posted receivables: amount, unapplied credits, overdue and aging.

        Unapplied credits (credit notes, payments not matched yet) settle the
        overdue invoices oldest first: the overdue amount is what they leave,
        the oldest overdue days the age of the oldest invoice they do not
        cover. The buckets age what the customer owes (positive items); the
        credits are a column of their own.
        """
        due = SQL("COALESCE(line.date_maturity, line.date)")
        is_overdue = SQL("line.amount_residual > 0 AND %s < %s::date", due, today)
        buckets = SQL(", ").join(
            SQL(
                "SUM(item.residual) FILTER (WHERE item.residual > 0 AND %s) AS %s",
                bucket_condition(SQL("item.days"), key),
                SQL.identifier(f"aging_{key}"),
            )
            for key in aging.BUCKET_KEYS
        )
        query = SQL(
            """
            SELECT item.company_id, item.partner_id,
                   SUM(item.residual) AS receivable,
                   COALESCE(MAX(item.credits), 0) AS unapplied_credits,
                   GREATEST(
                       COALESCE(SUM(item.residual) FILTER (WHERE item.is_overdue), 0)
                       - COALESCE(MAX(item.credits), 0),
                       0
                   ) AS overdue,
                   MAX(item.days) FILTER (
                       WHERE item.is_overdue AND item.running_overdue > COALESCE(item.credits, 0)
                   ) AS oldest_overdue_days,
                   %(buckets)s
              FROM (
                SELECT line.company_id, partner.commercial_partner_id AS partner_id,
                       line.amount_residual AS residual,
                       %(days)s AS days,
                       %(is_overdue)s AS is_overdue,
                       SUM(-line.amount_residual) FILTER (WHERE line.amount_residual < 0)
                           OVER customer AS credits,
                       SUM(line.amount_residual) FILTER (WHERE %(is_overdue)s)
                           OVER (customer ORDER BY %(due)s, line.id ROWS UNBOUNDED PRECEDING)
                           AS running_overdue
                  FROM %(lines)s
                 WHERE %(scope)s
                WINDOW customer AS (PARTITION BY line.company_id, partner.commercial_partner_id)
              ) item
          GROUP BY item.company_id, item.partner_id
            """,
            buckets=buckets,
            days=days_past_due(due, today),
            is_overdue=is_overdue,
            due=due,
            lines=self._partner_rows(
                partner_ids,
                SQL("account_move_line line JOIN account_account account ON account.id = line.account_id"),
                "line",
                SQL("line.partner_id"),
                [SQL("line.%s", SQL.identifier(name)) for name in RECEIVABLE_LINE_COLUMNS],
                SQL(
                    """line.parent_state = 'posted'
                       AND account.account_type = 'asset_receivable'
                       AND line.reconciled IS NOT TRUE"""
                ),
            ),
            scope=self._scope(SQL("line.company_id"), company_ids, partner_ids),
        )
        columns = {
            "receivable": ("numeric", "SUM"),
            "unapplied_credits": ("numeric", "SUM"),
            "overdue": ("numeric", "SUM"),
            "oldest_overdue_days": ("integer", "MAX"),
            **{f"aging_{key}": ("numeric", "SUM") for key in aging.BUCKET_KEYS},
        }
        return FigureSource(query, columns)

    @api.model
    def _per_partner(self, partner_ids):
        """Whether the figures of ``partner_ids`` are read customer by customer (a few of them)."""
        return partner_ids is not None and partner_ids.few

    @api.model
    def _partner_rows(self, partner_ids, rows, alias, partner_column, columns, condition):
        """FROM clause of the ``rows`` meeting ``condition`` (as ``alias``) with their ``partner``.

        ``rows`` is the table (or join) to read, ``partner_column`` the column
        of its partner, ``columns`` the columns the source reads. For a few
        given customers (a list page, a quotation, a list of quotations) the
        rows are looked up partner by partner through the index of
        ``partner_column``: left to itself, PostgreSQL reads the whole table
        as soon as a few dozen customers are asked for, and that cost grows
        with the database. OFFSET 0 keeps the lookup a subquery run per
        partner. Beyond PER_PARTNER_LOOKUP_MAX customers, or for all of
        them, one pass over the table is cheaper.
        """
        if not self._per_partner(partner_ids):
            return SQL(
                "%s JOIN res_partner partner ON partner.id = %s AND %s", rows, partner_column, condition
            )
        return SQL(
            """res_partner partner
               JOIN LATERAL (
                    SELECT %s
                      FROM %s
                     WHERE %s = partner.id AND %s
                    OFFSET 0
               ) %s ON TRUE""",
            SQL(", ").join(columns),
            rows,
            partner_column,
            condition,
            SQL.identifier(alias),
        )

    @api.model
    def _source_drafts(self, company_ids, partner_ids):
        """Draft customer invoices, tax included; those invoiced from an order apart.

        Draft credit notes never lower the exposure.
        """
        tax_ratio = SQL(
            "CASE WHEN line.price_subtotal <> 0 THEN line.price_total / line.price_subtotal ELSE 1 END"
        )
        # Drafted from a confirmed order: inside that order's amount until posted.
        # Looked up once per draft line, through the relation's index (LIMIT 1
        # keeps PostgreSQL from copying the test into each FILTER below).
        query = SQL(
            """
            SELECT move.company_id, partner.commercial_partner_id AS partner_id,
                   SUM(-line.balance * %(tax_ratio)s) FILTER (WHERE from_order.line_id IS NULL)
                       AS draft_invoices,
                   SUM(-line.balance * %(tax_ratio)s) FILTER (WHERE from_order.line_id IS NOT NULL)
                       AS draft_from_orders
              FROM account_move_line line
              JOIN account_move move ON move.id = line.move_id
              JOIN res_partner partner ON partner.id = move.partner_id
         LEFT JOIN LATERAL (
                SELECT rel.invoice_line_id AS line_id
                  FROM sale_order_line_invoice_rel rel
                  JOIN sale_order_line sol ON sol.id = rel.order_line_id
                  JOIN sale_order sale ON sale.id = sol.order_id
                 WHERE rel.invoice_line_id = line.id AND sale.state = 'sale'
                 LIMIT 1
              ) from_order ON TRUE
             WHERE move.state = 'draft'
               AND move.move_type = 'out_invoice'
               AND line.display_type = 'product'
               AND %(scope)s
          GROUP BY move.company_id, partner.commercial_partner_id
            """,
            tax_ratio=tax_ratio,
            scope=self._scope(SQL("move.company_id"), company_ids, partner_ids),
        )
        return FigureSource(
            query, {"draft_invoices": ("numeric", "SUM"), "draft_from_orders": ("numeric", "SUM")}
        )

    @api.model
    def _source_orders(self, company_ids, partner_ids):
        """Confirmed orders: what is ordered and not yet billed by a posted invoice.

        Tax included, whatever the invoicing policy (goods invoiced on
        delivery count before delivery), at the order's rate. The debtor is
        the commercial entity of the invoice address; drafts of order lines
        stay here until posted (see the draft part of ``_select``).
        """
        # The order lines in scope. The debtor is joined on the invoice address
        # column itself (required, indexed): a customer's orders are found
        # through its index, not by reading every confirmed order.
        lines = SQL(
            """
            SELECT sol.id, sol.price_total, sale.company_id, sale.currency_rate,
                   partner.commercial_partner_id AS partner_id
              FROM %s
              JOIN sale_order_line sol ON sol.order_id = sale.id
             WHERE sol.display_type IS NULL
               AND %s
            """,
            self._partner_rows(
                partner_ids,
                SQL("sale_order sale"),
                "sale",
                SQL("sale.partner_invoice_id"),
                [SQL("sale.id"), SQL("sale.company_id"), SQL("sale.currency_rate")],
                SQL("sale.state = 'sale'"),
            ),
            self._scope(SQL("sale.company_id"), company_ids, partner_ids),
        )
        # What posted invoices bill of each line: only invoices made out to
        # the same debtor bill it.
        billed_amount = SQL(
            "SUM(CASE WHEN move.move_type = 'out_refund' THEN -aml.price_total ELSE aml.price_total END)"
        )
        billed_lines = SQL(
            """sale_order_line_invoice_rel rel
               JOIN account_move_line aml ON aml.id = rel.invoice_line_id
               JOIN account_move move ON move.id = aml.move_id"""
        )
        if self._per_partner(partner_ids):
            # A few customers: looked up line by line through the relation's index.
            billed = SQL(
                """LEFT JOIN LATERAL (
                        SELECT %s AS amount
                          FROM %s
                         WHERE rel.order_line_id = line.id
                           AND move.state = 'posted'
                           AND move.commercial_partner_id = line.partner_id
                   ) billed ON TRUE""",
                billed_amount,
                billed_lines,
            )
        else:
            # Many customers: summed in one pass per line and debtor (a join,
            # not one lookup per order line), for given customers only for
            # their lines.
            billed_scope = SQL("TRUE")
            if partner_ids is not None:
                billed_scope = SQL("rel.order_line_id IN (SELECT scoped.id FROM (%s) scoped)", lines)
            billed = SQL(
                """LEFT JOIN (
                        SELECT rel.order_line_id, move.commercial_partner_id, %s AS amount
                          FROM %s
                         WHERE move.state = 'posted' AND %s
                      GROUP BY rel.order_line_id, move.commercial_partner_id
                   ) billed
                     ON billed.order_line_id = line.id AND billed.commercial_partner_id = line.partner_id""",
                billed_amount,
                billed_lines,
                billed_scope,
            )
        query = SQL(
            """
            SELECT line.company_id, line.partner_id,
                   SUM(
                       -- Never more than the line itself: a line is billed at most in full.
                       CASE WHEN line.price_total >= 0
                            THEN GREATEST(line.price_total - COALESCE(billed.amount, 0), 0)
                            ELSE LEAST(line.price_total - COALESCE(billed.amount, 0), 0) END
                       / COALESCE(NULLIF(line.currency_rate, 0), 1)
                   ) AS orders
              FROM (%(lines)s) line
              %(billed)s
          GROUP BY line.company_id, line.partner_id
            """,
            lines=lines,
            billed=billed,
        )
        return FigureSource(query, {"orders": ("numeric", "SUM")})

    @api.model
    def _source_invoiced(self, company_ids, partner_ids):
        """Invoicing history, for DSO: alone it does not make a customer appear."""
        query = SQL(
            """
            SELECT move.company_id, partner.commercial_partner_id AS partner_id,
                   SUM(move.amount_total_signed) AS invoiced_total,
                   MIN(move.invoice_date) AS first_invoice_date
              FROM %(moves)s
             WHERE %(scope)s
          GROUP BY move.company_id, partner.commercial_partner_id
            """,
            moves=self._partner_rows(
                partner_ids,
                SQL("account_move move"),
                "move",
                SQL("move.partner_id"),
                [SQL("move.company_id"), SQL("move.amount_total_signed"), SQL("move.invoice_date")],
                SQL(
                    """move.state = 'posted'
                       AND move.move_type IN ('out_invoice', 'out_refund', 'out_receipt')"""
                ),
            ),
            scope=self._scope(SQL("move.company_id"), company_ids, partner_ids),
        )
        return FigureSource(
            query,
            {"invoiced_total": ("numeric", "SUM"), "first_invoice_date": ("date", "MIN")},
            activity=False,
        )

    @api.model
    def _raw_query(self, sources):
        """The sources summed per customer: UNION ALL of their rows, then one GROUP BY.

        Each branch is generated from its source's columns (the others are
        typed NULLs): no join between aggregates, whose row counts
        PostgreSQL cannot estimate.
        """
        columns = {}
        for source in sources.values():
            columns.update(source.columns)
        branches = []
        for source in sources.values():
            values = [
                SQL.identifier(name)
                if name in source.columns
                else SQL("NULL::%s AS %s", SQL(sql_type), SQL.identifier(name))
                for name, (sql_type, _aggregate) in columns.items()
            ]
            branches.append(
                SQL(
                    "SELECT company_id, partner_id, %s AS has_activity, %s FROM (%s) source",
                    bool(source.activity),
                    SQL(", ").join(values),
                    source.query,
                )
            )
        aggregates = SQL(", ").join(
            SQL("%s(%s) AS %s", SQL(aggregate), SQL.identifier(name), SQL.identifier(name))
            for name, (_sql_type, aggregate) in columns.items()
        )
        return SQL(
            """
            SELECT company_id, partner_id, %s
              FROM (%s) branch
          GROUP BY company_id, partner_id
            HAVING bool_or(has_activity)
            """,
            aggregates,
            SQL(" UNION ALL ").join(branches),
        )

    # ------------------------------------------------------------------
    # The figures
    # ------------------------------------------------------------------
    @api.model
    def _select(self, today):
        """Every figure, by name, over the raw sums ``raw``, the company, partner and limit."""
        buckets = {
            f"aging_{key}": SQL("COALESCE(raw.%s, 0)", SQL.identifier(f"aging_{key}"))
            for key in aging.BUCKET_KEYS
        }
        return {
            "company_id": SQL("raw.company_id"),
            "partner_id": SQL("raw.partner_id"),
            "currency_id": SQL("company.currency_id"),
            "credit_limit": SQL("lim.credit_limit"),
            "credit_hold": SQL("COALESCE((partner.credit_hold ->> raw.company_id::text)::boolean, FALSE)"),
            "receivable": SQL("COALESCE(raw.receivable, 0)"),
            "draft_invoices": SQL("parts.draft_invoices"),
            "orders": SQL("parts.orders"),
            "exposure": SQL("parts.exposure"),
            "available": SQL("CASE WHEN lim.credit_limit > 0 THEN lim.credit_limit - parts.exposure END"),
            "over_limit": SQL("lim.credit_limit > 0 AND parts.exposure > lim.credit_limit"),
            "unapplied_credits": SQL("COALESCE(raw.unapplied_credits, 0)"),
            "overdue": SQL("COALESCE(raw.overdue, 0)"),
            "oldest_overdue_days": SQL("COALESCE(raw.oldest_overdue_days, 0)"),
            "past_overdue_threshold": SQL(
                "COALESCE(raw.oldest_overdue_days, 0) > company.credit_overdue_days"
            ),
            # Odoo's DSO, per company: open receivable over all invoiced, times
            # the days since the first invoice.
            "dso": SQL(
                """CASE WHEN raw.invoiced_total > 0 AND raw.first_invoice_date < %(today)s::date
                        THEN COALESCE(raw.receivable, 0) / raw.invoiced_total
                             * (%(today)s::date - raw.first_invoice_date)
                        ELSE 0 END""",
                today=today,
            ),
            **buckets,
        }

    @api.model
    def _from(self, raw):
        """The raw sums with their company, partner, limit and the company's exposure policy."""
        # The limit is Odoo's company-dependent credit_limit (jsonb keyed by
        # company id) falling back to the company default from ir.default.
        # Draft invoice lines from an order are inside the order's amount
        # until posted: counted once, with the orders when those count.
        return SQL(
            """
            (%(raw)s) raw
            JOIN res_company company ON company.id = raw.company_id
            JOIN res_partner partner ON partner.id = raw.partner_id
       LEFT JOIN LATERAL (
                -- A subquery of its own (LIMIT keeps it one): inside the
                -- COALESCE below, PostgreSQL would plan a copy of it for
                -- every use of the limit.
                SELECT d.json_value::numeric AS credit_limit
                  FROM ir_default d
                  JOIN ir_model_fields imf ON imf.id = d.field_id
                 WHERE imf.model = 'res.partner' AND imf.name = 'credit_limit'
                   AND d.user_id IS NULL AND d.condition IS NULL
                   AND (d.company_id = raw.company_id OR d.company_id IS NULL)
              ORDER BY d.company_id NULLS LAST
                 LIMIT 1
              ) fallback ON TRUE
       LEFT JOIN LATERAL (
                SELECT COALESCE(
                           (partner.credit_limit ->> raw.company_id::text)::numeric, fallback.credit_limit, 0
                       ) AS credit_limit
              ) lim ON TRUE
       LEFT JOIN LATERAL (
                SELECT drafts.amount AS draft_invoices,
                       orders.amount AS orders,
                       COALESCE(raw.receivable, 0) + drafts.amount + orders.amount AS exposure
                  FROM (SELECT CASE WHEN NOT company.credit_include_draft_invoices THEN 0
                                    WHEN company.credit_include_orders THEN COALESCE(raw.draft_invoices, 0)
                                    ELSE COALESCE(raw.draft_invoices, 0) + COALESCE(raw.draft_from_orders, 0)
                               END AS amount) drafts,
                       (SELECT CASE WHEN company.credit_include_orders THEN COALESCE(raw.orders, 0)
                                    ELSE 0 END AS amount) orders
              ) parts ON TRUE
            """,
            raw=raw,
        )

    @api.model
    def _where(self):
        return SQL("TRUE")

    @api.model
    def _figures_query(self, today, company_ids=None, partner_ids=None, requested=None):
        """SQL with one row of figures per (company_id, partner_id), computed from the documents.

        ``company_ids`` / ``partner_ids`` (commercial partners: ids or a
        :class:`Partners`) narrow the rows; ``None`` means all. With
        ``requested`` (by default when both are given) each given partner
        has a row even without activity. The figures of a customer are
        read through ``credit.figures.store``, which keeps them between two
        changes; this is where they are computed.
        """
        if partner_ids is not None and not isinstance(partner_ids, Partners):
            partner_ids = Partners(partner_ids)
        if requested is None:
            requested = company_ids is not None and partner_ids is not None
        raw = self._raw_query(self._sources(today, company_ids, partner_ids, requested))
        select = SQL(", ").join(
            SQL("%s AS %s", expression, SQL.identifier(name))
            for name, expression in self._select(today).items()
        )
        return SQL("SELECT %s FROM %s WHERE %s", select, self._from(raw), self._where())
