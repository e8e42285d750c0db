"""Aging buckets: which bucket an amount falls in from its days past due."""

from datetime import date

# (key, lowest days past due, highest days past due or None for open-ended).
# The ORM layer builds its SQL CASE from this table, so Python and PostgreSQL
# always agree on the boundaries.
BUCKETS = (
    ("not_due", None, 0),
    ("1_30", 1, 30),
    ("31_60", 31, 60),
    ("61_90", 61, 90),
    ("91_120", 91, 120),
    ("over_120", 121, None),
)
BUCKET_KEYS = tuple(key for key, _low, _high in BUCKETS)
# The column of open credits (credit notes, payments not matched yet), beside
# the buckets: they are not aged.
CREDITS = "credits"


def days_overdue(due_date, today):
    """Whole days between the due date and today; 0 when not yet due.

    A missing due date means the item is due at once (0 days overdue today).
    """
    if not due_date:
        return 0
    if not isinstance(due_date, date) or not isinstance(today, date):
        raise TypeError("days_overdue expects dates")
    return max((today - due_date).days, 0)


def bucket_for(days):
    """Return the bucket key for a number of days past due (int >= 0)."""
    days = max(days or 0, 0)
    # Buckets are ordered: the first whose upper bound is not passed.
    for key, _low, high in BUCKETS:
        if high is None or days <= high:
            return key
    raise AssertionError("the last bucket must be open-ended")  # pragma: no cover


def split_by_bucket(items, today):
    """Sum amounts per bucket.

    ``items`` is an iterable of ``(due_date, amount)``; returns a dict with
    every bucket key, so callers never need a default.
    """
    totals = dict.fromkeys(BUCKET_KEYS, 0.0)
    for due_date, amount in items:
        totals[bucket_for(days_overdue(due_date, today))] += amount or 0.0
    return totals


def overdue_after_credits(items, today):
    """What is really overdue once unapplied credits are used up.

    ``items`` is an iterable of ``(due_date, residual)`` open receivable
    items: invoices are positive, credit notes and payments not matched yet
    are negative. The credits (whatever their date: the customer can use
    them now) settle the overdue items oldest first, as a collector would
    apply them. Returns ``(amount, oldest_days)``: the overdue amount left
    (never below 0) and the days past due of the oldest item not fully
    covered (0 when nothing is left overdue).

    The aging buckets do not apply credits: like an aged trial balance, they
    show each item where its date puts it.
    """
    items = list(items)
    unapplied = -sum(amount for _due, amount in items if amount < 0)
    overdue = sorted(
        ((due, amount) for due, amount in items if amount > 0 and days_overdue(due, today) > 0),
        key=lambda item: item[0],
    )
    amount = 0.0
    oldest = 0
    running = 0.0
    for due, residual in overdue:  # oldest first
        running += residual
        if running > unapplied:
            amount += min(residual, running - unapplied)
            oldest = oldest or days_overdue(due, today)
    return amount, oldest
