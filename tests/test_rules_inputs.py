"""What a person may type: the checks the forms and wizards apply before anything is written."""

import datetime
import math

import pytest

from rules.inputs import MAX_AMOUNT, is_date_value, is_sensible_amount


@pytest.mark.parametrize(
    ("value", "sensible"),
    [
        (0, True),
        (1500.25, True),
        (-20.0, True),
        (MAX_AMOUNT, True),
        (MAX_AMOUNT * 10, False),
        (math.inf, False),
        (-math.inf, False),
        (math.nan, False),
        (True, False),
        ("100", False),
        (None, False),
    ],
)
def test_sensible_amounts(value, sensible):
    assert is_sensible_amount(value) is sensible


@pytest.mark.parametrize(
    ("value", "is_date"),
    [
        (datetime.date(2026, 3, 15), True),
        ("2026-03-15", True),
        ("2026-02-30", False),
        ("not a date", False),
        (12, False),
        (datetime.datetime(2026, 3, 15, 10, 0), False),
        (None, False),
    ],
)
def test_date_values(value, is_date):
    assert is_date_value(value) is is_date
