"""rules.dunning: which dunning level a customer is due for on a date.

The worked examples drive ``next_step`` day by day as the scheduled run
does: the caller stores each step's invoice levels and its date, marks the
customer handed over after a level that stops reminders, and calls again.
"""

import random
from dataclasses import replace
from datetime import date, timedelta

import pytest

from rules import dunning
from rules.dunning import (
    Item,
    Level,
    Step,
    check_levels,
    days_overdue,
    due_level,
    ladder_for,
    level_for,
    next_step,
)

D0 = date(2024, 1, 1)


def day(offset):
    """The date ``offset`` days after ``D0``."""
    return D0 + timedelta(days=offset)


COURTESY = Level(key=1, days=-7)
REMINDER = Level(key=2, days=15)
FIRM = Level(key=3, days=30)
FINAL = Level(key=4, days=45)
HAND_OVER = Level(key=5, days=60, stops_reminders=True)
LADDER = [COURTESY, REMINDER, FIRM, FINAL, HAND_OVER]


def ladder(**min_amounts):
    """The shipped ladder, with minimum amounts by level name (``firm=1000``)."""
    names = {"courtesy": COURTESY, "reminder": REMINDER, "firm": FIRM, "final": FINAL, "hand_over": HAND_OVER}
    unknown = set(min_amounts) - set(names)
    assert not unknown, unknown
    return [
        replace(level, min_amount=min_amounts.get(name, level.min_amount)) for name, level in names.items()
    ]


def apply(items, step):
    """The items after the caller stored the levels ``step`` gives them."""
    return [
        replace(item, level_days=step.items[item.key].days) if item.key in step.items else item
        for item in items
    ]


def simulate(levels, items, first, last, *, min_interval=0, events=None, last_step=None, handed_over=False):
    """Run the dunning every day from ``first`` to ``last`` (offsets from ``D0``) as the caller does.

    ``events``: ``{offset: function(items) -> items}`` applied in the morning
    of that day (a payment, a dispute, a promise, a new invoice). Returns the
    log ``[(offset, level days, {invoice key: level days}, amount)]`` and the
    items at the end. Every day with a step, calling again after storing it
    gives nothing while a minimum interval holds the customer back; without
    one, at most the next level of some of the same invoices (a catch-up).
    """
    events = events or {}
    items = list(items)
    log = []
    for offset in range(first, last + 1):
        today = day(offset)
        if offset in events:
            items = events[offset](items)
        options = {"last_step": last_step, "min_interval": min_interval, "handed_over": handed_over}
        step = next_step(levels, items, today, **options)
        if step is None:
            continue
        log.append(
            (offset, step.level.days, {key: level.days for key, level in step.items.items()}, step.amount)
        )
        items = apply(items, step)
        last_step = today
        handed_over = handed_over or step.level.stops_reminders
        options = {"last_step": last_step, "min_interval": min_interval, "handed_over": handed_over}
        again = next_step(levels, items, today, **options)
        if min_interval >= 1 or handed_over:
            assert again is None, (offset, items)
        elif again is not None:
            assert all(
                key in step.items and level.days > step.items[key].days for key, level in again.items.items()
            )
    return log, items


def steps_of(log):
    """The log without the amounts."""
    return [(offset, level_days, items) for offset, level_days, items, _amount in log]


def update(key, **changes):
    """An event changing invoice ``key``."""

    def event(items):
        found = [item for item in items if item.key == key]
        assert found, key
        return [replace(item, **changes) if item.key == key else item for item in items]

    return event


def remove(key):
    """An event: invoice ``key`` is paid in full (no longer passed to the rules)."""

    def event(items):
        assert any(item.key == key for item in items), key
        return [item for item in items if item.key != key]

    return event


def add(item):
    """An event: a new open invoice."""
    return lambda items: [*items, item]


# Three invoices of one customer: due on days 10, 20 and 40.
A = Item(key=101, due_date=day(10), residual=1000.0)
B = Item(key=102, due_date=day(20), residual=500.0)
C = Item(key=103, due_date=day(40), residual=200.0)


# ---------------------------------------------------------------------------
# days_overdue, level_for, due_level
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("due", "today", "expected"),
    [
        (day(10), day(10), 0),
        (day(10), day(3), -7),
        (day(10), day(25), 15),
        (date(2024, 2, 28), date(2024, 3, 1), 2),  # leap year
        (date(2023, 12, 31), date(2024, 1, 1), 1),
    ],
)
def test_days_overdue(due, today, expected):
    assert days_overdue(due, today) == expected


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        (-100, None),
        (-8, None),
        (-7, COURTESY),
        (0, COURTESY),
        (14, COURTESY),
        (15, REMINDER),
        (29, REMINDER),
        (30, FIRM),
        (44, FIRM),
        (45, FINAL),
        (59, FINAL),
        (60, HAND_OVER),
        (10_000, HAND_OVER),
    ],
)
def test_level_for_boundaries(days, expected):
    assert level_for(LADDER, days) == expected


def test_level_for_does_not_depend_on_the_order_of_the_levels():
    shuffled = [FINAL, COURTESY, HAND_OVER, REMINDER, FIRM]
    for days in range(-20, 100):
        assert level_for(shuffled, days) == level_for(LADDER, days), days


def test_level_for_without_levels():
    assert level_for([], 100) is None


@pytest.mark.parametrize(
    ("item", "today", "expected"),
    [
        (A, day(2), None),  # 8 days before the due date
        (A, day(3), COURTESY),
        (A, day(10), COURTESY),  # on the due date the courtesy reminder is still due
        (A, day(11), None),  # 1 day overdue, never reminded: the courtesy reminder is past
        (A, day(24), None),
        (A, day(25), REMINDER),
        (A, day(105), REMINDER),  # first seen 95 days overdue: the lowest level, not the hand-over
        (replace(A, level_days=-7), day(24), None),  # courtesy done, 14 days overdue
        (replace(A, level_days=-7), day(25), REMINDER),
        (replace(A, level_days=15), day(25), None),  # already at that level
        (replace(A, level_days=15), day(70), FIRM),  # the next level, not the highest one reached
        (replace(A, level_days=30), day(70), FINAL),
        (replace(A, level_days=45), day(70), HAND_OVER),
        (replace(A, level_days=60), day(500), None),  # no level above the last one
        (replace(A, level_days=20), day(39), None),  # a level the policy no longer has
        (replace(A, level_days=20), day(40), FIRM),
        (replace(A, disputed=True), day(50), None),
        (replace(A, level_days=15, paused_until=day(50)), day(50), None),  # until its date included
        (replace(A, level_days=15, paused_until=day(50)), day(51), FIRM),
        (replace(A, paused_until=day(1)), day(3), COURTESY),  # an old promise does nothing
    ],
)
def test_due_level(item, today, expected):
    assert due_level(LADDER, item, today) == expected


def test_due_level_does_not_depend_on_the_order_of_the_levels():
    shuffled = [FINAL, COURTESY, HAND_OVER, REMINDER, FIRM]
    for level_days in (None, -7, 15, 30, 45, 60):
        item = replace(A, level_days=level_days)
        for offset in range(0, 120):
            assert due_level(shuffled, item, day(offset)) == due_level(LADDER, item, day(offset))


def test_due_level_on_the_due_date_and_the_day_after():
    """A level at 0 days is sent on the due date; from the next day on it is past like the courtesy."""
    on_due_date = Level(key=7, days=0)
    levels = [COURTESY, on_due_date, REMINDER]
    assert due_level(levels, A, day(10)) == COURTESY  # one level at a time, from the lowest
    assert due_level(levels, replace(A, level_days=-7), day(10)) == on_due_date
    assert due_level(levels, replace(A, level_days=-7), day(11)) is None
    assert due_level(levels, A, day(11)) is None
    assert due_level(levels, replace(A, level_days=-7), day(25)) == REMINDER


def test_due_level_goes_up_one_level_at_a_time():
    """Each level once, in order, from an invoice first seen 95 days overdue."""
    item = A
    seen = []
    while (level := due_level(LADDER, item, day(105))) is not None:
        seen.append(level.days)
        item = replace(item, level_days=level.days)
    assert seen == [15, 30, 45, 60]


# ---------------------------------------------------------------------------
# ladder_for: the levels a customer goes through on a day
# ---------------------------------------------------------------------------


def test_ladder_without_minimums_is_the_whole_policy():
    assert ladder_for(LADDER, [], day(0)) == LADDER
    assert ladder_for(LADDER, [A], day(55)) == LADDER


def test_ladder_drops_a_level_below_its_minimum():
    owes_500 = replace(A, residual=500.0)
    levels = ladder(final=1000.0)
    assert ladder_for(levels, [owes_500], day(55)) == [level for level in levels if level.days != 45]
    assert ladder_for(levels, [owes_500, replace(B, residual=499.99)], day(65)) == [
        level for level in levels if level.days != 45
    ]
    assert ladder_for(levels, [owes_500, B], day(65)) == levels  # 500 + 500


def test_ladder_amount_counts_only_the_invoices_that_reached_the_level():
    # Day 55: A is 45 days overdue, C 15. Final notice: A alone; reminder: A and C.
    assert FINAL.days not in {level.days for level in ladder_for(ladder(final=1200.0), [A, C], day(55))}
    assert REMINDER.days in {level.days for level in ladder_for(ladder(reminder=1200.0), [A, C], day(55))}
    # The day before, C is 14 days overdue: the reminder is A's 1000 alone.
    assert REMINDER.days not in {level.days for level in ladder_for(ladder(reminder=1200.0), [A, C], day(54))}


def test_ladder_amount_counts_invoices_whatever_level_they_had():
    """An invoice past a level still counts in that level's amount (the amount owed at that age)."""
    levels = ladder(firm=1000.0)
    x = Item(key=1, due_date=day(0), residual=800.0, level_days=45)
    y = Item(key=2, due_date=day(20), residual=300.0, level_days=15)
    assert FIRM.days in {level.days for level in ladder_for(levels, [x, y], day(50))}
    firm = levels[2]
    assert next_step(levels, [x, y], day(50)) == Step(level=firm, items={2: firm}, amount=300.0)
    # y 29 days overdue: the firm letter's amount is x's 800 alone.
    assert next_step(levels, [x, replace(y, due_date=day(21))], day(50)) is None


@pytest.mark.parametrize(
    ("change", "kept"),
    [
        ({}, True),
        ({"disputed": True}, False),
        ({"paused_until": day(65)}, False),  # a running promise, its last day included
        ({"paused_until": day(64)}, True),  # a promise that ran out
    ],
)
def test_ladder_amount_leaves_out_disputes_and_promises(change, kept):
    # Day 65: A 55 days overdue, B 45: 1500 for the final notice, A's 1000 alone without B.
    levels = ladder(final=1200.0)
    ladder_days = {level.days for level in ladder_for(levels, [A, replace(B, **change)], day(65))}
    assert (FINAL.days in ladder_days) == kept


# ---------------------------------------------------------------------------
# check_levels and the options' errors
# ---------------------------------------------------------------------------


def test_check_levels_accepts_the_ladder():
    check_levels(LADDER)
    check_levels([])
    check_levels(ladder(courtesy=0.0, firm=1000.0, hand_over=5000.0))


def test_check_levels_refuses_two_levels_on_the_same_day():
    with pytest.raises(ValueError, match="two levels at 30 days"):
        check_levels([*LADDER, Level(key=9, days=30, min_amount=500.0)])


def test_check_levels_refuses_a_negative_minimum():
    with pytest.raises(ValueError, match="negative minimum amount at 45 days"):
        check_levels(ladder(final=-0.01))


def test_negative_min_interval_is_refused():
    with pytest.raises(ValueError, match="minimum interval"):
        next_step(LADDER, [A], day(25), min_interval=-1)
    # Refused whatever else the call says: it is a policy error, not a decision.
    with pytest.raises(ValueError, match="minimum interval"):
        next_step(LADDER, [], day(25), min_interval=-1, handed_over=True)


# ---------------------------------------------------------------------------
# The whole ladder, day by day
# ---------------------------------------------------------------------------


def test_whole_ladder_day_by_day():
    log, items = simulate(LADDER, [A, B, C], 0, 100)
    assert log == [
        (3, -7, {101: -7}, 1000.0),  # courtesy reminder 7 days before A's due date
        (13, -7, {102: -7}, 500.0),
        (25, 15, {101: 15}, 1000.0),  # A 15 days overdue
        (33, -7, {103: -7}, 200.0),
        (35, 15, {102: 15}, 500.0),
        (40, 30, {101: 30}, 1000.0),  # firm letter
        (50, 30, {102: 30}, 500.0),
        # One message, at the highest level due, listing every invoice due, each at its own level.
        (55, 45, {101: 45, 103: 15}, 1200.0),
        (65, 45, {102: 45}, 500.0),
        # Hand-over of A; C reaches 30 the same day and is listed with it.
        (70, 60, {101: 60, 103: 30}, 1200.0),
        # Handed over: B would reach 60 on day 80 and C 45 on day 85, nothing more.
    ]
    assert {item.key: item.level_days for item in items} == {101: 60, 102: 45, 103: 30}


def test_whole_ladder_without_hand_over_flag_keeps_chasing_the_other_invoices():
    """The rules stop after a hand-over only through the caller's ``handed_over`` flag."""
    items = [replace(A, level_days=60), replace(B, level_days=45), replace(C, level_days=30)]
    assert next_step(LADDER, items, day(80), handed_over=True) is None
    step = next_step(LADDER, items, day(80))
    assert step == Step(level=HAND_OVER, items={102: HAND_OVER}, amount=500.0)


@pytest.mark.parametrize(
    ("min_interval", "offsets"),
    [
        (0, [105, 106, 107, 108]),  # run daily: one level a day
        (1, [105, 106, 107, 108]),
        (7, [105, 112, 119, 126]),
        (10, [105, 115, 125, 135]),
    ],
)
def test_first_seen_long_overdue_goes_up_one_level_at_a_time(min_interval, offsets):
    """An invoice first seen 95 days overdue gets the reminder first, then each level, spaced."""
    log, items = simulate(LADDER, [A], 105, 200, min_interval=min_interval)
    assert log == [
        (offset, level_days, {101: level_days}, 1000.0)
        for offset, level_days in zip(offsets, [15, 30, 45, 60], strict=True)
    ]
    assert items == [replace(A, level_days=60)]


def test_started_late_reminds_one_level_at_a_time():
    """An invoice first seen 50 days overdue gets the reminder, not the final notice out of the blue."""
    log, _items = simulate(LADDER, [A], 60, 100)
    assert steps_of(log) == [
        (60, 15, {101: 15}),
        (61, 30, {101: 30}),
        (62, 45, {101: 45}),
        (70, 60, {101: 60}),  # the hand-over on its own day, 60 days overdue
    ]


def test_first_seen_late_each_invoice_at_its_own_next_level():
    # Day 55, nothing sent yet: A 45 days overdue, B 35, C 15: all get the reminder first.
    step = next_step(LADDER, [A, B, C], day(55))
    assert step == Step(level=REMINDER, items={101: REMINDER, 102: REMINDER, 103: REMINDER}, amount=1700.0)
    # The next run, with the reminders stored: A and B go on to the firm letter, C has nothing new.
    items = apply([A, B, C], step)
    step = next_step(LADDER, items, day(62), last_step=day(55), min_interval=7)
    assert step == Step(level=FIRM, items={101: FIRM, 102: FIRM}, amount=1500.0)


def test_running_twice_on_the_same_day_does_nothing_the_second_time():
    items = [replace(A, level_days=30), replace(B, level_days=30), replace(C, level_days=-7)]
    step = next_step(LADDER, items, day(55))
    # A 45 days overdue, B 35 (already at the firm letter), C 15.
    assert step == Step(level=FINAL, items={101: FINAL, 103: REMINDER}, amount=1200.0)
    items = apply(items, step)
    assert next_step(LADDER, items, day(55), last_step=day(55), min_interval=1) is None
    # Without the step date as well: the levels alone say it was done.
    assert next_step(LADDER, items, day(55)) is None
    # The next day nothing new is due either; B is due for the final notice on day 65, A the hand-over on 70.
    assert next_step(LADDER, items, day(56), last_step=day(55)) is None
    assert next_step(LADDER, items, day(65), last_step=day(55)) == Step(
        level=FINAL, items={102: FINAL}, amount=500.0
    )
    assert next_step(LADDER, items, day(70), last_step=day(55)).level == HAND_OVER


def test_next_date_finds_the_next_step():
    items = [replace(A, level_days=15)]
    when, step = dunning.next_date(LADDER, items, day(26))
    assert when == day(40)
    assert step == Step(level=FIRM, items={101: FIRM}, amount=1000.0)
    assert dunning.next_date(LADDER, items, day(26), horizon=13) == (None, None)
    assert dunning.next_date(LADDER, items, day(26), handed_over=True) == (None, None)


def test_next_date_after_a_catch_up_step_waits_for_the_interval():
    items = [replace(A, level_days=15)]
    when, step = dunning.next_date(LADDER, items, day(105), last_step=day(105), min_interval=7)
    assert when == day(112)
    assert step == Step(level=FIRM, items={101: FIRM}, amount=1000.0)


# ---------------------------------------------------------------------------
# Payments
# ---------------------------------------------------------------------------


def test_paid_in_full_in_between_drops_out():
    log, items = simulate(LADDER, [A, B, C], 0, 100, events={30: remove(102)})
    assert steps_of(log) == [
        (3, -7, {101: -7}),
        (13, -7, {102: -7}),
        (25, 15, {101: 15}),
        (33, -7, {103: -7}),
        # B paid on day 30: no reminder on day 35, no firm letter on day 50, no final on day 65.
        (40, 30, {101: 30}),
        (55, 45, {101: 45, 103: 15}),
        (70, 60, {101: 60, 103: 30}),
    ]
    assert [item.key for item in items] == [101, 103]


def test_everything_paid_nothing_sent():
    log, items = simulate(LADDER, [A], 0, 100, events={20: remove(101)})
    assert steps_of(log) == [(3, -7, {101: -7})]
    assert items == []
    assert next_step(LADDER, [], day(100)) is None


def test_partial_payment_the_residual_is_still_chased():
    log, _items = simulate(LADDER, [A], 0, 50, events={20: update(101, residual=40.0)})
    assert log == [
        (3, -7, {101: -7}, 1000.0),
        (25, 15, {101: 15}, 40.0),  # the residual, not the invoice total
        (40, 30, {101: 30}, 40.0),
    ]


def test_partial_payment_below_a_minimum_skips_that_level():
    levels = ladder(firm=100.0)
    log, _items = simulate(levels, [A], 0, 60, events={30: update(101, residual=99.99)})
    # 99.99 < 100: no firm letter on day 40; the final notice (no minimum) comes on day 55.
    assert log == [(3, -7, {101: -7}, 1000.0), (25, 15, {101: 15}, 1000.0), (55, 45, {101: 45}, 99.99)]


# ---------------------------------------------------------------------------
# Disputes
# ---------------------------------------------------------------------------


def test_dispute_then_resolution_resumes_one_level_at_a_time():
    events = {20: update(101, disputed=True), 52: update(101, disputed=False)}
    log, _items = simulate(LADDER, [A, B], 0, 80, events=events)
    assert steps_of(log) == [
        (3, -7, {101: -7}),
        (13, -7, {102: -7}),
        # A disputed from day 20 (10 days overdue): no reminder on day 25, nor firm letter on day 40.
        (35, 15, {102: 15}),  # B is still chased, alone
        (50, 30, {102: 30}),
        # Resolved on day 52, A is 42 days overdue: the reminder, then the firm letter the next run.
        (52, 15, {101: 15}),
        (53, 30, {101: 30}),
        (55, 45, {101: 45}),
        (65, 45, {102: 45}),
        (70, 60, {101: 60}),
    ]


def test_disputed_invoice_is_not_listed_nor_counted():
    levels = ladder(final=1000.0)
    final = levels[3]
    a = replace(A, level_days=30)
    step = next_step(levels, [a, replace(B, disputed=True)], day(55))
    assert step == Step(level=final, items={101: final}, amount=1000.0)
    # The disputed B alone is nothing.
    assert next_step(LADDER, [replace(B, disputed=True)], day(55)) is None
    # Day 65: A's 1000 alone is below a minimum of 1200 that A and B (both 45+ days overdue) reach.
    levels = ladder(final=1200.0)
    final = levels[3]
    b = replace(B, level_days=30)
    assert next_step(levels, [a, replace(b, disputed=True)], day(65)) is None
    assert next_step(levels, [a, b], day(65)) == Step(
        level=final, items={101: final, 102: final}, amount=1500.0
    )


# ---------------------------------------------------------------------------
# Promises to pay
# ---------------------------------------------------------------------------


def test_promise_kept():
    events = {26: update(101, paused_until=day(45)), 44: remove(101)}
    log, items = simulate(LADDER, [A], 0, 100, events=events)
    assert steps_of(log) == [(3, -7, {101: -7}), (25, 15, {101: 15})]
    assert items == []


def test_promise_broken_the_next_level_fires_the_day_after():
    log, _items = simulate(LADDER, [A], 0, 100, events={26: update(101, paused_until=day(45))})
    assert steps_of(log) == [
        (3, -7, {101: -7}),
        (25, 15, {101: 15}),
        # Paused through day 45 included (the firm letter was due on day 40).
        (46, 30, {101: 30}),
        (55, 45, {101: 45}),
        (70, 60, {101: 60}),
    ]


def test_promise_broken_over_two_levels_resumes_one_level_at_a_time():
    log, _items = simulate(LADDER, [A], 0, 100, events={26: update(101, paused_until=day(58))})
    assert steps_of(log) == [
        (3, -7, {101: -7}),
        (25, 15, {101: 15}),
        (59, 30, {101: 30}),  # the firm letter first, not the final notice
        (60, 45, {101: 45}),
        (70, 60, {101: 60}),
    ]


def test_promise_covers_only_its_invoices():
    log, _items = simulate(LADDER, [A, B], 0, 60, events={21: update(101, paused_until=day(58))})
    assert steps_of(log) == [
        (3, -7, {101: -7}),
        (13, -7, {102: -7}),
        (35, 15, {102: 15}),  # B is not covered by A's promise
        (50, 30, {102: 30}),
        (59, 15, {101: 15}),
        (60, 30, {101: 30}),
    ]


# ---------------------------------------------------------------------------
# Minimum interval between two steps to the same customer
# ---------------------------------------------------------------------------


def test_min_interval_delays_the_next_step():
    log, _items = simulate(LADDER, [A, B, C], 0, 100, min_interval=14)
    assert log == [
        (3, -7, {101: -7}, 1000.0),
        (17, -7, {102: -7}, 500.0),  # due on day 13, 14 days after day 3
        (31, 15, {101: 15}, 1000.0),  # due on day 25
        # Day 45: A is due for the firm letter, B for the reminder; C, 5 days overdue, is past its courtesy.
        (45, 30, {101: 30, 102: 15}, 1500.0),
        (59, 45, {101: 45, 102: 30, 103: 15}, 1700.0),
        (73, 60, {101: 60, 102: 45, 103: 30}, 1700.0),
    ]


@pytest.mark.parametrize(
    ("min_interval", "last_step", "expected"),
    [
        (7, day(19), None),  # 6 days ago
        (7, day(18), REMINDER),  # 7 days ago
        (7, None, REMINDER),  # never
        (0, day(25), None),  # one step a day at most, even with no minimum interval
        (0, day(24), REMINDER),
        (1, day(25), None),
        (1, day(24), REMINDER),
    ],
)
def test_min_interval_boundary(min_interval, last_step, expected):
    step = next_step(
        LADDER, [replace(A, level_days=-7)], day(25), last_step=last_step, min_interval=min_interval
    )
    assert (step and step.level) == expected


# ---------------------------------------------------------------------------
# Minimum amounts
# ---------------------------------------------------------------------------


def test_level_below_its_minimum_is_skipped_the_invoice_goes_on_to_the_next():
    """Final notice at 1000 minimum, the customer owes 500: after the firm letter, the hand-over."""
    levels = ladder(final=1000.0)
    owes_500 = replace(A, residual=500.0)
    log, items = simulate(levels, [owes_500], 0, 100)
    assert steps_of(log) == [
        (3, -7, {101: -7}),
        (25, 15, {101: 15}),
        (40, 30, {101: 30}),
        (70, 60, {101: 60}),
    ]
    assert items == [replace(owes_500, level_days=60)]
    # Day 55, at the firm letter: nothing, and the next step is the hand-over on day 70.
    at_firm = [replace(owes_500, level_days=30)]
    assert next_step(levels, at_firm, day(55)) is None
    assert dunning.next_date(levels, at_firm, day(55)) == (
        day(70),
        Step(level=HAND_OVER, items={101: HAND_OVER}, amount=500.0),
    )


def test_skipped_level_comes_back_when_the_amount_grows():
    levels = ladder(final=1000.0)
    final = levels[3]
    x = Item(key=1, due_date=day(0), residual=600.0, level_days=30)
    # Day 45: x is 45 days overdue, 600 < 1000: no final notice.
    assert next_step(levels, [x], day(45)) is None
    # Day 50: a second invoice 50 days overdue brings the final notice's amount to 1000.
    y = Item(key=2, due_date=day(0), residual=400.0)
    assert next_step(levels, [x, y], day(50)) == Step(
        level=final, items={1: final, 2: REMINDER}, amount=1000.0
    )
    log, _items = simulate(levels, [x], 40, 70, min_interval=7, events={50: add(y)})
    assert log == [
        (50, 45, {1: 45, 2: 15}, 1000.0),
        (57, 30, {2: 30}, 400.0),
        # x is due for the hand-over on day 60, held back by the interval until day 64; y goes on to 45.
        (64, 60, {1: 60, 2: 45}, 1000.0),
    ]


def test_min_amount_skips_a_level_for_one_invoice_while_another_goes_on():
    levels = ladder(firm=1000.0)
    a = Item(key=1, due_date=day(0), residual=600.0, level_days=15)
    b = Item(key=2, due_date=day(15), residual=300.0, level_days=-7)
    # Day 30: a due for the firm letter, b for the reminder; the firm letter's 600 < 1000: b alone.
    assert next_step(levels, [a, b], day(30)) == Step(level=REMINDER, items={2: REMINDER}, amount=300.0)
    events = {40: add(Item(key=3, due_date=day(50), residual=150.0))}
    log, _items = simulate(levels, [a, b], 30, 70, events=events)
    assert log == [
        (30, 15, {2: 15}, 300.0),
        (43, -7, {3: -7}, 150.0),
        # Day 45: a (45 days overdue) and b (30) make 900 < 1000 for the firm letter: a goes on to
        # the final notice without it, b waits.
        (45, 45, {1: 45}, 600.0),
        # Day 60: a handed over, b 45 days overdue: the final notice, the firm letter still skipped.
        (60, 60, {1: 60, 2: 45}, 900.0),
    ]


def test_min_amount_fires_when_the_amount_grows():
    levels = ladder(firm=1000.0)
    a = Item(key=1, due_date=day(0), residual=600.0, level_days=15)
    b = Item(key=2, due_date=day(10), residual=300.0, level_days=15)
    log, _items = simulate(
        levels, [a, b], 30, 44, events={35: add(Item(key=3, due_date=day(5), residual=100.0))}
    )
    assert steps_of(log) == [
        # Day 35: c arrives 30 days overdue; a and c make 700 < 1000 for the firm letter, so c,
        # never reminded, gets the reminder.
        (35, 15, {3: 15}),
        # Day 40: b is 30 days overdue too; a, b and c make 1000.
        (40, 30, {1: 30, 2: 30, 3: 30}),
    ]


def test_min_amount_first_seen_late_below_every_minimum():
    """An invoice first seen 35 days overdue: the reminder; below every minimum, nothing (courtesy past)."""
    item = Item(key=1, due_date=day(0), residual=50.0)
    assert next_step(ladder(firm=100.0), [item], day(35)) == Step(
        level=REMINDER, items={1: REMINDER}, amount=50.0
    )
    assert next_step(ladder(firm=100.0, reminder=100.0), [item], day(35)) is None
    # 45 days overdue, the final notice has no minimum: it comes without the two levels below.
    assert next_step(ladder(firm=100.0, reminder=100.0), [item], day(45)) == Step(
        level=FINAL, items={1: FINAL}, amount=50.0
    )


def test_min_amount_after_a_dispute_the_next_level_on_the_ladder():
    """Resolved at 50 days overdue below the final notice's minimum: the firm letter, then the hand-over."""
    levels = ladder(final=100.0)
    item = Item(key=1, due_date=day(0), residual=50.0, level_days=15, disputed=True)
    events = {50: update(1, disputed=False)}
    log, _items = simulate(levels, [item], 20, 80, events=events)
    assert steps_of(log) == [(50, 30, {1: 30}), (60, 60, {1: 60})]


def test_min_amount_of_the_hand_over():
    levels = ladder(hand_over=5000.0)
    log, items = simulate(levels, [A, B], 0, 120)
    # Never handed over: each invoice stays at the final notice.
    assert [level_days for _offset, level_days, _items in steps_of(log)] == [-7, -7, 15, 15, 30, 30, 45, 45]
    assert {item.key: item.level_days for item in items} == {101: 45, 102: 45}


# ---------------------------------------------------------------------------
# Courtesy reminder and hand-over
# ---------------------------------------------------------------------------


def test_courtesy_reminder_before_the_due_date():
    assert next_step(LADDER, [A], day(2)) is None  # 8 days before
    assert next_step(LADDER, [A], day(3)) == Step(level=COURTESY, items={101: COURTESY}, amount=1000.0)
    # An invoice issued 3 days before its due date still gets the courtesy reminder at once.
    assert next_step(LADDER, [A], day(7)).level == COURTESY
    assert next_step(LADDER, [A], day(10)).level == COURTESY  # on the due date
    # Without a courtesy level, nothing before 15 days overdue.
    assert next_step(LADDER[1:], [A], day(24)) is None
    assert next_step(LADDER[1:], [A], day(25)).level == REMINDER


def test_courtesy_reminder_not_sent_once_overdue():
    """An invoice first seen overdue (say 5 days) gets nothing until the 15-day reminder."""
    for offset in range(11, 25):
        assert next_step(LADDER, [A], day(offset)) is None, offset
    log, _items = simulate(LADDER, [A], 15, 30)
    assert steps_of(log) == [(25, 15, {101: 15})]
    # Nor listed with another invoice's step.
    step = next_step(LADDER, [replace(A, level_days=-7), B], day(25))
    assert step == Step(level=REMINDER, items={101: REMINDER}, amount=1000.0)


def test_hand_over_stops_everything():
    log, _items = simulate(LADDER, [A], 60, 75)
    assert steps_of(log) == [
        (60, 15, {101: 15}),
        (61, 30, {101: 30}),
        (62, 45, {101: 45}),
        (70, 60, {101: 60}),
    ]
    # After the hand-over, nothing more: not for a new invoice, not for a higher level.
    late = Item(key=9, due_date=day(0), residual=10_000.0)
    options = {"last_step": day(70), "handed_over": True}
    for offset in (70, 71, 100, 400):
        assert next_step(LADDER, [late, replace(A, level_days=60)], day(offset), **options) is None
    # Without the flag, the new invoice starts at the reminder, not at the hand-over.
    assert next_step(LADDER, [late], day(100), last_step=day(70)).level == REMINDER


# ---------------------------------------------------------------------------
# Float amounts
# ---------------------------------------------------------------------------


def test_float_amounts_compared_to_the_currency_digits():
    items = [Item(key=1, due_date=day(0), residual=0.1), Item(key=2, due_date=day(0), residual=0.2)]
    levels = [Level(key=1, days=15, min_amount=0.3)]
    # 0.1 + 0.2 is 0.30000000000000004: above 0.3 by a hair.
    step = next_step(levels, items, day(20), digits=2)
    assert step is not None
    assert set(step.items) == {1, 2}
    assert step.amount == pytest.approx(0.3)
    # A real cent short does not pass.
    short = [Item(key=1, due_date=day(0), residual=0.1), Item(key=2, due_date=day(0), residual=0.19)]
    assert next_step(levels, short, day(20), digits=2) is None
    assert ladder_for(levels, short, day(20), digits=2) == []
    # At 0 decimals, 0.29 and 0.3 are both 0.
    assert next_step(levels, short, day(20), digits=0) is not None
    # Ten times 0.1 is 0.9999999999999999: below 1.0 by a hair, yet a full 1.00.
    tenths = [Item(key=key, due_date=day(0), residual=0.1) for key in range(10)]
    step = next_step([Level(key=1, days=15, min_amount=1.0)], tenths, day(20), digits=2)
    assert step is not None
    assert len(step.items) == 10


# ---------------------------------------------------------------------------
# Invariants on random customers
# ---------------------------------------------------------------------------


def random_case(rng):
    """Random levels, invoices, date and options of one customer."""
    days = rng.sample(range(-10, 91), rng.randint(1, 6))
    if rng.random() < 0.3 and 0 not in days:
        days.append(0)
    levels = [
        Level(
            key=index,
            days=level_days,
            min_amount=rng.choice([0.0, 0.0, 50.0, 300.0, 1000.0]),
            stops_reminders=level_days == max(days) and rng.random() < 0.5,
        )
        for index, level_days in enumerate(days)
    ]
    today = day(rng.randint(0, 200))
    items = []
    for key in range(rng.randint(0, 6)):
        due = today - timedelta(days=rng.randint(-20, 120))
        history = [level.days for level in levels if level.days <= days_overdue(due, today)]
        items.append(
            Item(
                key=key,
                due_date=due,
                residual=rng.choice([0.01, 10.0, 99.99, 250.0, 700.0, 1500.0]),
                level_days=rng.choice([None, None, *history, rng.randint(-10, 90)]),
                paused_until=rng.choice([None, None, today + timedelta(days=rng.randint(-10, 10))]),
                disputed=rng.random() < 0.15,
            )
        )
    options = {
        "last_step": rng.choice([None, today - timedelta(days=rng.randint(0, 30))]),
        "min_interval": rng.choice([0, 0, 1, 7, 14]),
        "handed_over": rng.random() < 0.05,
        "digits": rng.choice([0, 2, 3]),
    }
    return levels, items, today, options


def chased(item, today):
    """Whether ``item`` is chased on ``today`` (neither disputed nor under a running promise)."""
    return not item.disputed and (item.paused_until is None or item.paused_until < today)


def expected_ladder(levels, items, today, digits):
    """Oracle of ``ladder_for``: the levels whose amount (chased invoices that reached them) is enough."""
    kept = []
    for level in levels:
        amount = 0.0
        for item in items:
            if chased(item, today) and days_overdue(item.due_date, today) >= level.days:
                amount += item.residual
        if round(amount, digits) >= round(level.min_amount, digits):
            kept.append(level)
    return kept


def ahead(ladder_levels, item, today):
    """The levels of the ladder still ahead of ``item``, lowest first (past ones: below its level, or
    at 0 days or before once it is overdue)."""
    overdue = days_overdue(item.due_date, today)
    return sorted(
        (
            level
            for level in ladder_levels
            if (item.level_days is None or level.days > item.level_days) and (overdue <= 0 or level.days > 0)
        ),
        key=lambda level: level.days,
    )


def expected_next(ladder_levels, item, today):
    """Oracle of ``due_level`` on the day's ladder: the first level ahead, if the invoice has reached it."""
    if not chased(item, today):
        return None
    following = ahead(ladder_levels, item, today)
    if following and following[0].days <= days_overdue(item.due_date, today):
        return following[0]
    return None


@pytest.mark.parametrize("seed", range(300))
def test_random_invariants(seed):
    rng = random.Random(seed)
    levels, items, today, options = random_case(rng)
    by_key = {item.key: item for item in items}
    digits = options["digits"]
    the_ladder = expected_ladder(levels, items, today, digits)
    assert ladder_for(levels, items, today, digits) == the_ladder
    step = next_step(levels, items, today, **options)
    blocked = options["handed_over"] or (
        options["last_step"] is not None and (today - options["last_step"]).days < options["min_interval"]
    )
    if blocked:
        assert step is None
        return
    expected = {item.key: expected_next(the_ladder, item, today) for item in items}
    expected = {key: level for key, level in expected.items() if level is not None}
    if step is None:
        assert expected == {}
        return
    # Every invoice due is listed, each at exactly its next level on the day's ladder.
    assert step.items == expected
    assert step.level.days == max(level.days for level in step.items.values())
    assert step.level in the_ladder
    assert step.amount == pytest.approx(sum(by_key[key].residual for key in step.items))
    for key, level in step.items.items():
        item = by_key[key]
        overdue = days_overdue(item.due_date, today)
        assert not item.disputed
        assert not (item.paused_until and today <= item.paused_until)
        assert level.days <= overdue
        assert item.level_days is None or item.level_days < level.days
        assert overdue <= 0 or level.days > 0  # the courtesy levels are past once overdue
        # No level of the day's ladder still ahead of the invoice is jumped over.
        assert not [other for other in ahead(the_ladder, item, today) if other.days < level.days], (
            item,
            level,
        )
    # The caller stores the step: calling again the same day gives nothing while an interval holds.
    applied = apply(items, step)
    again = {
        **options,
        "last_step": today,
        "handed_over": options["handed_over"] or step.level.stops_reminders,
    }
    if again["min_interval"] >= 1 or again["handed_over"]:
        assert next_step(levels, applied, today, **again) is None
    # Without interval nor hand-over, further calls that day climb the ladder one level at a time.
    items_now = applied
    climbed = {key: [level.days] for key, level in step.items.items()}
    for _round in range(len(levels) + 1):
        more = next_step(levels, items_now, today, digits=digits)
        if more is None:
            break
        assert set(more.items) <= set(step.items)
        for key, level in more.items.items():
            climbed[key].append(level.days)
        items_now = apply(items_now, more)
    else:
        pytest.fail("the same-day calls never end")
    for key, sequence in climbed.items():
        item = by_key[key]
        overdue = days_overdue(item.due_date, today)
        assert sequence == [level.days for level in ahead(the_ladder, item, today) if level.days <= overdue]
