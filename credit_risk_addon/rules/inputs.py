"""What a person may type: amounts and dates the credit rules can work with."""

import math
from datetime import date, datetime

# No amount a person types is larger than this (company currency).
MAX_AMOUNT = 1e13


def is_sensible_amount(value):
    """A real, finite number of a sensible size (a bool or a text is not an amount)."""
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value)
        and abs(value) <= MAX_AMOUNT
    )


def is_date_value(value):
    """A date, or a text in ISO form (YYYY-MM-DD) that is one."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return True
    if not isinstance(value, str):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True
