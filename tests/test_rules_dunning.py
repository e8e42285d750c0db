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
from rules.dunning import Item, Level, Step, check_levels, days_overdue, due_level, level_for, next_step

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
    must give nothing.
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
        assert next_step(levels, items, today, **options) is None, (offset, items)
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
        (replace(A, level_days=-7), day(24), None),  # courtesy done, 14 days overdue
        (replace(A, level_days=-7), day(25), REMINDER),
        (replace(A, level_days=15), day(25), None),  # already at that level
        (replace(A, level_days=15), day(70), HAND_OVER),  # the highest level reached, not the next one
        (replace(A, level_days=60), day(500), None),  # no level above the last one
        (replace(A, level_days=20), day(39), None),  # a level the policy no longer has
        (replace(A, level_days=20), day(40), FIRM),
        (replace(A, disputed=True), day(50), None),
        (replace(A, paused_until=day(50)), day(50), None),  # until its date included
        (replace(A, paused_until=day(50)), day(51), FIRM),
        (replace(A, paused_until=day(1)), day(3), COURTESY),  # an old promise does nothing
    ],
)
def test_due_level(item, today, expected):
    assert due_level(LADDER, item, today) == expected


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
        # One message, at the highest level due, listing every invoice due.
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


def test_started_late_reminds_at_the_level_reached_not_every_level_below():
    """An invoice first seen 50 days overdue gets the final notice, not four letters at once."""
    log, _items = simulate(LADDER, [A], 60, 100)
    assert steps_of(log) == [(60, 45, {101: 45}), (70, 60, {101: 60})]


def test_running_twice_on_the_same_day_does_nothing_the_second_time():
    items = [A, B, C]
    step = next_step(LADDER, items, day(55))
    # A 45 days overdue, B 35, C 15.
    assert step == Step(level=FINAL, items={101: FINAL, 102: FIRM, 103: REMINDER}, amount=1700.0)
    items = apply(items, step)
    assert next_step(LADDER, items, day(55), last_step=day(55)) is None
    # Without the step date as well: the levels alone say it was done.
    assert next_step(LADDER, items, day(55)) is None
    # The next day nothing new is due either; A is due for the hand-over on day 70.
    assert next_step(LADDER, items, day(56), last_step=day(55)) is None
    assert next_step(LADDER, items, day(70), last_step=day(55)).level == HAND_OVER


def test_next_date_finds_the_next_step():
    items = [replace(A, level_days=15)]
    when, step = dunning.next_date(LADDER, items, day(26))
    assert when == day(40)
    assert step == Step(level=FIRM, items={101: FIRM}, amount=1000.0)
    assert dunning.next_date(LADDER, items, day(26), horizon=13) == (None, None)
    assert dunning.next_date(LADDER, items, day(26), handed_over=True) == (None, None)


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
    assert steps_of(log) == [(3, -7, {101: -7}), (25, 15, {101: 15}), (55, 45, {101: 45})]


# ---------------------------------------------------------------------------
# Disputes
# ---------------------------------------------------------------------------


def test_dispute_then_resolution_back_where_it_would_be():
    events = {20: update(101, disputed=True), 52: update(101, disputed=False)}
    log, _items = simulate(LADDER, [A, B], 0, 80, events=events)
    assert steps_of(log) == [
        (3, -7, {101: -7}),
        (13, -7, {102: -7}),
        # A disputed from day 20 (10 days overdue): no reminder on day 25, nor firm letter on day 40.
        (35, 15, {102: 15}),  # B is still chased, alone
        (50, 30, {102: 30}),
        # Resolved on day 52, A is 42 days overdue: back at the firm letter, above the courtesy it had.
        (52, 30, {101: 30}),
        (55, 45, {101: 45}),
        (65, 45, {102: 45}),
        (70, 60, {101: 60}),
    ]


def test_disputed_invoice_is_not_listed_nor_counted():
    levels = ladder(final=1000.0)
    final = levels[3]
    step = next_step(levels, [A, replace(B, disputed=True)], day(55))
    assert step == Step(level=final, items={101: final}, amount=1000.0)
    # Without A, the disputed B alone is nothing.
    assert next_step(LADDER, [replace(B, disputed=True)], day(55)) is None
    # A's 1000 alone is below a minimum of 1200 that A and B together would reach.
    levels = ladder(final=1200.0)
    assert next_step(levels, [A, replace(B, disputed=True)], day(55)).level == FIRM
    assert next_step(levels, [A, B], day(55)).level == levels[3]


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


def test_promise_broken_over_two_levels_escalates_to_the_level_reached():
    log, _items = simulate(LADDER, [A], 0, 100, events={26: update(101, paused_until=day(58))})
    assert steps_of(log) == [
        (3, -7, {101: -7}),
        (25, 15, {101: 15}),
        (59, 45, {101: 45}),
        (70, 60, {101: 60}),
    ]


def test_promise_covers_only_its_invoices():
    log, _items = simulate(LADDER, [A, B], 0, 60, events={21: update(101, paused_until=day(58))})
    assert steps_of(log) == [
        (3, -7, {101: -7}),
        (13, -7, {102: -7}),
        (35, 15, {102: 15}),  # B is not covered by A's promise
        (50, 30, {102: 30}),
        (59, 45, {101: 45}),
    ]


# ---------------------------------------------------------------------------
# Minimum interval between two steps to the same customer
# ---------------------------------------------------------------------------


def test_min_interval_delays_the_next_step():
    log, _items = simulate(LADDER, [A, B, C], 0, 100, min_interval=14)
    assert steps_of(log) == [
        (3, -7, {101: -7}),
        (17, -7, {102: -7}),  # due on day 13, 14 days after day 3
        (31, 15, {101: 15}),  # due on day 25
        # Day 45: A is due for the firm letter, B for the reminder, C for the courtesy: one message.
        (45, 30, {101: 30, 102: 15, 103: -7}),
        (59, 45, {101: 45, 102: 30, 103: 15}),
        (73, 60, {101: 60, 102: 45, 103: 30}),
    ]


@pytest.mark.parametrize(
    ("min_interval", "last_step", "expected"),
    [
        (7, day(19), None),  # 6 days ago
        (7, day(18), REMINDER),  # 7 days ago
        (7, None, REMINDER),  # never
        (0, day(25), REMINDER),  # another step today, with no minimum interval
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


def test_min_amount_skips_to_the_lower_level_then_fires_when_the_amount_grows():
    levels = ladder(firm=1000.0)
    a = Item(key=1, due_date=day(0), residual=600.0, level_days=15)
    b = Item(key=2, due_date=day(15), residual=300.0, level_days=-7)
    # Day 30: A due for the firm letter, B for the reminder; 900 < 1000, so the reminder is sent for B alone.
    assert next_step(levels, [a, b], day(30)) == Step(level=REMINDER, items={2: REMINDER}, amount=300.0)
    events = {40: add(Item(key=3, due_date=day(50), residual=150.0))}
    log, _items = simulate(levels, [a, b], 30, 70, events=events)
    assert log == [
        (30, 15, {2: 15}, 300.0),
        # Day 43 (C 7 days before due): still 600 + 150 < 1000 for A's firm letter.
        (43, -7, {3: -7}, 150.0),
        # Day 45: A 45 days overdue, the final notice has no minimum: A goes straight to it, and
        # B (30 days overdue) is listed at the firm letter's level: the minimum is the message's.
        (45, 45, {1: 45, 2: 30}, 900.0),
        # Day 60: A handed over, B 45 days overdue; the hand-over lists every invoice due.
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
        # Day 35: C arrives 30 days overdue; A and C for the firm letter make 700 < 1000, so C,
        # never reminded, gets the reminder (A already had it).
        (35, 15, {3: 15}),
        # Day 40: B is 30 days overdue too; A, B and C make 1000.
        (40, 30, {1: 30, 2: 30, 3: 30}),
    ]


def test_min_amount_counts_the_invoices_at_lower_levels_too():
    levels = ladder(final=1200.0)
    reminder, firm, final = levels[1:4]
    step = next_step(levels, [A, C], day(55))
    assert step == Step(level=final, items={101: final, 103: reminder}, amount=1200.0)
    # 1199: A (never reminded, 45 days overdue) gets the firm letter, the next lower level.
    step = next_step(levels, [A, replace(C, residual=199.0)], day(55))
    assert step == Step(level=firm, items={101: firm, 103: reminder}, amount=1199.0)


def test_min_amount_at_each_level_one_invoice_first_seen_late():
    """An invoice first seen 35 days overdue below the firm letter's minimum gets the reminder."""
    item = Item(key=1, due_date=day(0), residual=50.0)
    assert next_step(ladder(firm=100.0), [item], day(35)) == Step(
        level=REMINDER, items={1: REMINDER}, amount=50.0
    )
    step = next_step(ladder(firm=100.0, reminder=100.0), [item], day(35))
    assert step == Step(level=COURTESY, items={1: COURTESY}, amount=50.0)
    assert next_step(ladder(firm=100.0, reminder=100.0, courtesy=100.0), [item], day(35)) is None


def test_min_amount_after_a_dispute_the_next_lower_level_is_tried():
    """Resolved at 50 days overdue below the final notice's minimum: the firm letter, not nothing."""
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
    # Without a courtesy level, nothing before 15 days overdue.
    assert next_step(LADDER[1:], [A], day(24)) is None
    assert next_step(LADDER[1:], [A], day(25)).level == REMINDER


def test_hand_over_stops_everything():
    log, _items = simulate(LADDER, [A], 60, 75)
    assert steps_of(log) == [(60, 45, {101: 45}), (70, 60, {101: 60})]
    # After the hand-over, nothing more: not for a new invoice, not for a higher level.
    late = Item(key=9, due_date=day(0), residual=10_000.0)
    options = {"last_step": day(70), "handed_over": True}
    for offset in (70, 71, 100, 400):
        assert next_step(LADDER, [late, replace(A, level_days=60)], day(offset), **options) is None
    assert next_step(LADDER, [late], day(100), last_step=day(70)).level == HAND_OVER


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
                level_days=rng.choice([None, *history, rng.randint(-10, 90)]),
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


def reaches_above(levels, item, today):
    """The levels ``item`` reaches on ``today`` above the one it had, if it is chased at all."""
    if item.disputed or (item.paused_until and today <= item.paused_until):
        return []
    overdue = days_overdue(item.due_date, today)
    return [
        level
        for level in levels
        if level.days <= overdue and (item.level_days is None or level.days > item.level_days)
    ]


@pytest.mark.parametrize("seed", range(300))
def test_random_invariants(seed):
    rng = random.Random(seed)
    levels, items, today, options = random_case(rng)
    by_key = {item.key: item for item in items}
    step = next_step(levels, items, today, **options)
    blocked = options["handed_over"] or (
        options["last_step"] is not None and (today - options["last_step"]).days < options["min_interval"]
    )
    digits = options["digits"]
    if blocked:
        assert step is None
        return
    if step is None:
        # Nothing is sent only if no level without minimum is reached by an invoice above its level.
        for item in items:
            for level in reaches_above(levels, item, today):
                assert round(level.min_amount, digits) > 0, (item, level)
        return
    assert step.level in levels
    assert step.items
    for key, level in step.items.items():
        item = by_key[key]
        assert level in levels
        assert item.level_days is None or item.level_days < level.days
        assert not item.disputed
        assert not (item.paused_until and today <= item.paused_until)
        assert level.days <= days_overdue(item.due_date, today)
        # Each invoice at the highest level it reaches, up to the step's level.
        assert level == level_for(
            [other for other in levels if other.days <= step.level.days], days_overdue(item.due_date, today)
        )
    assert step.level.days == max(level.days for level in step.items.values())
    assert step.amount == pytest.approx(sum(by_key[key].residual for key in step.items))
    assert round(step.amount, digits) >= round(step.level.min_amount, digits)
    # Every invoice due for the step's level or a lower one is listed.
    for item in items:
        reached = [level for level in reaches_above(levels, item, today) if level.days <= step.level.days]
        if reached:
            assert item.key in step.items, item
    # No higher level without minimum could have been sent.
    for item in items:
        for level in reaches_above(levels, item, today):
            if level.days > step.level.days:
                assert round(level.min_amount, digits) > 0, (item, level)
    # The caller stores the step: calling again the same day gives nothing.
    applied = apply(items, step)
    again = {
        **options,
        "last_step": today,
        "handed_over": options["handed_over"] or step.level.stops_reminders,
    }
    assert next_step(levels, applied, today, **again) is None
    assert next_step(levels, applied, today, **{**again, "last_step": None, "handed_over": False}) is None
