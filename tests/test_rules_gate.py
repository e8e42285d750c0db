"""rules.gate: may this sale order be confirmed, and if not, why."""

import dataclasses
import itertools
import random

import pytest

from rules.gate import (
    MODE_BLOCK,
    MODE_OFF,
    MODE_WARN,
    MODES,
    REASON_HOLD,
    REASON_LIMIT,
    REASON_OVERDUE,
    GateDecision,
    GateInput,
    Reason,
    approval_covers,
    check_input,
    decide,
    find_reasons,
)

# A customer with room: limit 1000, exposure 600, order 100, nothing overdue.
CLEAN = GateInput(mode=MODE_BLOCK, credit_limit=1000.0, exposure=600.0, order_amount=100.0)
ON_HOLD = {"on_hold": True}
OVER_LIMIT = {"order_amount": 500.0}  # 600 + 500 = 1100 > 1000
OVERDUE = {"oldest_overdue_days": 61}  # threshold 60


def make(**changes):
    return dataclasses.replace(CLEAN, **changes)


# ---------------------------------------------------------------------------
# An order with nothing against it
# ---------------------------------------------------------------------------


def test_default_input_passes():
    decision = decide(GateInput())
    assert decision.passes
    assert decision.reasons == ()
    assert decision.remaining is None


# ---------------------------------------------------------------------------
# Invalid input
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"mode": "strict"}, "unknown gate mode"),
        ({"mode": ""}, "unknown gate mode"),
        ({"mode": None}, "unknown gate mode"),
        ({"mode": "BLOCK"}, "unknown gate mode"),  # modes are case-sensitive
        ({"credit_limit": -0.01}, "credit limit cannot be negative"),
        ({"credit_limit": -1000.0}, "credit limit cannot be negative"),
        ({"overdue_threshold": -1}, "overdue threshold cannot be negative"),
    ],
)
@pytest.mark.parametrize("func", [check_input, decide], ids=["check_input", "decide"])
def test_invalid_input_raises_value_error(func, changes, message):
    with pytest.raises(ValueError, match=message):
        func(make(**changes))


@pytest.mark.parametrize(
    "changes", [{"mode": MODE_OFF, "credit_limit": -5.0}, {"mode": MODE_OFF, "overdue_threshold": -1}]
)
def test_invalid_input_raises_even_when_the_gate_is_off(changes):
    with pytest.raises(ValueError):
        decide(make(**changes))


@pytest.mark.parametrize("mode", MODES)
def test_valid_edge_values_are_accepted(mode):
    assert check_input(make(mode=mode, credit_limit=0.0, overdue_threshold=0)) is None


# ---------------------------------------------------------------------------
# Each reason alone, and combined
# ---------------------------------------------------------------------------


def test_clean_order_passes():
    decision = decide(CLEAN)
    assert decision.reasons == ()
    assert decision.blocking is False
    assert decision.approved is False
    assert decision.passes
    assert decision.exposure_after == pytest.approx(700.0)
    assert decision.remaining == pytest.approx(300.0)


def test_hold_alone():
    decision = decide(make(**ON_HOLD))
    assert decision.codes == (REASON_HOLD,)
    assert decision.reasons[0] == Reason(REASON_HOLD)
    assert decision.blocking is True
    assert not decision.passes


def test_hold_blocks_even_without_a_limit():
    decision = decide(make(credit_limit=0.0, on_hold=True))
    assert decision.codes == (REASON_HOLD,)
    assert decision.blocking


def test_over_limit_alone():
    decision = decide(make(**OVER_LIMIT))
    assert decision.codes == (REASON_LIMIT,)
    (reason,) = decision.reasons
    assert reason.excess == pytest.approx(100.0)
    assert reason.days == 0
    assert decision.blocking
    assert decision.exposure_after == pytest.approx(1100.0)
    assert decision.remaining == pytest.approx(-100.0)


def test_existing_exposure_already_over_limit():
    """Even a tiny order is refused when the customer is already over the limit."""
    decision = decide(make(exposure=1200.0, order_amount=1.0))
    assert decision.codes == (REASON_LIMIT,)
    assert decision.reasons[0].excess == pytest.approx(201.0)


def test_overdue_alone():
    decision = decide(make(**OVERDUE))
    assert decision.codes == (REASON_OVERDUE,)
    (reason,) = decision.reasons
    assert reason.days == 61
    assert reason.excess == 0.0
    assert decision.blocking


@pytest.mark.parametrize(
    ("days", "threshold", "blocked"),
    [
        (0, 60, False),
        (59, 60, False),
        (60, 60, False),  # exactly at the threshold: allowed
        (61, 60, True),  # one day more: overdue
        (1, 0, True),  # threshold 0: any overdue item blocks
        (0, 0, False),
        (365, 90, True),
    ],
)
def test_overdue_threshold_is_strict(days, threshold, blocked):
    decision = decide(make(oldest_overdue_days=days, overdue_threshold=threshold))
    assert (REASON_OVERDUE in decision.codes) is blocked
    assert decision.blocking is blocked


@pytest.mark.parametrize(
    ("hold", "limit", "overdue"),
    list(itertools.product((False, True), repeat=3)),
)
def test_every_combination_of_reasons(hold, limit, overdue):
    changes = {}
    if hold:
        changes.update(ON_HOLD)
    if limit:
        changes.update(OVER_LIMIT)
    if overdue:
        changes.update(OVERDUE)
    decision = decide(make(**changes))
    expected = tuple(
        code
        for code, present in ((REASON_HOLD, hold), (REASON_LIMIT, limit), (REASON_OVERDUE, overdue))
        if present
    )
    assert decision.codes == expected, "reasons are listed most serious first"
    assert decision.blocking is bool(expected)
    assert find_reasons(make(**changes)) == decision.reasons


def test_all_reasons_carry_their_figures():
    decision = decide(make(**ON_HOLD, **OVER_LIMIT, **OVERDUE))
    hold, limit, overdue = decision.reasons
    assert hold == Reason(REASON_HOLD)
    assert limit.code == REASON_LIMIT and limit.excess == pytest.approx(100.0)
    assert overdue == Reason(REASON_OVERDUE, days=61)


# ---------------------------------------------------------------------------
# Modes
# ---------------------------------------------------------------------------


def test_mode_off_ignores_every_reason():
    decision = decide(make(mode=MODE_OFF, **ON_HOLD, **OVER_LIMIT, **OVERDUE))
    assert decision.reasons == ()
    assert decision.blocking is False
    assert decision.approved is False
    assert decision.passes
    # The figures are still reported.
    assert decision.exposure_after == pytest.approx(1100.0)
    assert decision.remaining == pytest.approx(-100.0)


def test_mode_off_ignores_an_approval():
    decision = decide(make(mode=MODE_OFF, approved_amount=500.0, **OVER_LIMIT))
    assert decision.approved is False


def test_mode_warn_lists_reasons_but_does_not_block():
    decision = decide(make(mode=MODE_WARN, **ON_HOLD, **OVER_LIMIT, **OVERDUE))
    assert decision.codes == (REASON_HOLD, REASON_LIMIT, REASON_OVERDUE)
    assert decision.blocking is False
    assert decision.passes


def test_mode_block_blocks():
    decision = decide(make(mode=MODE_BLOCK, **OVER_LIMIT))
    assert decision.blocking is True


@pytest.mark.parametrize("mode", MODES)
def test_clean_order_passes_in_every_mode(mode):
    decision = decide(make(mode=mode))
    assert decision.passes
    assert decision.reasons == ()
    assert decision.approved is False


# ---------------------------------------------------------------------------
# Approvals
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("approved", "order", "covers"),
    [
        (None, 100.0, False),  # no approval
        (100.0, 100.0, True),  # approved for exactly this amount
        (150.0, 100.0, True),  # order shrank since the approval
        (100.0, 100.004, True),  # rounding noise below epsilon
        (100.0, 100.01, False),  # order grew by a cent: approval no longer covers
        (100.0, 250.0, False),  # order grew
        (0.0, 0.0, True),
        (0.0, 0.004, True),  # less than half a cent more: rounding noise, still covered
        (0.0, 0.01, False),
    ],
)
def test_approval_covers(approved, order, covers):
    assert approval_covers(approved, order) is covers


def test_covering_approval_lifts_every_reason():
    data = make(approved_amount=500.0, **ON_HOLD, **OVER_LIMIT, **OVERDUE)
    decision = decide(data)
    assert decision.approved is True
    assert decision.blocking is False
    assert decision.passes
    # The reasons are still reported, so the UI can say what was approved.
    assert decision.codes == (REASON_HOLD, REASON_LIMIT, REASON_OVERDUE)


def test_approval_does_not_cover_an_order_that_grew():
    decision = decide(make(approved_amount=499.0, **OVER_LIMIT))  # order is 500 now
    assert decision.approved is False
    assert decision.blocking is True
    assert decision.codes == (REASON_LIMIT,)


def test_approval_without_reasons_is_not_flagged():
    decision = decide(make(approved_amount=100.0))
    assert decision.reasons == ()
    assert decision.approved is False
    assert decision.passes


def test_approval_in_warn_mode():
    decision = decide(make(mode=MODE_WARN, approved_amount=500.0, **OVER_LIMIT))
    assert decision.approved is True
    assert decision.blocking is False


# ---------------------------------------------------------------------------
# Epsilon and the exact limit
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("order", "over"),
    [
        (399.99, False),
        (400.0, False),  # exactly at the limit
        (400.004, False),  # within epsilon
        (400.006, True),  # beyond epsilon
        (400.01, True),  # one cent over
    ],
)
def test_epsilon_at_the_exact_limit(order, over):
    decision = decide(make(order_amount=order))  # exposure 600, limit 1000
    assert (REASON_LIMIT in decision.codes) is over
    assert decision.blocking is over


def test_the_currency_rounding_is_the_money_tolerance():
    """Less than half a rounding unit over the limit is noise; a whole unit is a reason."""
    noise = GateInput(credit_limit=100.0, exposure=60.0, order_amount=40.004)
    assert REASON_LIMIT not in decide(noise).codes
    cent = GateInput(credit_limit=100.0, exposure=60.0, order_amount=40.01)
    assert REASON_LIMIT in decide(cent).codes
    # A currency rounded to whole units tolerates up to half a unit.
    yen = GateInput(credit_limit=100.0, exposure=60.0, order_amount=40.4, rounding=1.0)
    assert REASON_LIMIT not in decide(yen).codes
    assert (
        REASON_LIMIT
        in decide(GateInput(credit_limit=100.0, exposure=60.0, order_amount=41.0, rounding=1.0)).codes
    )


def test_a_rounding_that_is_not_positive_is_refused():
    with pytest.raises(ValueError):
        decide(GateInput(rounding=0.0))


def test_float_noise_does_not_block():
    """0.1 + 0.2 != 0.3 in binary floating point; the gate must not care."""
    data = GateInput(credit_limit=0.3, exposure=0.1, order_amount=0.2)
    assert data.exposure + data.order_amount > data.credit_limit  # the trap is real
    assert decide(data).passes


def test_no_limit_never_gives_over_limit():
    for exposure in (0.0, 1e6, 1e12):
        decision = decide(make(credit_limit=0.0, exposure=exposure, order_amount=1e6))
        assert REASON_LIMIT not in decision.codes
        assert decision.remaining is None


# ---------------------------------------------------------------------------
# Remaining credit
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("limit", "exposure", "order", "remaining"),
    [
        (1000.0, 600.0, 100.0, 300.0),
        (1000.0, 600.0, 400.0, 0.0),
        (1000.0, 600.0, 500.0, -100.0),
        (1000.0, -200.0, 100.0, 1100.0),  # customer in credit
        (0.0, 600.0, 100.0, None),  # no limit
    ],
)
@pytest.mark.parametrize("mode", MODES)
def test_remaining(mode, limit, exposure, order, remaining):
    decision = decide(GateInput(mode=mode, credit_limit=limit, exposure=exposure, order_amount=order))
    assert decision.exposure_after == pytest.approx(exposure + order)
    if remaining is None:
        assert decision.remaining is None
    else:
        assert decision.remaining == pytest.approx(remaining)


# ---------------------------------------------------------------------------
# Property-style check over many random inputs (no hypothesis dependency)
# ---------------------------------------------------------------------------


def _random_input(rng):
    limit = rng.choice([0.0, 0.0, round(rng.uniform(0, 10_000), 2)])
    return GateInput(
        mode=rng.choice(MODES),
        credit_limit=limit,
        exposure=round(rng.uniform(-1000, 12_000), 2),
        order_amount=round(rng.uniform(0, 5000), 2),
        on_hold=rng.random() < 0.2,
        oldest_overdue_days=rng.randint(0, 200),
        overdue_threshold=rng.randint(0, 120),
        approved_amount=rng.choice([None, round(rng.uniform(0, 5000), 2)]),
    )


def test_decide_invariants_property():
    rng = random.Random(20240615)
    order_of_codes = (REASON_HOLD, REASON_LIMIT, REASON_OVERDUE)
    for _ in range(2000):
        data = _random_input(rng)
        decision = decide(data)
        exposure_after = data.exposure + data.order_amount

        assert decision.exposure_after == pytest.approx(exposure_after)
        if data.credit_limit > 0:
            assert decision.remaining == pytest.approx(data.credit_limit - exposure_after)
        else:
            assert decision.remaining is None

        if data.mode == MODE_OFF:
            assert decision == GateDecision(
                exposure_after=decision.exposure_after, remaining=decision.remaining
            )
            continue

        assert decision.reasons == find_reasons(data)
        codes = decision.codes
        assert list(codes) == [code for code in order_of_codes if code in codes]
        assert (REASON_HOLD in codes) is data.on_hold
        assert (REASON_LIMIT in codes) is (
            data.credit_limit > 0 and round(exposure_after - data.credit_limit, 6) >= 0.005
        )
        assert (REASON_OVERDUE in codes) is (data.oldest_overdue_days > data.overdue_threshold)

        covered = approval_covers(data.approved_amount, data.order_amount)
        assert decision.approved is (bool(codes) and covered)
        assert decision.blocking is (data.mode == MODE_BLOCK and bool(codes) and not covered)
        assert decision.passes is (not decision.blocking)
        if data.mode == MODE_WARN:
            assert decision.passes


def test_decide_is_pure():
    """Same input, same answer; the input is not changed."""
    data = make(approved_amount=10.0, **ON_HOLD, **OVERDUE)
    snapshot = dataclasses.asdict(data)
    assert decide(data) == decide(data)
    assert dataclasses.asdict(data) == snapshot
