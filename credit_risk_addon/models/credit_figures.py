from odoo import api, models
from odoo.tools import SQL

from ..rules import aging
from ..rules.exposure import ExposureParts, days_sales_outstanding, total_exposure
from .aging_sql import bucket_condition, days_past_due

FIGURE_COLUMNS = (
    "receivable",
    "draft_invoices",
    "draft_from_orders",
    "orders",
    "unapplied_credits",
    "overdue",
    "oldest_overdue_days",
    "invoiced_total",
    "first_invoice_date",
) + tuple(f"aging_{key}" for key in aging.BUCKET_KEYS)
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
    "res.company": [
        "credit_include_draft_invoices",
        "credit_include_orders",
        "credit_overdue_days",
        "currency_id",
    ],
}


class CreditFigures(models.AbstractModel):
    """Gathers each customer's credit figures with one SQL query.

    One row per (company, commercial partner) with any receivable, draft
    customer invoice or confirmed order to invoice. Figures are in company
    currency and read with the superuser's view of the data, so a user's
    record rules never make a customer look safer than it is.
    """

    _name = "credit.figures"
    _description = "Credit figures per customer and company"

    @api.model
    def _flush_sources(self):
        for model, field_names in FIGURE_SOURCES.items():
            self.env[model].flush_model(field_names)

    @api.model
    def _figures_query(self, today, company_ids=None, partner_ids=None):
        """SQL with one row of raw figures per (company_id, partner_id).

        ``company_ids`` / ``partner_ids`` (commercial partners) narrow the
        rows; ``None`` means all.
        """

        def scope(company_column):
            conditions = [SQL("TRUE")]
            if company_ids is not None:
                conditions.append(SQL("%s IN %s", company_column, tuple(company_ids) or (0,)))
            if partner_ids is not None:
                conditions.append(SQL("partner.commercial_partner_id IN %s", tuple(partner_ids) or (0,)))
            return SQL(" AND ").join(conditions)

        due = SQL("COALESCE(line.date_maturity, line.date)")
        is_overdue = SQL("line.amount_residual > 0 AND %s < %s::date", due, today)
        # Buckets age what the customer owes; unapplied credits (negative
        # items) stand in their own column instead of netting a bucket.
        bucket_sums = SQL(", ").join(
            SQL(
                "SUM(item.residual) FILTER (WHERE item.residual > 0 AND %s) AS %s",
                bucket_condition(SQL("item.days"), key),
                SQL.identifier(f"aging_{key}"),
            )
            for key in aging.BUCKET_KEYS
        )
        tax_ratio = SQL(
            "CASE WHEN line.price_subtotal <> 0 THEN line.price_total / line.price_subtotal ELSE 1 END"
        )
        from_order = SQL(
            "EXISTS (SELECT 1 FROM sale_order_line_invoice_rel rel WHERE rel.invoice_line_id = line.id)"
        )
        bucket_names = SQL(", ").join(SQL.identifier(f"aging_{key}") for key in aging.BUCKET_KEYS)
        bucket_nulls = SQL(", ").join(SQL("NULL") for _key in aging.BUCKET_KEYS)
        bucket_columns = SQL(", ").join(
            SQL("COALESCE(SUM(%s), 0) AS %s", SQL.identifier(f"aging_{key}"), SQL.identifier(f"aging_{key}"))
            for key in aging.BUCKET_KEYS
        )
        return SQL(
            """
            WITH open_item AS (
                -- Unapplied credits (credit notes, payments not matched yet)
                -- settle overdue items oldest first: see
                -- rules.aging.overdue_after_credits, which this mirrors.
                SELECT line.company_id, partner.commercial_partner_id AS partner_id,
                       line.amount_residual AS residual,
                       %(days)s AS days,
                       %(is_overdue)s AS is_overdue,
                       SUM(-line.amount_residual) FILTER (WHERE line.amount_residual < 0)
                           OVER customer AS credits,
                       SUM(line.amount_residual) FILTER (WHERE %(is_overdue)s)
                           OVER (customer ORDER BY %(due)s, line.id ROWS UNBOUNDED PRECEDING)
                           AS running_overdue
                  FROM account_move_line line
                  JOIN account_account account ON account.id = line.account_id
                  JOIN res_partner partner ON partner.id = line.partner_id
                 WHERE line.parent_state = 'posted'
                   AND account.account_type = 'asset_receivable'
                   AND line.reconciled IS NOT TRUE
                   AND %(line_scope)s
                WINDOW customer AS (PARTITION BY line.company_id, partner.commercial_partner_id)
            ), receivable AS (
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
                       %(bucket_sums)s
                  FROM open_item item
              GROUP BY item.company_id, item.partner_id
            ), drafts AS (
                SELECT move.company_id, partner.commercial_partner_id AS partner_id,
                       SUM(-line.balance * %(tax_ratio)s) FILTER (WHERE NOT %(from_order)s) AS draft_invoices,
                       SUM(-line.balance * %(tax_ratio)s) FILTER (WHERE %(from_order)s) AS draft_from_orders
                  FROM account_move_line line
                  JOIN account_move move ON move.id = line.move_id
                  JOIN res_partner partner ON partner.id = move.partner_id
                 WHERE move.state = 'draft'
                   -- Draft credit notes never lower the exposure.
                   AND move.move_type = 'out_invoice'
                   AND line.display_type = 'product'
                   AND %(move_scope)s
              GROUP BY move.company_id, partner.commercial_partner_id
            ), orders AS (
                -- Ordered and not invoiced yet (posted invoices; drafts are
                -- counted with the draft invoices), tax included, whatever
                -- the invoicing policy: goods invoiced on delivery count
                -- before they are delivered. The debtor is the commercial
                -- entity of the invoice address.
                SELECT sale.company_id, partner.commercial_partner_id AS partner_id,
                       SUM(
                           (sol.price_total - COALESCE(invoiced.amount, 0))
                           / COALESCE(NULLIF(sale.currency_rate, 0), 1)
                       ) AS orders
                  FROM sale_order_line sol
                  JOIN sale_order sale ON sale.id = sol.order_id
                  JOIN res_partner partner ON partner.id = COALESCE(sale.partner_invoice_id, sale.partner_id)
             LEFT JOIN LATERAL (
                    SELECT SUM(CASE WHEN move.move_type = 'out_refund' THEN -aml.price_total
                                    ELSE aml.price_total END) AS amount
                      FROM sale_order_line_invoice_rel rel
                      JOIN account_move_line aml ON aml.id = rel.invoice_line_id
                      JOIN account_move move ON move.id = aml.move_id
                     WHERE rel.order_line_id = sol.id
                       AND move.state = 'posted'
                  ) invoiced ON TRUE
                 WHERE sale.state = 'sale'
                   AND sol.display_type IS NULL
                   AND %(sale_scope)s
              GROUP BY sale.company_id, partner.commercial_partner_id
            ), invoiced AS (
                SELECT move.company_id, partner.commercial_partner_id AS partner_id,
                       SUM(move.amount_total_signed) AS invoiced_total,
                       MIN(move.invoice_date) AS first_invoice_date
                  FROM account_move move
                  JOIN res_partner partner ON partner.id = move.partner_id
                 WHERE move.state = 'posted'
                   AND move.move_type IN ('out_invoice', 'out_refund', 'out_receipt')
                   AND %(move_scope)s
              GROUP BY move.company_id, partner.commercial_partner_id
            ), combined AS (
                -- One row per source, summed below: no join between CTEs,
                -- whose row counts PostgreSQL cannot estimate.
                SELECT company_id, partner_id, TRUE AS has_activity,
                       receivable, unapplied_credits, overdue, oldest_overdue_days, %(bucket_names)s,
                       NULL::numeric AS draft_invoices, NULL::numeric AS draft_from_orders,
                       NULL::numeric AS orders, NULL::numeric AS invoiced_total,
                       NULL::date AS first_invoice_date
                  FROM receivable
                UNION ALL
                SELECT company_id, partner_id, TRUE, NULL, NULL, NULL, NULL, %(bucket_nulls)s,
                       draft_invoices, draft_from_orders, NULL, NULL, NULL
                  FROM drafts
                UNION ALL
                SELECT company_id, partner_id, TRUE, NULL, NULL, NULL, NULL, %(bucket_nulls)s,
                       NULL, NULL, orders, NULL, NULL
                  FROM orders
                UNION ALL
                -- Invoicing history (for DSO) alone does not make a row.
                SELECT company_id, partner_id, FALSE, NULL, NULL, NULL, NULL, %(bucket_nulls)s,
                       NULL, NULL, NULL, invoiced_total, first_invoice_date
                  FROM invoiced
            )
            SELECT company_id, partner_id,
                   COALESCE(SUM(receivable), 0) AS receivable,
                   COALESCE(SUM(draft_invoices), 0) AS draft_invoices,
                   COALESCE(SUM(draft_from_orders), 0) AS draft_from_orders,
                   COALESCE(SUM(orders), 0) AS orders,
                   COALESCE(SUM(unapplied_credits), 0) AS unapplied_credits,
                   COALESCE(SUM(overdue), 0) AS overdue,
                   COALESCE(MAX(oldest_overdue_days), 0) AS oldest_overdue_days,
                   COALESCE(SUM(invoiced_total), 0) AS invoiced_total,
                   MIN(first_invoice_date) AS first_invoice_date,
                   %(bucket_columns)s
              FROM combined
          GROUP BY company_id, partner_id
            HAVING bool_or(has_activity)
            """,
            due=due,
            is_overdue=is_overdue,
            days=days_past_due(due, today),
            bucket_sums=bucket_sums,
            tax_ratio=tax_ratio,
            from_order=from_order,
            bucket_names=bucket_names,
            bucket_nulls=bucket_nulls,
            bucket_columns=bucket_columns,
            line_scope=scope(SQL("line.company_id")),
            move_scope=scope(SQL("move.company_id")),
            sale_scope=scope(SQL("sale.company_id")),
        )

    @api.model
    def _fetch(self, company, partner_ids):
        """Figures of ``partner_ids`` (commercial partners) in ``company``.

        Returns ``{partner_id: dict}``; a dict holds every raw column plus
        ``parts``, ``exposure`` and ``dso`` worked out by the rules.
        Partners with no activity (or not saved yet: id False) get zeros.
        One query whatever the number of partners, invoices or orders.
        """
        partner_ids = list(partner_ids)
        self._flush_sources()
        today = company._credit_today()
        saved_ids = [partner_id for partner_id in partner_ids if partner_id]
        rows = self.env.execute_query_dict(self._figures_query(today, [company.id], saved_ids))
        by_partner = {row["partner_id"]: row for row in rows}
        policy = company._credit_exposure_policy()
        result = {}
        for partner_id in partner_ids:
            row = by_partner.get(partner_id) or dict.fromkeys(FIGURE_COLUMNS, 0)
            result[partner_id] = self._complete(row, policy, today)
        return result

    @api.model
    def _complete(self, row, policy, today):
        parts = ExposureParts(
            receivable=row["receivable"] or 0.0,
            draft_invoices=row["draft_invoices"] or 0.0,
            draft_from_orders=row["draft_from_orders"] or 0.0,
            orders=row["orders"] or 0.0,
        )
        figures = dict(row)
        figures["parts"] = parts
        figures["exposure"] = total_exposure(parts, policy)
        first = row.get("first_invoice_date")
        figures["dso"] = days_sales_outstanding(
            parts.receivable, row.get("invoiced_total") or 0.0, (today - first).days if first else 0
        )
        return figures
