"""Oracles: plain Python twins of figures that only SQL computes in the module.

Tests compare the figures query with them on constructed cases. Not used by
the module; no Odoo import, so that the Odoo-free suite tests them too.
"""

from datetime import date


def days_past_due(due_date, today):
    """Whole days since ``due_date`` (0 when not due yet or without a date)."""
    if not due_date:
        return 0
    if not isinstance(due_date, date) or not isinstance(today, date):
        raise TypeError("days_past_due expects dates")
    return max((today - due_date).days, 0)


def split_by_bucket(items, today, bucket_for, keys):
    """Sum ``(due_date, amount)`` items per aging bucket (every key of ``keys`` present)."""
    totals = dict.fromkeys(keys, 0.0)
    for due_date, amount in items:
        totals[bucket_for(days_past_due(due_date, today))] += amount or 0.0
    return totals


def overdue_after_credits(items, today):
    """What is really overdue once unapplied credits are used up.

    ``items`` are ``(due_date, residual)`` open receivable items: invoices
    positive, credit notes and payments not matched yet negative. The
    credits (whatever their date) settle the overdue items oldest first.
    Returns ``(amount, oldest_days)``: the overdue amount left (never below
    0) and the days past due of the oldest item not fully covered (0 when
    nothing is left overdue).
    """
    items = list(items)
    unapplied = -sum(amount for _due, amount in items if amount < 0)
    overdue = sorted(
        ((due, amount) for due, amount in items if amount > 0 and days_past_due(due, today) > 0),
        key=lambda item: item[0],
    )
    amount = 0.0
    oldest = 0
    running = 0.0
    for due, residual in overdue:  # oldest first
        running += residual
        if running > unapplied:
            amount += min(residual, running - unapplied)
            oldest = oldest or days_past_due(due, today)
    return amount, oldest
