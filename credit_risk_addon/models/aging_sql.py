"""SQL fragments derived from the pure-Python aging rules.

Not a model: plain helpers shared by the install hook, the invoice cron and
the exposure figures, so that every SQL CASE uses the boundaries of
:data:`credit_risk_addon.rules.aging.BUCKETS`.
"""

from odoo.tools import SQL

from ..rules.aging import BUCKETS, CREDITS


def bucket_condition(days, key):
    """Boolean SQL expression: the days-past-due expression ``days`` falls in bucket ``key``."""
    for bucket_key, low, high in BUCKETS:
        if bucket_key == key:
            conditions = []
            if low is not None:
                conditions.append(SQL("%s >= %s", days, low))
            if high is not None:
                conditions.append(SQL("%s <= %s", days, high))
            return SQL("(%s)", SQL(" AND ").join(conditions))
    raise KeyError(key)


def bucket_case(days):
    """``CASE`` turning a days-past-due SQL expression into a bucket key."""
    whens = [SQL("WHEN %s THEN %s", bucket_condition(days, key), key) for key, _low, _high in BUCKETS]
    return SQL("CASE %s END", SQL(" ").join(whens))


def days_past_due(due_date, today):
    """Days past due, never negative, for a SQL date expression."""
    return SQL("GREATEST(%s::date - %s, 0)", today, due_date)


def open_invoice_condition(move, move_type="out_invoice"):
    """Open customer invoice (or credit note): the moves that carry days overdue and a bucket."""
    return SQL(
        "(%(m)s.move_type = %(type)s AND %(m)s.state = 'posted'"
        " AND %(m)s.payment_state IN ('not_paid', 'partial'))",
        m=move,
        type=move_type,
    )


def refresh_invoice_aging_query(today):
    """One UPDATE that brings every invoice's days overdue and bucket to ``today``.

    Only rows whose values change are written; closed invoices are reset.
    """
    move = SQL.identifier("account_move")
    days = days_past_due(SQL("COALESCE(account_move.invoice_date_due, account_move.date)"), today)
    return SQL(
        """
        UPDATE account_move
           SET credit_days_overdue = fresh.days, credit_aging_bucket = fresh.bucket
          FROM (
                SELECT account_move.id,
                       CASE WHEN %(is_open)s THEN %(days)s END AS days,
                       CASE WHEN %(is_open)s THEN %(bucket)s
                            WHEN %(is_open_credit)s THEN %(credits)s END AS bucket
                  FROM account_move
                 WHERE account_move.move_type IN ('out_invoice', 'out_refund')
          ) AS fresh
         WHERE account_move.id = fresh.id
           AND (account_move.credit_days_overdue IS DISTINCT FROM fresh.days
                OR account_move.credit_aging_bucket IS DISTINCT FROM fresh.bucket)
        """,
        is_open=open_invoice_condition(move),
        is_open_credit=open_invoice_condition(move, "out_refund"),
        credits=CREDITS,
        days=days,
        bucket=bucket_case(days),
    )
