"""rules.exposure: what a customer owes and will owe, under the company policy."""

import dataclasses
import itertools
import random

import pytest

from rules.exposure import (
    ExposureParts,
    ExposurePolicy,
    available_credit,
    days_sales_outstanding,
    draft_part,
    orders_part,
    total_exposure,
)

PARTS = ExposureParts(receivable=1000.0, draft_invoices=200.0, draft_from_orders=50.0, orders=300.0)
POLICIES = [
    ExposurePolicy(include_draft_invoices=draft, include_orders=orders)
    for draft, orders in itertools.product((True, False), repeat=2)
]


# ---------------------------------------------------------------------------
# The data classes
# ---------------------------------------------------------------------------


def test_parts_default_to_zero():
    parts = ExposureParts()
    assert (parts.receivable, parts.draft_invoices, parts.draft_from_orders, parts.orders) == (
        0.0,
        0.0,
        0.0,
        0.0,
    )
    assert total_exposure(parts, ExposurePolicy()) == 0.0


def test_policy_defaults_count_everything():
    policy = ExposurePolicy()
    assert policy.include_draft_invoices is True
    assert policy.include_orders is True


@pytest.mark.parametrize("obj", [PARTS, ExposurePolicy()])
def test_dataclasses_are_frozen(obj):
    field_name = dataclasses.fields(obj)[0].name
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(obj, field_name, 1)


def test_dataclasses_are_hashable_and_compare_by_value():
    assert ExposureParts(receivable=1.0) == ExposureParts(receivable=1.0)
    assert hash(ExposurePolicy()) == hash(ExposurePolicy(True, True))


# ---------------------------------------------------------------------------
# Policy combinations
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("include_draft", "include_orders", "expected_draft", "expected_orders", "expected_total"),
    [
        # drafts on, orders on: draft lines from orders are inside the orders figure
        (True, True, 200.0, 300.0, 1500.0),
        # drafts on, orders off: draft lines from orders count with the drafts
        (True, False, 250.0, 0.0, 1250.0),
        # drafts off, orders on: only the orders
        (False, True, 0.0, 300.0, 1300.0),
        # drafts off, orders off: receivables only
        (False, False, 0.0, 0.0, 1000.0),
    ],
)
def test_policy_combinations(include_draft, include_orders, expected_draft, expected_orders, expected_total):
    policy = ExposurePolicy(include_draft_invoices=include_draft, include_orders=include_orders)
    assert draft_part(PARTS, policy) == pytest.approx(expected_draft)
    assert orders_part(PARTS, policy) == pytest.approx(expected_orders)
    assert total_exposure(PARTS, policy) == pytest.approx(expected_total)


@pytest.mark.parametrize(
    "policy", POLICIES, ids=lambda p: f"draft={p.include_draft_invoices}-orders={p.include_orders}"
)
def test_draft_from_orders_counted_at_most_once(policy):
    """Adding X of draft lines that come from an order raises exposure by X only when
    the drafts count and the orders do not (otherwise the order already holds them,
    or neither counts)."""
    base = ExposureParts(receivable=10.0, draft_invoices=20.0, draft_from_orders=0.0, orders=40.0)
    extra = 123.45
    with_lines = dataclasses.replace(base, draft_from_orders=extra)
    delta = total_exposure(with_lines, policy) - total_exposure(base, policy)
    counted_separately = policy.include_draft_invoices and not policy.include_orders
    assert delta == pytest.approx(extra if counted_separately else 0.0)


@pytest.mark.parametrize("policy", POLICIES)
def test_receivables_always_count(policy):
    base = ExposureParts(draft_invoices=20.0, draft_from_orders=5.0, orders=40.0)
    more = dataclasses.replace(base, receivable=1000.0)
    assert total_exposure(more, policy) - total_exposure(base, policy) == pytest.approx(1000.0)


@pytest.mark.parametrize("policy", POLICIES)
def test_negative_receivable_reduces_exposure(policy):
    """Unreconciled payments and credit notes net the receivable below zero."""
    parts = ExposureParts(receivable=-500.0)
    assert total_exposure(parts, policy) == pytest.approx(-500.0)


def test_parts_excluded_by_policy_are_ignored_entirely():
    huge = ExposureParts(receivable=1.0, draft_invoices=1e9, draft_from_orders=1e9, orders=1e9)
    assert total_exposure(huge, ExposurePolicy(False, False)) == 1.0


def test_total_is_the_sum_of_its_parts_property():
    rng = random.Random(7)
    for _ in range(300):
        parts = ExposureParts(
            receivable=round(rng.uniform(-1e4, 1e5), 2),
            draft_invoices=round(rng.uniform(0, 1e4), 2),
            draft_from_orders=round(rng.uniform(0, 1e4), 2),
            orders=round(rng.uniform(0, 1e5), 2),
        )
        for policy in POLICIES:
            total = total_exposure(parts, policy)
            assert total == pytest.approx(
                parts.receivable + draft_part(parts, policy) + orders_part(parts, policy)
            )
            # Counting more never lowers exposure (parts other than receivable are >= 0).
            assert total_exposure(parts, ExposurePolicy(True, True)) >= total_exposure(
                parts, ExposurePolicy(False, False)
            )
            assert draft_part(parts, policy) >= 0.0
            assert orders_part(parts, policy) >= 0.0


# ---------------------------------------------------------------------------
# available_credit
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("limit", "exposure", "expected"),
    [
        (0, 500.0, None),  # no limit
        (0.0, 0.0, None),
        (None, 500.0, None),
        (1000.0, 0.0, 1000.0),
        (1000.0, 300.0, 700.0),
        (1000.0, 1000.0, 0.0),
        (1000.0, 1250.5, -250.5),  # over the limit: negative
        (1000.0, -200.0, 1200.0),  # customer in credit
    ],
)
def test_available_credit(limit, exposure, expected):
    result = available_credit(limit, exposure)
    if expected is None:
        assert result is None
    else:
        assert result == pytest.approx(expected)


# ---------------------------------------------------------------------------
# days_sales_outstanding
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("receivable", "invoiced", "days", "expected"),
    [
        (500.0, 1000.0, 90, 45.0),
        (1000.0, 1000.0, 30, 30.0),  # nothing paid: DSO is the whole period
        (0.0, 1000.0, 365, 0.0),  # everything paid
        (250.0, 1000.0, 1, 0.25),
        (500.0, 0.0, 90, 0.0),  # nothing invoiced yet
        (500.0, -100.0, 90, 0.0),  # only credit notes
        (500.0, 1000.0, 0, 0.0),  # first invoice today
        (500.0, 1000.0, -5, 0.0),  # first invoice in the future (bad data)
        (0.0, 0.0, 0, 0.0),
    ],
)
def test_days_sales_outstanding(receivable, invoiced, days, expected):
    result = days_sales_outstanding(receivable, invoiced, days)
    assert result == pytest.approx(expected)
    assert isinstance(result, float)


def test_days_sales_outstanding_never_divides_by_zero():
    for invoiced in (0, 0.0, -0.0, -1):
        assert days_sales_outstanding(123.0, invoiced, 30) == 0.0


def test_days_sales_outstanding_scales_linearly():
    base = days_sales_outstanding(300.0, 1200.0, 60)
    assert days_sales_outstanding(600.0, 1200.0, 60) == pytest.approx(2 * base)
    assert days_sales_outstanding(300.0, 1200.0, 120) == pytest.approx(2 * base)
    assert days_sales_outstanding(300.0, 2400.0, 60) == pytest.approx(base / 2)
