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
