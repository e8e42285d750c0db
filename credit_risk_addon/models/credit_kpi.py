import calendar

from odoo import api, models
from odoo.tools import SQL

from ..rules import kpis

# Months of sales the countback DSO may walk back through.
COUNTBACK_MONTHS = 12


class CreditKpi(models.AbstractModel):
    """The credit KPIs of a company (or of some customers) month by month.

    The amounts come from set-based queries over the journal items the
    reader may see (``account.move.line._search``): the receivable open at
    each month's end (reconciliations dated by then, as in the aged
    receivables), what of it was not due yet and what was over 90 days past
    due, the credit sales (customer invoices less credit notes, by invoice
    date), the receivables written off, and the invoices paid. The formulas
    are the plain functions of ``rules/kpis.py``.
    """

    _name = "credit.kpi"
    _description = "Credit KPIs"

    @api.model
    def _receivable_lines(self, company, last_day, partner_ids=None):
        domain = [
            ("company_id", "=", company.id),
            ("account_id.account_type", "=", "asset_receivable"),
            ("parent_state", "=", "posted"),
            ("date", "<=", last_day),
        ]
        if partner_ids is not None:
            domain.append(("partner_id.commercial_partner_id", "in", list(partner_ids)))
        return self.env["account.move.line"]._search(domain)

    @api.model
    def _monthly_amounts(self, company, months, partner_ids=None):
        """``{last_day: {receivable, current, over_90, credit_sales, written_off}}`` of ``months``.

        ``months`` are ``(first_day, last_day)`` pairs. One query.
        """
        firsts = [first for first, _last in months]
        lasts = [last for _first, last in months]
        lines = self._receivable_lines(company, max(lasts), partner_ids)
        rows = self.env.execute_query_dict(
            SQL(
                """
                WITH months AS (
                    SELECT m.first_day, m.last_day
                      FROM unnest(%(firsts)s::date[], %(lasts)s::date[]) AS m(first_day, last_day)
                ),
                items AS (
                    SELECT line.id, line.balance, line.date, line.move_id,
                           COALESCE(line.date_maturity, line.date) AS due
                      FROM account_move_line line
                     WHERE line.id IN %(lines)s
                ),
                sides AS (
                    SELECT debit_move_id AS line_id, credit_move_id AS other_id, amount, max_date
                      FROM account_partial_reconcile
                    UNION ALL
                    SELECT credit_move_id, debit_move_id, -amount, max_date
                      FROM account_partial_reconcile
                ),
                open_at AS (
                    SELECT m.last_day, item.due,
                           item.balance
                           - COALESCE(SUM(side.amount) FILTER (WHERE side.max_date <= m.last_day), 0)
                               AS residual
                      FROM months m
                      JOIN items item ON item.date <= m.last_day
                 LEFT JOIN sides side ON side.line_id = item.id
                  GROUP BY m.last_day, item.id, item.due, item.balance
                ),
                balances AS (
                    SELECT last_day,
                           SUM(residual) AS receivable,
                           SUM(residual) FILTER (WHERE due >= last_day) AS current,
                           SUM(residual) FILTER (WHERE last_day - due > 90) AS over_90
                      FROM open_at
                  GROUP BY last_day
                ),
                sales AS (
                    SELECT m.last_day, SUM(item.balance) AS credit_sales
                      FROM months m
                      JOIN items item ON item.date BETWEEN m.first_day AND m.last_day
                      JOIN account_move move ON move.id = item.move_id
                     WHERE move.move_type IN ('out_invoice', 'out_refund')
                  GROUP BY m.last_day
                ),
                written_off AS (
                    -- What customers owed (debit items) settled by a plain journal entry:
                    -- not a payment, an invoice or credit note, a bank statement line,
                    -- nor an exchange difference.
                    SELECT m.last_day, SUM(side.amount) AS written_off
                      FROM months m
                      JOIN sides side ON side.max_date BETWEEN m.first_day AND m.last_day
                      JOIN items item ON item.id = side.line_id
                      JOIN account_move_line other ON other.id = side.other_id
                      JOIN account_move other_move ON other_move.id = other.move_id
                      JOIN res_company company ON company.id = other_move.company_id
                     WHERE side.amount > 0
                       AND other_move.move_type = 'entry'
                       AND other_move.origin_payment_id IS NULL
                       AND other_move.statement_line_id IS NULL
                       AND other_move.journal_id IS DISTINCT FROM company.currency_exchange_journal_id
                  GROUP BY m.last_day
                )
                SELECT m.last_day,
                       COALESCE(b.receivable, 0) AS receivable,
                       COALESCE(b.current, 0) AS current,
                       COALESCE(b.over_90, 0) AS over_90,
                       COALESCE(s.credit_sales, 0) AS credit_sales,
                       COALESCE(w.written_off, 0) AS written_off
                  FROM months m
             LEFT JOIN balances b ON b.last_day = m.last_day
             LEFT JOIN sales s ON s.last_day = m.last_day
             LEFT JOIN written_off w ON w.last_day = m.last_day
                """,
                firsts=firsts,
                lasts=lasts,
                lines=lines.subselect(),
            )
        )
        return {row.pop("last_day"): row for row in rows}

    @api.model
    def _paid_invoices(self, company, first_day, last_day, partner_ids=None):
        """``(invoice_date, due_date, paid_date, amount)`` of the invoices paid in full between the days.

        The paid date is the date of the last reconciliation of the invoice's
        receivable; one query.
        """
        lines = self._receivable_lines(company, last_day, partner_ids)
        rows = self.env.execute_query(
            SQL(
                """
                SELECT move.invoice_date, move.invoice_date_due, MAX(partial.max_date),
                       move.amount_total_signed
                  FROM account_move_line line
                  JOIN account_move move ON move.id = line.move_id
                  JOIN account_partial_reconcile partial
                    ON line.id IN (partial.debit_move_id, partial.credit_move_id)
                 WHERE line.id IN %(lines)s
                   AND move.move_type = 'out_invoice'
                   AND move.payment_state IN ('paid', 'in_payment')
              GROUP BY move.id
                HAVING MAX(partial.max_date) BETWEEN %(first)s AND %(last)s
                """,
                lines=lines.subselect(),
                first=first_day,
                last=last_day,
            )
        )
        return [tuple(row) for row in rows]

    @api.model
    def _compute(self, company, year, month, count, partner_ids=None):
        """The KPIs of the ``count`` months ending with (year, month): ``(months, period)``.

        ``months`` is a list of dicts, oldest first, one per month (its
        amounts and KPIs); ``period`` the KPIs over the whole period.
        """
        months = kpis.months_back(year, month, count + COUNTBACK_MONTHS)
        amounts = self._monthly_amounts(company, months, partner_ids)
        result = []
        for index in range(count - 1, -1, -1):
            first_day, last_day = months[index]
            days = calendar.monthrange(last_day.year, last_day.month)[1]
            month_amounts = amounts[last_day]
            opening = amounts[months[index + 1][1]]["receivable"]
            sales = month_amounts["credit_sales"]
            receivable = month_amounts["receivable"]
            dso = kpis.dso_simple(receivable, max(sales, 0.0), days)
            best = kpis.best_possible_dso(month_amounts["current"], max(sales, 0.0), days)
            paid = self._paid_invoices(company, first_day, last_day, partner_ids)
            countback_sales = [
                ((last - first).days + 1, max(amounts[last]["credit_sales"], 0.0))
                for first, last in months[index : index + COUNTBACK_MONTHS]
            ]
            result.append(
                {
                    "month": first_day,
                    **month_amounts,
                    "dso": dso,
                    "dso_countback": kpis.dso_countback(receivable, countback_sales),
                    "best_dso": best,
                    "add": kpis.average_days_delinquent(dso, best),
                    "cei": kpis.collection_effectiveness_index(
                        opening, max(sales, 0.0), receivable, month_amounts["current"]
                    ),
                    "share_current": kpis.share(month_amounts["current"], receivable),
                    "share_over_90": kpis.share(month_amounts["over_90"], receivable),
                    "days_to_pay": kpis.average_days_to_pay(paid),
                    "days_beyond_terms": kpis.average_days_beyond_terms(paid),
                    "bad_debt_ratio": kpis.bad_debt_ratio(month_amounts["written_off"], max(sales, 0.0)),
                }
            )
        first_day, last_day = months[count - 1][0], months[0][1]
        paid = self._paid_invoices(company, first_day, last_day, partner_ids)
        sales = sum(row["credit_sales"] for row in result)
        written_off = sum(row["written_off"] for row in result)
        period = {
            "credit_sales": sales,
            "written_off": written_off,
            "days_to_pay": kpis.average_days_to_pay(paid),
            "days_beyond_terms": kpis.average_days_beyond_terms(paid),
            "bad_debt_ratio": kpis.bad_debt_ratio(written_off, max(sales, 0.0)),
        }
        return result, period
