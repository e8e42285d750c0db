"""Dunning decisions: which reminder step a customer is due for on a date.

Plain Python, no Odoo import. The scheduled run gives each customer's open
invoices (``Item``) and its policy's levels (``Level``); ``next_step`` says
which level to send, once, for the customer, and which level each invoice
reaches with it.

Vocabulary. *Days overdue* of an invoice on a date: the date minus its due
date, in days (negative before the due date). A level is *reached* by an
invoice when its days overdue are at least the level's days; the invoice is
*due* for the highest level it has reached if that level is above the one it
already had.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta


@dataclass(frozen=True)
class Level:
    """A step of a dunning policy.

    ``days``: days relative to the due date (negative = before it).
    ``min_amount``: the step is skipped while the amount it would remind of
    is below it. ``stops_reminders``: after this step (hand-over to legal or
    a collection agency) the customer gets no further reminder.
    """

    key: int
    days: int
    min_amount: float = 0.0
    stops_reminders: bool = False


@dataclass(frozen=True)
class Item:
    """An open customer invoice (or installment) as the run sees it.

    ``residual``: open amount in the company's currency. ``level_days``: the
    days of the level it already had (None: none yet). ``paused_until``: a
    promise to pay covers it until that date included. ``disputed``: out of
    the chase until the dispute is resolved.
    """

    key: int
    due_date: date
    residual: float
    level_days: int | None = None
    paused_until: date | None = None
    disputed: bool = False


@dataclass(frozen=True)
class Step:
    """What to do for a customer: send ``level``; each invoice of ``items`` reaches the level given."""

    level: Level
    items: dict = field(default_factory=dict)
    amount: float = 0.0


def check_levels(levels):
    """Raise ``ValueError`` for levels a policy cannot have: two on the same day, a negative minimum."""
    seen = set()
    for level in levels:
        if level.days in seen:
            raise ValueError(f"two levels at {level.days} days")
        seen.add(level.days)
        if level.min_amount < 0:
            raise ValueError(f"negative minimum amount at {level.days} days")


def days_overdue(due_date, today):
    """Days from ``due_date`` to ``today`` (negative before the due date)."""
    return (today - due_date).days


def level_for(levels, days):
    """The highest level reached after ``days`` days overdue, or None."""
    reached = [level for level in levels if level.days <= days]
    return max(reached, key=lambda level: level.days, default=None)


def due_level(levels, item, today):
    """The level ``item`` is due for on ``today``, or None (nothing new, disputed or promised)."""
    if item.disputed or (item.paused_until and today <= item.paused_until):
        return None
    reached = level_for(levels, days_overdue(item.due_date, today))
    if reached is None or (item.level_days is not None and reached.days <= item.level_days):
        return None
    return reached


def next_step(levels, items, today, *, last_step=None, min_interval=0, handed_over=False, digits=2):
    """The step a customer is due for on ``today``, or None.

    One step per customer, at the highest level one of its invoices is due
    for, provided the invoices it would remind of (those due for that level
    or a lower one, each at the level it reaches) amount to the level's
    minimum; otherwise the next lower level is tried. Nothing while the last
    step is less than ``min_interval`` days old, nor after a hand-over.
    Amounts are compared to ``digits`` decimals (the company currency's).
    """
    if min_interval < 0:
        raise ValueError("the minimum interval between two steps cannot be negative")
    if handed_over or (last_step is not None and (today - last_step).days < min_interval):
        return None
    due = {}
    for item in items:
        level = due_level(levels, item, today)
        if level is not None:
            due[item.key] = (item, level)
    top = max((level.days for _item, level in due.values()), default=None)
    # Every level up to the highest one due, not only the levels some invoice is due for: an
    # invoice due for a level below its minimum falls back to the next lower level of the ladder.
    candidates = [level for level in levels if top is not None and level.days <= top]
    for chosen in sorted(candidates, key=lambda level: -level.days):
        reached = {}
        for key, (item, level) in due.items():
            capped = (
                level
                if level.days <= chosen.days
                else level_for(
                    [candidate for candidate in levels if candidate.days <= chosen.days],
                    days_overdue(item.due_date, today),
                )
            )
            if capped is not None and (item.level_days is None or capped.days > item.level_days):
                reached[key] = capped
        if not any(level.days == chosen.days for level in reached.values()):
            continue  # no invoice reaches this level above the one it had: try the next lower one
        amount = sum(due[key][0].residual for key in reached)
        if round(amount, digits) >= round(chosen.min_amount, digits):
            return Step(level=chosen, items=reached, amount=amount)
    return None


def next_date(levels, items, today, *, horizon=366, **options):
    """``(date, step)`` of the first step due from ``today`` on if nothing changes, or ``(None, None)``.

    ``options`` are those of :func:`next_step`; looks ``horizon`` days ahead.
    """
    for offset in range(horizon + 1):
        day = today + timedelta(days=offset)
        step = next_step(levels, items, day, **options)
        if step:
            return day, step
    return None, None
