"""rules.kpis: DSO (simple, countback, best possible), ADD, CEI, shares, days to pay, bad debts."""

import math
import random
from datetime import date, datetime, timedelta

import pytest

from rules import kpis

NOT_NUMBERS = ["100", True, False, float("nan"), float("inf"), -float("inf"), [1.0], object()]


# ---------------------------------------------------------------------------
# dso_simple
# ---------------------------------------------------------------------------


def test_dso_simple_worked_example():
    # receivable 150,000; credit sales of the quarter 450,000 over 90 days:
    # 150,000 / 450,000 = 1/3 of the quarter's sales -> 1/3 × 90 = 30 days.
    assert kpis.dso_simple(150_000, 450_000, 90) == pytest.approx(30.0)


def test_dso_simple_second_example():
    # receivable 42,000; sales of a 31-day month 93,000: 42/93 × 31 = 14 days.
    assert kpis.dso_simple(42_000.0, 93_000.0, 31) == pytest.approx(14.0)


def test_dso_simple_returns_a_float():
    result = kpis.dso_simple(10, 20, 30)
    assert isinstance(result, float)
    assert result == pytest.approx(15.0)


@pytest.mark.parametrize(
    ("receivable", "sales", "days"),
    [
        (100.0, 0.0, 30),  # no sales, something owed: undefined
        (100.0, 0, 30),
        (None, 100.0, 30),
        (100.0, None, 30),
        (100.0, 100.0, None),
    ],
)
def test_dso_simple_undefined_is_none(receivable, sales, days):
    assert kpis.dso_simple(receivable, sales, days) is None


@pytest.mark.parametrize("receivable", [0, 0.0, -1.0, -50_000.0])
def test_dso_simple_nothing_outstanding_is_zero(receivable):
    # Zero or a net credit: nothing is outstanding, whatever the sales (even none).
    assert kpis.dso_simple(receivable, 1_000.0, 30) == 0.0
    assert kpis.dso_simple(receivable, 0.0, 30) == 0.0


@pytest.mark.parametrize(
    ("receivable", "sales", "days"),
    [
        (100.0, -1.0, 30),  # negative sales
        (100.0, 100.0, 0),  # a period of 0 days
        (100.0, 100.0, -30),  # negative days
    ],
)
def test_dso_simple_rejects_nonsense(receivable, sales, days):
    with pytest.raises(ValueError):
        kpis.dso_simple(receivable, sales, days)


@pytest.mark.parametrize("bad", NOT_NUMBERS)
def test_dso_simple_rejects_non_numbers(bad):
    for args in ((bad, 100.0, 30), (100.0, bad, 30), (100.0, 100.0, bad)):
        with pytest.raises(ValueError):
            kpis.dso_simple(*args)


# ---------------------------------------------------------------------------
# dso_countback
# ---------------------------------------------------------------------------

# The last three months, most recent first: (days, credit sales).
THREE_MONTHS = [(30, 60_000.0), (31, 70_000.0), (31, 80_000.0)]


def test_dso_countback_worked_example():
    # receivable 150,000: 60,000 -> 30 days (90,000 left), 70,000 -> 31 days
    # (20,000 left), 20,000 / 80,000 × 31 = 7.75 -> 30 + 31 + 7.75 = 68.75 days.
    assert kpis.dso_countback(150_000.0, THREE_MONTHS) == pytest.approx(68.75)


def test_dso_countback_within_the_latest_month():
    # receivable 15,000 < 60,000: 15,000 / 60,000 × 30 = 7.5 days.
    assert kpis.dso_countback(15_000.0, THREE_MONTHS) == pytest.approx(7.5)


def test_dso_countback_runs_out_exactly_at_a_month_end():
    # receivable 130,000 = 60,000 + 70,000: the two latest months whole, 30 + 31 = 61 days.
    assert kpis.dso_countback(130_000.0, THREE_MONTHS) == pytest.approx(61.0)


def test_dso_countback_receivable_outlasts_the_months_is_a_lower_bound():
    # receivable 250,000 > 60,000 + 70,000 + 80,000 = 210,000: all 30 + 31 + 31 = 92 days.
    assert kpis.dso_countback(250_000.0, THREE_MONTHS) == pytest.approx(92.0)
    # However much larger: still the total of the days given.
    assert kpis.dso_countback(10_000_000.0, THREE_MONTHS) == pytest.approx(92.0)


def test_dso_countback_skips_months_without_sales():
    # receivable 50,000; months (31, 0), (30, 40,000), (31, 20,000):
    # 31 days (nothing used up), 40,000 -> 30 days (10,000 left),
    # 10,000 / 20,000 × 31 = 15.5 -> 31 + 30 + 15.5 = 76.5 days.
    months = [(31, 0.0), (30, 40_000.0), (31, 20_000.0)]
    assert kpis.dso_countback(50_000.0, months) == pytest.approx(76.5)


def test_dso_countback_only_months_without_sales():
    # Nothing sold in 31 + 30 days, 1,000 owed: the whole 61 days (lower bound).
    assert kpis.dso_countback(1_000.0, [(31, 0.0), (30, 0)]) == pytest.approx(61.0)


@pytest.mark.parametrize("receivable", [0, 0.0, -1.0, -99_999.0])
def test_dso_countback_nothing_outstanding_is_zero(receivable):
    assert kpis.dso_countback(receivable, THREE_MONTHS) == 0.0
    assert kpis.dso_countback(receivable, []) == 0.0


def test_dso_countback_no_months_is_none():
    assert kpis.dso_countback(1_000.0, []) is None
    assert kpis.dso_countback(1_000.0, iter(())) is None


def test_dso_countback_missing_figures_are_none():
    assert kpis.dso_countback(None, THREE_MONTHS) is None
    assert kpis.dso_countback(1_000.0, None) is None


def test_dso_countback_accepts_any_iterable_of_pairs():
    # A generator of lists, consumed once: same 68.75 days as the worked example.
    months = ([days, sales] for days, sales in THREE_MONTHS)
    assert kpis.dso_countback(150_000.0, months) == pytest.approx(68.75)


@pytest.mark.parametrize(
    "months",
    [
        [(30, -1.0)],  # negative sales
        [(30, 100.0), (31, -1.0)],  # negative sales in an older month, even if never reached
        [(0, 100.0)],  # a month of 0 days
        [(-30, 100.0)],  # negative days
        [(30, 100.0, 5)],  # not a pair
        [30],
        [None],
        [("30", 100.0)],
        [(30, "100")],
        [(30, float("nan"))],
    ],
)
def test_dso_countback_rejects_nonsense(months):
    with pytest.raises(ValueError):
        kpis.dso_countback(50.0, months)


@pytest.mark.parametrize("bad", NOT_NUMBERS)
def test_dso_countback_rejects_non_number_receivable(bad):
    with pytest.raises(ValueError):
        kpis.dso_countback(bad, THREE_MONTHS)


def test_dso_countback_constant_sales_equals_simple_ratio_property():
    """Equal months with equal sales: countback and the simple ratio over those months agree."""
    rng = random.Random(20240930)
    for _ in range(300):
        count = rng.randint(1, 12)
        days = rng.choice([28, 30, 31])
        sales = rng.uniform(1.0, 1e6)
        receivable = rng.uniform(0.01, count * sales)  # runs out within the months
        months = [(days, sales)] * count
        expected = kpis.dso_simple(receivable, count * sales, count * days)
        assert kpis.dso_countback(receivable, months) == pytest.approx(expected, rel=1e-9)
        # And both equal receivable / sales of one month × days of one month.
        assert expected == pytest.approx(receivable / sales * days, rel=1e-9)


def test_dso_countback_is_monotonic_and_bounded_property():
    """More receivable never gives fewer days; never more than the days of all the months."""
    rng = random.Random(7)
    for _ in range(100):
        months = [(rng.choice([28, 29, 30, 31]), rng.choice([0.0, rng.uniform(0, 5e4)])) for _ in range(6)]
        total_days = sum(days for days, _sales in months)
        previous = 0.0
        for receivable in sorted(rng.uniform(0, 4e5) for _ in range(20)):
            result = kpis.dso_countback(receivable, months)
            assert 0.0 <= result <= total_days + 1e-9
            assert result >= previous - 1e-9
            previous = result


# ---------------------------------------------------------------------------
# best_possible_dso and average_days_delinquent
# ---------------------------------------------------------------------------


def test_best_possible_dso_worked_example():
    # not-yet-due receivable 90,000; quarter sales 450,000 over 90 days:
    # 90,000 / 450,000 × 90 = 0.2 × 90 = 18 days.
    assert kpis.best_possible_dso(90_000.0, 450_000.0, 90) == pytest.approx(18.0)


def test_best_possible_dso_edges():
    assert kpis.best_possible_dso(90_000.0, 0.0, 90) is None
    assert kpis.best_possible_dso(None, 450_000.0, 90) is None
    assert kpis.best_possible_dso(0.0, 450_000.0, 90) == 0.0
    assert kpis.best_possible_dso(-10.0, 0.0, 90) == 0.0
    for args in ((90_000.0, -1.0, 90), (90_000.0, 450_000.0, 0), (90_000.0, 450_000.0, -1)):
        with pytest.raises(ValueError):
            kpis.best_possible_dso(*args)


def test_average_days_delinquent_worked_example():
    # DSO 30 days (150,000 of 450,000 over 90 days), best possible 18 days
    # (90,000 not yet due): 30 - 18 = 12 days delinquent.
    dso = kpis.dso_simple(150_000.0, 450_000.0, 90)
    best = kpis.best_possible_dso(90_000.0, 450_000.0, 90)
    assert kpis.average_days_delinquent(dso, best) == pytest.approx(12.0)
    assert kpis.average_days_delinquent(68.75, 20.5) == pytest.approx(48.25)


def test_average_days_delinquent_all_current_is_zero():
    # Everything owed is not yet due: DSO and best possible DSO are the same.
    dso = kpis.dso_simple(90_000.0, 450_000.0, 90)
    best = kpis.best_possible_dso(90_000.0, 450_000.0, 90)
    assert kpis.average_days_delinquent(dso, best) == pytest.approx(0.0)


def test_average_days_delinquent_none_propagates():
    assert kpis.average_days_delinquent(None, 18.0) is None
    assert kpis.average_days_delinquent(30.0, None) is None
    assert kpis.average_days_delinquent(None, None) is None
    # A DSO that is undefined (no sales) gives no ADD either.
    dso = kpis.dso_simple(1_000.0, 0.0, 30)
    assert kpis.average_days_delinquent(dso, 0.0) is None


@pytest.mark.parametrize(("dso", "best"), [(-1.0, 0.0), (10.0, -1.0), ("10", 1.0), (10.0, float("nan"))])
def test_average_days_delinquent_rejects_nonsense(dso, best):
    with pytest.raises(ValueError):
        kpis.average_days_delinquent(dso, best)


# ---------------------------------------------------------------------------
# collection_effectiveness_index
# ---------------------------------------------------------------------------


def test_cei_worked_example():
    # opening 200,000; credit sales 300,000; closing 180,000 of which 120,000 not yet due.
    # collected   = 200,000 + 300,000 - 180,000 = 320,000
    # collectible = 200,000 + 300,000 - 120,000 = 380,000
    # CEI = 320,000 / 380,000 × 100 = 84.2105263...%
    result = kpis.collection_effectiveness_index(200_000.0, 300_000.0, 180_000.0, 120_000.0)
    assert result == pytest.approx(84.2105263158, abs=1e-9)


def test_cei_second_example():
    # opening 50,000; sales 150,000; closing 80,000, current 40,000:
    # (200,000 - 80,000) / (200,000 - 40,000) = 120,000 / 160,000 = 75%.
    assert kpis.collection_effectiveness_index(50_000, 150_000, 80_000, 40_000) == pytest.approx(75.0)


def test_cei_nothing_collected_is_zero():
    # closing = opening + sales: nothing came in. 0 / (200,000 - 50,000) = 0%.
    assert kpis.collection_effectiveness_index(100_000, 100_000, 200_000, 50_000) == pytest.approx(0.0)


def test_cei_is_100_when_everything_collectible_was_collected_property():
    """Whatever is left at the end is not yet due (closing = closing current): 100%."""
    rng = random.Random(100)
    for _ in range(300):
        opening = rng.uniform(0, 1e6)
        sales = rng.uniform(0, 1e6)
        closing = rng.uniform(0, opening + sales - 1.0) if opening + sales > 1.0 else 0.0
        if opening + sales - closing <= 0:
            continue
        result = kpis.collection_effectiveness_index(opening, sales, closing, closing)
        assert result == pytest.approx(100.0, rel=1e-9)


def test_cei_between_0_and_100_for_consistent_figures_property():
    """Current within closing, closing within opening + sales: the index is a percentage."""
    rng = random.Random(2024)
    for _ in range(300):
        opening = rng.uniform(0, 1e6)
        sales = rng.uniform(1, 1e6)
        closing = rng.uniform(0, opening + sales)
        current = rng.uniform(0, closing)
        result = kpis.collection_effectiveness_index(opening, sales, closing, current)
        assert -1e-9 <= result <= 100.0 + 1e-9


@pytest.mark.parametrize(
    "figures",
    [
        (0.0, 100.0, 100.0, 100.0),  # everything owed is still current: nothing collectible
        (0.0, 0.0, 0.0, 0.0),  # no activity at all
        (10.0, 0.0, 50.0, 40.0),  # more current than could have arisen: collectible < 0
        (None, 100.0, 50.0, 10.0),
        (100.0, None, 50.0, 10.0),
        (100.0, 100.0, None, 10.0),
        (100.0, 100.0, 50.0, None),
    ],
)
def test_cei_undefined_is_none(figures):
    assert kpis.collection_effectiveness_index(*figures) is None


def test_cei_rejects_nonsense():
    with pytest.raises(ValueError):
        kpis.collection_effectiveness_index(100.0, -1.0, 50.0, 10.0)
    for position in range(4):
        figures = [100.0, 100.0, 50.0, 10.0]
        figures[position] = "100"
        with pytest.raises(ValueError):
            kpis.collection_effectiveness_index(*figures)


# ---------------------------------------------------------------------------
# share
# ---------------------------------------------------------------------------


def test_share_worked_examples():
    # 25,000 over 90 days of 200,000 receivable: 25/200 = 12.5%.
    assert kpis.share(25_000.0, 200_000.0) == pytest.approx(12.5)
    # 150,000 current of 200,000: 75%.
    assert kpis.share(150_000, 200_000) == pytest.approx(75.0)
    assert kpis.share(0.0, 200_000.0) == 0.0
    assert kpis.share(200_000.0, 200_000.0) == pytest.approx(100.0)


def test_share_is_not_clamped():
    # Open credits can make a bucket larger than the total, or a part negative.
    assert kpis.share(150.0, 100.0) == pytest.approx(150.0)
    assert kpis.share(-10.0, 100.0) == pytest.approx(-10.0)


@pytest.mark.parametrize(
    ("part", "total"), [(10.0, 0.0), (0.0, 0), (10.0, -100.0), (None, 100.0), (1.0, None)]
)
def test_share_undefined_is_none(part, total):
    assert kpis.share(part, total) is None


@pytest.mark.parametrize("bad", NOT_NUMBERS)
def test_share_rejects_non_numbers(bad):
    with pytest.raises(ValueError):
        kpis.share(bad, 100.0)
    with pytest.raises(ValueError):
        kpis.share(10.0, bad)


def test_shares_of_the_parts_add_up_to_100_property():
    rng = random.Random(90)
    for _ in range(200):
        parts = [rng.uniform(0, 1e5) for _ in range(rng.randint(1, 6))]
        total = sum(parts)
        if total <= 0:
            continue
        assert sum(kpis.share(part, total) for part in parts) == pytest.approx(100.0, rel=1e-9)


# ---------------------------------------------------------------------------
# average_days_to_pay and average_days_beyond_terms
# ---------------------------------------------------------------------------

# Three paid invoices (2024 is a leap year):
#   A: invoiced 01-01, due 01-31, paid 02-10, 1,000: 40 days to pay, 10 beyond terms
#   B: invoiced 02-01, due 03-02, paid 02-21, 3,000: 20 days to pay, paid 10 days early -> 0
#   C: invoiced 03-01, due 03-31, paid 05-15, 1,000: 31 + 30 + 14 = 75 days to pay,
#      1 + 30 + 14 = 45 beyond terms
PAYMENTS = [
    (date(2024, 1, 1), date(2024, 1, 31), date(2024, 2, 10), 1_000.0),
    (date(2024, 2, 1), date(2024, 3, 2), date(2024, 2, 21), 3_000.0),
    (date(2024, 3, 1), date(2024, 3, 31), date(2024, 5, 15), 1_000.0),
]


def test_average_days_to_pay_worked_example():
    # (1,000 × 40 + 3,000 × 20 + 1,000 × 75) / 5,000 = 175,000 / 5,000 = 35 days.
    assert kpis.average_days_to_pay(PAYMENTS) == pytest.approx(35.0)


def test_average_days_beyond_terms_worked_example():
    # (1,000 × 10 + 3,000 × 0 + 1,000 × 45) / 5,000 = 55,000 / 5,000 = 11 days.
    # Without the floor at 0, B would count -10 days and give 25,000 / 5,000 = 5 days.
    assert kpis.average_days_beyond_terms(PAYMENTS) == pytest.approx(11.0)


def test_average_days_single_payment():
    payment = [(date(2024, 6, 1), date(2024, 6, 30), date(2024, 7, 5), 250.0)]
    # June 1 -> July 5 = 29 + 5 = 34 days to pay; June 30 -> July 5 = 5 beyond terms.
    assert kpis.average_days_to_pay(payment) == pytest.approx(34.0)
    assert kpis.average_days_beyond_terms(payment) == pytest.approx(5.0)


def test_average_days_paid_on_the_due_date_is_zero_beyond_terms():
    payment = [(date(2024, 6, 1), date(2024, 6, 30), date(2024, 6, 30), 100.0)]
    assert kpis.average_days_beyond_terms(payment) == 0.0
    assert kpis.average_days_to_pay(payment) == pytest.approx(29.0)


def test_average_days_advance_payment_counts_zero_days():
    # Paid 5 days before the invoice date: 0 days to pay, 0 beyond terms (not -5).
    payment = [(date(2024, 6, 10), date(2024, 7, 10), date(2024, 6, 5), 100.0)]
    assert kpis.average_days_to_pay(payment) == 0.0
    assert kpis.average_days_beyond_terms(payment) == 0.0


def test_average_days_missing_due_date_is_due_on_the_invoice_date():
    # No due date: due 2024-06-01, paid 06-21 -> 20 days beyond terms.
    payment = [(date(2024, 6, 1), None, date(2024, 6, 21), 100.0)]
    assert kpis.average_days_beyond_terms(payment) == pytest.approx(20.0)
    assert kpis.average_days_to_pay(payment) == pytest.approx(20.0)


def test_average_days_datetimes_count_calendar_days():
    # 23:00 on June 1 to 01:00 on June 15: 14 calendar days (the timedelta is 13 days 2 hours).
    payment = [(datetime(2024, 6, 1, 23, 0), date(2024, 6, 10), datetime(2024, 6, 15, 1, 0), 100.0)]
    assert kpis.average_days_to_pay(payment) == pytest.approx(14.0)
    assert kpis.average_days_beyond_terms(payment) == pytest.approx(5.0)


def test_average_days_accept_a_generator():
    assert kpis.average_days_to_pay(iter(PAYMENTS)) == pytest.approx(35.0)
    assert kpis.average_days_beyond_terms(payment for payment in PAYMENTS) == pytest.approx(11.0)


@pytest.mark.parametrize("function", [kpis.average_days_to_pay, kpis.average_days_beyond_terms])
def test_average_days_no_payments_is_none(function):
    assert function([]) is None
    assert function(iter(())) is None
    assert function(None) is None


@pytest.mark.parametrize("function", [kpis.average_days_to_pay, kpis.average_days_beyond_terms])
@pytest.mark.parametrize(
    "payment",
    [
        (date(2024, 1, 1), date(2024, 1, 31), date(2024, 2, 10), 0.0),  # amount 0
        (date(2024, 1, 1), date(2024, 1, 31), date(2024, 2, 10), -100.0),  # negative amount
        (date(2024, 1, 1), date(2024, 1, 31), date(2024, 2, 10), "100"),
        (date(2024, 1, 1), date(2024, 1, 31), date(2024, 2, 10), float("nan")),
        ("2024-01-01", date(2024, 1, 31), date(2024, 2, 10), 100.0),  # a text is not a date
        (None, date(2024, 1, 31), date(2024, 2, 10), 100.0),  # no invoice date
        (date(2024, 1, 1), date(2024, 1, 31), None, 100.0),  # not paid
        (date(2024, 1, 1), "2024-01-31", date(2024, 2, 10), 100.0),
        (date(2024, 1, 1), date(2024, 1, 31), date(2024, 2, 10)),  # three items
        None,
    ],
)
def test_average_days_reject_nonsense(function, payment):
    with pytest.raises(ValueError):
        function([PAYMENTS[0], payment])


def test_average_days_properties():
    """Equal amounts give the plain mean; scaling all amounts changes nothing; beyond terms <= to pay."""
    rng = random.Random(31)
    start = date(2023, 1, 1)
    for _ in range(200):
        payments = []
        for _ in range(rng.randint(1, 8)):
            invoiced = start + timedelta(days=rng.randint(0, 365))
            due = invoiced + timedelta(days=rng.choice([0, 15, 30, 45, 60]))
            paid = invoiced + timedelta(days=rng.randint(0, 150))
            payments.append((invoiced, due, paid, rng.uniform(1, 1e4)))
        to_pay = kpis.average_days_to_pay(payments)
        beyond = kpis.average_days_beyond_terms(payments)
        assert 0.0 <= beyond <= to_pay + 1e-9
        scaled = [(i, d, p, amount * 7.5) for i, d, p, amount in payments]
        assert kpis.average_days_to_pay(scaled) == pytest.approx(to_pay, rel=1e-9)
        assert kpis.average_days_beyond_terms(scaled) == pytest.approx(beyond, rel=1e-9)
        equal = [(i, d, p, 100.0) for i, d, p, _amount in payments]
        mean = sum((p - i).days for i, _d, p, _amount in payments) / len(payments)
        assert kpis.average_days_to_pay(equal) == pytest.approx(mean, rel=1e-9)


# ---------------------------------------------------------------------------
# bad_debt_ratio
# ---------------------------------------------------------------------------


def test_bad_debt_ratio_worked_example():
    # 6,000 written off of 400,000 credit sales: 6/400 = 0.015 -> 1.5%.
    assert kpis.bad_debt_ratio(6_000.0, 400_000.0) == pytest.approx(1.5)
    assert kpis.bad_debt_ratio(0.0, 400_000.0) == 0.0


def test_bad_debt_ratio_edges():
    assert kpis.bad_debt_ratio(6_000.0, 0.0) is None
    assert kpis.bad_debt_ratio(0.0, 0) is None
    assert kpis.bad_debt_ratio(None, 400_000.0) is None
    assert kpis.bad_debt_ratio(6_000.0, None) is None
    for args in ((-1.0, 400_000.0), (6_000.0, -400_000.0), ("6000", 400_000.0), (6_000.0, math.inf)):
        with pytest.raises(ValueError):
            kpis.bad_debt_ratio(*args)


# ---------------------------------------------------------------------------
# months_back
# ---------------------------------------------------------------------------


def test_months_back_worked_example():
    # Four months up to March 2024, most recent first; February 2024 has 29 days.
    assert kpis.months_back(2024, 3, 4) == [
        (date(2024, 3, 1), date(2024, 3, 31)),
        (date(2024, 2, 1), date(2024, 2, 29)),
        (date(2024, 1, 1), date(2024, 1, 31)),
        (date(2023, 12, 1), date(2023, 12, 31)),
    ]


def test_months_back_one_month_and_none():
    assert kpis.months_back(2023, 2, 1) == [(date(2023, 2, 1), date(2023, 2, 28))]
    assert kpis.months_back(2023, 2, 0) == []


def test_months_back_feeds_the_countback():
    # September, August, July 2024 have 30, 31 and 31 days: the countback worked example.
    months = kpis.months_back(2024, 9, 3)
    days = [(last - first).days + 1 for first, last in months]
    assert days == [30, 31, 31]
    sales = [60_000.0, 70_000.0, 80_000.0]
    assert kpis.dso_countback(150_000.0, list(zip(days, sales, strict=True))) == pytest.approx(68.75)


@pytest.mark.parametrize(
    ("year", "month", "count"),
    [
        (2024, 0, 1),
        (2024, 13, 1),
        (2024, 6, -1),
        (2024, 6, 1.0),
        (2024, 6, True),
        ("2024", 6, 1),
        (2024, None, 1),
        (1, 2, 3),  # would go before year 1
        (10000, 1, 1),
    ],
)
def test_months_back_rejects_nonsense(year, month, count):
    with pytest.raises(ValueError):
        kpis.months_back(year, month, count)


def test_months_back_reaches_year_1():
    assert kpis.months_back(1, 2, 2) == [(date(1, 2, 1), date(1, 2, 28)), (date(1, 1, 1), date(1, 1, 31))]


def test_months_back_are_contiguous_whole_months_property():
    rng = random.Random(12)
    for _ in range(200):
        year, month, count = rng.randint(1900, 2100), rng.randint(1, 12), rng.randint(1, 40)
        months = kpis.months_back(year, month, count)
        assert len(months) == count
        assert (months[0][0].year, months[0][0].month) == (year, month)
        for first, last in months:
            assert first.day == 1
            assert (first.year, first.month) == (last.year, last.month)
            assert (last + timedelta(days=1)).day == 1  # last is the month's last day
        for newer, older in zip(months, months[1:], strict=False):
            assert older[1] + timedelta(days=1) == newer[0]
