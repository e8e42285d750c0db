"""rules.aging: days past due, bucket boundaries, per-bucket sums."""

import random
from datetime import date, datetime, timedelta

import oracles
import pytest

from rules import aging
from rules.aging import BUCKET_KEYS, bucket_for, days_overdue


def split_by_bucket(items, today):
    """The tests' oracle of the aging buckets, on the module's bucket boundaries."""
    return oracles.split_by_bucket(items, today, bucket_for, BUCKET_KEYS)


TODAY = date(2024, 6, 15)


# ---------------------------------------------------------------------------
# bucket_for
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        (None, "not_due"),
        (-1, "not_due"),
        (-365, "not_due"),
        (0, "not_due"),
        (1, "1_30"),
        (15, "1_30"),
        (30, "1_30"),
        (31, "31_60"),
        (45, "31_60"),
        (60, "31_60"),
        (61, "61_90"),
        (75, "61_90"),
        (90, "61_90"),
        (91, "91_120"),
        (105, "91_120"),
        (120, "91_120"),
        (121, "over_120"),
        (365, "over_120"),
        (10_000, "over_120"),
    ],
)
def test_bucket_for_boundaries(days, expected):
    assert bucket_for(days) == expected


def test_bucket_for_is_monotonic():
    """A later day never falls in an earlier bucket."""
    previous = 0
    for days in range(0, 500):
        index = BUCKET_KEYS.index(bucket_for(days))
        assert index >= previous, days
        previous = index


# ---------------------------------------------------------------------------
# days_overdue
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("due", "today", "expected"),
    [
        (None, TODAY, 0),  # no due date: due at once, 0 days late today
        (False, TODAY, 0),  # Odoo gives False for an empty Date field
        (TODAY, TODAY, 0),  # due today is not overdue
        (TODAY + timedelta(days=1), TODAY, 0),  # due tomorrow
        (TODAY + timedelta(days=400), TODAY, 0),  # far future: clamped to 0
        (TODAY - timedelta(days=1), TODAY, 1),
        (TODAY - timedelta(days=30), TODAY, 30),
        (TODAY - timedelta(days=31), TODAY, 31),
        (TODAY - timedelta(days=121), TODAY, 121),
        (date(2024, 2, 28), date(2024, 3, 1), 2),  # leap year
        (date(2023, 2, 28), date(2023, 3, 1), 1),  # not a leap year
        (date(2023, 12, 31), date(2024, 1, 1), 1),  # across a year end
    ],
)
def test_days_overdue(due, today, expected):
    result = days_overdue(due, today)
    assert result == expected
    assert isinstance(result, int)


@pytest.mark.parametrize(
    ("due", "today"),
    [
        ("2024-06-01", TODAY),  # a string is not a date
        (20240601, TODAY),
        (1.5, TODAY),
        (date(2024, 6, 1), "2024-06-15"),
        (date(2024, 6, 1), None),
        (date(2024, 6, 1), 20240615),
    ],
)
def test_days_overdue_rejects_non_dates(due, today):
    with pytest.raises(TypeError):
        days_overdue(due, today)


def test_days_overdue_accepts_datetimes_on_both_sides():
    """datetime is a date subclass; two datetimes give whole days."""
    assert days_overdue(datetime(2024, 6, 1, 23, 0), datetime(2024, 6, 15, 1, 0)) == 13


def test_days_overdue_is_never_negative_property():
    rng = random.Random(20240615)
    for _ in range(500):
        due = TODAY + timedelta(days=rng.randint(-2000, 2000))
        result = days_overdue(due, TODAY)
        assert result >= 0
        assert result == max((TODAY - due).days, 0)


# ---------------------------------------------------------------------------
# split_by_bucket (the oracle in credit_risk_addon/tests/oracles.py)
# ---------------------------------------------------------------------------


def test_split_by_bucket_empty_has_every_key():
    totals = split_by_bucket([], TODAY)
    assert list(totals) == list(BUCKET_KEYS)
    assert all(value == 0.0 for value in totals.values())
    assert all(isinstance(value, float) for value in totals.values())


def test_split_by_bucket_sums_per_bucket():
    items = [
        (None, 10.0),  # no due date: not due
        (TODAY + timedelta(days=5), 20.0),  # future: not due
        (TODAY, 1.0),  # due today: not due
        (TODAY - timedelta(days=1), 100.0),  # 1_30
        (TODAY - timedelta(days=30), 200.0),  # 1_30
        (TODAY - timedelta(days=31), 300.0),  # 31_60
        (TODAY - timedelta(days=60), 400.0),  # 31_60
        (TODAY - timedelta(days=61), 500.0),  # 61_90
        (TODAY - timedelta(days=90), 600.0),  # 61_90
        (TODAY - timedelta(days=91), 700.0),  # 91_120
        (TODAY - timedelta(days=120), 800.0),  # 91_120
        (TODAY - timedelta(days=121), 900.0),  # over_120
        (TODAY - timedelta(days=999), 1000.0),  # over_120
    ]
    assert split_by_bucket(items, TODAY) == {
        "not_due": 31.0,
        "1_30": 300.0,
        "31_60": 700.0,
        "61_90": 1100.0,
        "91_120": 1500.0,
        "over_120": 1900.0,
    }


def test_split_by_bucket_missing_amount_counts_as_zero():
    items = [(TODAY - timedelta(days=10), None), (TODAY - timedelta(days=10), 0), (None, None)]
    totals = split_by_bucket(items, TODAY)
    assert totals == dict.fromkeys(BUCKET_KEYS, 0.0)


def test_split_by_bucket_credit_notes_net_within_a_bucket():
    overdue = TODAY - timedelta(days=45)
    totals = split_by_bucket([(overdue, 500.0), (overdue, -120.0)], TODAY)
    assert totals["31_60"] == pytest.approx(380.0)
    assert sum(totals.values()) == pytest.approx(380.0)


def test_split_by_bucket_accepts_any_iterable():
    generator = ((TODAY - timedelta(days=d), 1.0) for d in (0, 10, 40, 70, 100, 130))
    totals = split_by_bucket(generator, TODAY)
    assert totals == dict.fromkeys(BUCKET_KEYS, 1.0)


def test_split_by_bucket_returns_a_fresh_dict():
    first = split_by_bucket([], TODAY)
    first["not_due"] = 99.0
    assert split_by_bucket([], TODAY)["not_due"] == 0.0


def test_split_by_bucket_propagates_bad_dates():
    with pytest.raises(TypeError):
        split_by_bucket([("2024-01-01", 10.0)], TODAY)


def test_split_by_bucket_property_total_is_preserved():
    """Property: whatever the due dates, the buckets add up to the total, and each
    amount lands in the bucket its own days_overdue says."""
    rng = random.Random(42)
    for _ in range(200):
        items = []
        for _ in range(rng.randint(0, 25)):
            due = None if rng.random() < 0.1 else TODAY + timedelta(days=rng.randint(-400, 60))
            amount = round(rng.uniform(-1000, 5000), 2)
            items.append((due, amount))
        totals = split_by_bucket(items, TODAY)
        assert set(totals) == set(BUCKET_KEYS)
        assert sum(totals.values()) == pytest.approx(sum(amount for _due, amount in items))
        expected = dict.fromkeys(BUCKET_KEYS, 0.0)
        for due, amount in items:
            expected[bucket_for(days_overdue(due, TODAY))] += amount
        assert totals == pytest.approx(expected)


# ---------------------------------------------------------------------------
# Overdue after unapplied credits
# ---------------------------------------------------------------------------


def _ago(days):
    return TODAY - timedelta(days=days)


def test_overdue_without_credits_is_the_overdue_items():
    items = [(_ago(90), 400.0), (_ago(10), 100.0), (TODAY + timedelta(days=5), 50.0)]
    assert oracles.overdue_after_credits(items, TODAY) == (500.0, 90)


def test_credits_settle_the_oldest_items_first():
    # 300 of credits cover the 90-day item (250) and 50 of the 40-day item.
    items = [(_ago(10), 100.0), (_ago(90), 250.0), (_ago(40), 200.0), (_ago(3), -300.0)]
    assert oracles.overdue_after_credits(items, TODAY) == (250.0, 40)


def test_credits_covering_everything_leave_nothing_overdue():
    # The old invoice is matched in substance by an unmatched credit note.
    items = [(_ago(200), 500.0), (TODAY, -500.0)]
    assert oracles.overdue_after_credits(items, TODAY) == (0.0, 0)


def test_future_credits_count_and_surplus_credit_is_not_negative_overdue():
    items = [(_ago(61), 100.0), (TODAY + timedelta(days=30), -1000.0)]
    assert oracles.overdue_after_credits(items, TODAY) == (0.0, 0)


def test_items_not_yet_due_are_never_overdue_even_without_credits():
    items = [(TODAY, 100.0), (TODAY + timedelta(days=1), 100.0), (None, 100.0)]
    assert oracles.overdue_after_credits(items, TODAY) == (0.0, 0)


def test_overdue_after_credits_matches_brute_force():
    rng = random.Random(7)
    for _ in range(300):
        items = [
            (_ago(rng.randint(-30, 200)), float(rng.choice([-1, 1, 1, 1]) * rng.randint(1, 500)))
            for _ in range(rng.randint(0, 8))
        ]
        amount, oldest = oracles.overdue_after_credits(items, TODAY)
        # Brute force: spend the credits on overdue items oldest first, one unit at a time.
        credits = -sum(a for _d, a in items if a < 0)
        left = []
        for due, residual in sorted((i for i in items if i[1] > 0 and i[0] < TODAY), key=lambda i: i[0]):
            used = min(credits, residual)
            credits -= used
            if residual - used > 0:
                left.append((due, residual - used))
        assert amount == pytest.approx(sum(a for _d, a in left))
        assert oldest == max((days_overdue(d, TODAY) for d, _a in left), default=0)
        assert 0 <= amount <= sum(a for d, a in items if a > 0 and d < TODAY)


# ---------------------------------------------------------------------------
# periods of the aged receivables report
# ---------------------------------------------------------------------------


def test_default_periods_are_the_usual_aged_balance():
    assert aging.periods() == [
        ("not_due", None, 0),
        ("period_1", 1, 30),
        ("period_2", 31, 60),
        ("period_3", 61, 90),
        ("period_4", 91, 120),
        ("older", 121, None),
    ]


def test_periods_of_any_length_and_count_leave_no_gap():
    for days in (1, 7, 15, 30, 45, 366):
        for count in range(1, 6):
            columns = aging.periods(days, count)
            assert len(columns) == count + 2
            assert columns[-1][1] == days * count + 1
            for (_key, _low, high), (_next, low, _high) in zip(columns, columns[1:], strict=False):
                assert low == high + 1


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        (-5, "not_due"),
        (0, "not_due"),
        (1, "period_1"),
        (7, "period_1"),
        (8, "period_2"),
        (14, "period_2"),
        (15, "older"),
        (10_000, "older"),
    ],
)
def test_period_for_with_two_weeks(days, expected):
    assert aging.period_for(days, aging.periods(7, 2)) == expected


@pytest.mark.parametrize("bad", [0, -1, 367, 2.5, "30", None, True])
def test_periods_refuse_a_bad_length(bad):
    with pytest.raises(ValueError):
        aging.periods(bad, 4)


@pytest.mark.parametrize("bad", [0, 6, 1.0, "4", None, False])
def test_periods_refuse_a_bad_count(bad):
    with pytest.raises(ValueError):
        aging.periods(30, bad)
