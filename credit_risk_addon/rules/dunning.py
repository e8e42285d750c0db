"""Dunning decisions: which reminder step a customer is due for on a date.

Plain Python, no Odoo import. The scheduled run gives each customer's open
invoices (``Item``) and its policy's levels (``Level``); ``next_step`` says
which level to send, once, for the customer, and which level each invoice
reaches with it.

Vocabulary. *Days overdue* of an invoice on a date: the date minus its due
date, in days (negative before the due date). A level is *reached* by an
invoice when its days overdue are at least the level's days; the invoice is
*due* for the lowest level above the one it already had that it has reached
(one level at a time).
"""

from dataclasses import dataclass, field
from datetime import date, timedelta


@dataclass(frozen=True)
class Level:
    """A step of a dunning policy.

    ``days``: days relative to the due date (negative = before it).
    ``min_amount``: the level is skipped for a customer while its chased
    invoices that reached the level have less open (see :func:`ladder_for`).
    ``stops_reminders``: after this step (hand-over to legal or a collection
    agency) the customer gets no further reminder.
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
    """The level ``item`` is due for on ``today``, or None (nothing new, disputed or promised).

    One level at a time: the lowest level above the one it had that its days
    overdue have reached, so that an invoice first seen long overdue (say,
    on the day the module is installed) gets the reminder before the final
    notice, not a hand-over out of the blue. Once the invoice is overdue, the
    levels before its due date (a courtesy reminder) are past.
    """
    if item.disputed or (item.paused_until and today <= item.paused_until):
        return None
    days = days_overdue(item.due_date, today)
    candidates = [
        level
        for level in levels
        if level.days <= days
        and (item.level_days is None or level.days > item.level_days)
        and (days <= 0 or level.days > 0)
    ]
    return min(candidates, key=lambda level: level.days, default=None)


def ladder_for(levels, items, today, digits=2):
    """The levels a customer goes through today: those whose minimum amount its invoices reach.

    A level's amount is what the customer's chased invoices (not disputed,
    not under a promise) that have reached it have open; a level below its
    minimum is skipped: its invoices go on to the next levels without it.
    """
    chased = [
        item for item in items if not item.disputed and not (item.paused_until and today <= item.paused_until)
    ]
    ladder = []
    for level in levels:
        amount = sum(item.residual for item in chased if days_overdue(item.due_date, today) >= level.days)
        if round(amount, digits) >= round(level.min_amount, digits):
            ladder.append(level)
    return ladder


def next_step(levels, items, today, *, last_step=None, min_interval=0, handed_over=False, digits=2):
    """The step a customer is due for on ``today``, or None.

    One step per customer, at the highest level one of its invoices is due
    for on the customer's ladder of the day (:func:`ladder_for`: levels
    below their minimum amount skipped); each invoice moves one level at a
    time (:func:`due_level`), and the step lists every invoice due for a
    level. Nothing while the last step is less than ``min_interval`` days
    old, nor after a hand-over. Amounts are compared to ``digits`` decimals
    (the company currency's).
    """
    if min_interval < 0:
        raise ValueError("the minimum interval between two steps cannot be negative")
    # One step a day at most, whatever the interval: a run done twice the same day does nothing.
    if handed_over or (last_step is not None and (today - last_step).days < max(min_interval, 1)):
        return None
    ladder = ladder_for(levels, items, today, digits)
    reached = {}
    amount = 0.0
    for item in items:
        level = due_level(ladder, item, today)
        if level is not None:
            reached[item.key] = level
            amount += item.residual
    if not reached:
        return None
    chosen = max(reached.values(), key=lambda level: level.days)
    return Step(level=chosen, items=reached, amount=amount)


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
