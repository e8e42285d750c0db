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


# The aged receivables report ages by periods the user chooses: how many and
# how long (in days). The defaults give the usual columns of an aged balance.
DEFAULT_PERIOD_DAYS = 30
DEFAULT_PERIOD_COUNT = 4
MAX_PERIOD_DAYS = 366
MAX_PERIOD_COUNT = 5
NOT_DUE = "not_due"
OLDER = "older"


def periods(period_days=DEFAULT_PERIOD_DAYS, period_count=DEFAULT_PERIOD_COUNT):
    """The columns of an aged balance: ``[(key, lowest days, highest days or None)]``.

    Not due (0 days or less), then ``period_count`` periods of ``period_days``
    days (keys ``period_1`` ...), then everything older. Raises ``ValueError``
    outside 1-366 days and 1-5 periods.
    """
    for value, top in ((period_days, MAX_PERIOD_DAYS), (period_count, MAX_PERIOD_COUNT)):
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= top:
            raise ValueError(f"expected a whole number from 1 to {top}, got {value!r}")
    columns = [(NOT_DUE, None, 0)]
    for index in range(period_count):
        columns.append((f"period_{index + 1}", index * period_days + 1, (index + 1) * period_days))
    columns.append((OLDER, period_count * period_days + 1, None))
    return columns


def period_for(days, columns):
    """The key of the column of ``columns`` (from :func:`periods`) that ``days`` falls in."""
    for key, _low, high in columns:
        if high is None or days <= high:
            return key
    raise AssertionError("the last column is open-ended")  # pragma: no cover
