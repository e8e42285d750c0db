"""Credit KPIs of receivables on trade terms: DSO, CEI, days to pay, shares.

Money is a float in one currency and a day count is a number of calendar days.
Every function returns ``None`` when its result is undefined (a denominator
of zero, or a figure that is missing, i.e. ``None``) and raises ``ValueError``
on input that makes no sense: a text or a bool where a number belongs, an
infinite number or NaN, negative sales, a negative day count, a period of 0
days. Nothing is rounded: the caller formats.
"""

import calendar
import math
from datetime import date, datetime


def _number(value, name):
    """``value`` as a float; ``ValueError`` unless it is a finite int or float."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return float(value)


def _not_negative(value, name):
    """``value`` as a float; ``ValueError`` when it is not a number or is below 0."""
    number = _number(value, name)
    if number < 0:
        raise ValueError(f"{name} cannot be negative, got {value!r}")
    return number


def _period_days(value, name="days"):
    """A length of period in days: ``ValueError`` unless it is a number above 0."""
    number = _number(value, name)
    if number <= 0:
        raise ValueError(f"{name} must be more than 0, got {value!r}")
    return number


def _date(value, name):
    """A date (a datetime gives its calendar day); ``ValueError`` otherwise."""
    if isinstance(value, datetime):
        return value.date()
    if not isinstance(value, date):
        raise ValueError(f"{name} must be a date, got {value!r}")
    return value


def _days_of_sales(receivable, credit_sales, days):
    """``receivable / credit_sales * days``, the common shape of the DSO ratios."""
    if receivable is None or credit_sales is None or days is None:
        return None
    receivable = _number(receivable, "receivable")
    credit_sales = _not_negative(credit_sales, "credit sales")
    days = _period_days(days)
    if receivable <= 0:
        return 0.0
    if credit_sales == 0:
        return None
    return receivable / credit_sales * days


def dso_simple(receivable, credit_sales, days):
    """Days sales outstanding: receivable at period end / credit sales of the period * days.

    A receivable of zero or less (the customer is in credit) gives 0.0: nothing
    is outstanding. No credit sales with a receivable left gives ``None``.
    """
    return _days_of_sales(receivable, credit_sales, days)


def dso_countback(receivable, monthly_sales):
    """Days sales outstanding by the countback (exhaustion) method.

    ``monthly_sales`` is a sequence of ``(days_in_month, credit_sales)``, most
    recent month first. The receivable is matched against the sales month by
    month going back: a month whose sales are used up whole adds all its days;
    the month where the receivable runs out adds ``remaining / its sales * its
    days``. A month without sales adds its days and uses up nothing.

    When the receivable is larger than all the given sales, the result is the
    total of the days of all the months: a lower bound of the true figure,
    which needs older months. A receivable of zero or less gives 0.0; a
    positive receivable with no months at all gives ``None``.
    """
    if receivable is None or monthly_sales is None:
        return None
    remaining = _number(receivable, "receivable")
    months = []
    for index, month in enumerate(monthly_sales):
        if not isinstance(month, (tuple, list)) or len(month) != 2:
            raise ValueError(f"month {index} must be a pair (days, credit sales), got {month!r}")
        days, sales = month
        months.append(
            (
                _period_days(days, f"days of month {index}"),
                _not_negative(sales, f"credit sales of month {index}"),
            )
        )
    if remaining <= 0:
        return 0.0
    if not months:
        return None
    total_days = 0.0
    for days, sales in months:
        if remaining <= sales:
            return total_days + remaining / sales * days
        total_days += days
        remaining -= sales
    return total_days


def best_possible_dso(current_receivable, credit_sales, days):
    """Best possible DSO: the not-yet-due (current) receivable / credit sales * days.

    Same conventions as :func:`dso_simple`: zero or less gives 0.0, no credit
    sales gives ``None``.
    """
    return _days_of_sales(current_receivable, credit_sales, days)


def average_days_delinquent(dso, best_dso):
    """Average days delinquent: ``dso - best_dso``.

    ``None`` when either is ``None``. Not clamped: a negative result means
    the two figures do not come from the same receivable.
    """
    if dso is None or best_dso is None:
        return None
    return _not_negative(dso, "dso") - _not_negative(best_dso, "best possible dso")


def collection_effectiveness_index(
    opening_receivable, credit_sales, closing_receivable, closing_current_receivable
):
    """Collection effectiveness index (CEI) of one period, in percent.

    The common formula of the receivables literature, for a single period:

        (opening + credit sales - closing total) / (opening + credit sales - closing current) * 100

    where opening and closing are the total receivable at the start and the
    end of the period, credit sales are the credit sales of the whole period
    (not a monthly average) and "closing current" is the part of the closing
    receivable not yet due at the end of the period. The numerator is what was
    collected, the denominator what was collectible. ``None`` when nothing was
    collectible (the denominator is zero or less). Not clamped to 0-100.
    """
    figures = (opening_receivable, credit_sales, closing_receivable, closing_current_receivable)
    if any(figure is None for figure in figures):
        return None
    opening = _number(opening_receivable, "opening receivable")
    sales = _not_negative(credit_sales, "credit sales")
    closing = _number(closing_receivable, "closing receivable")
    current = _number(closing_current_receivable, "closing current receivable")
    collectible = opening + sales - current
    if collectible <= 0:
        return None
    return (opening + sales - closing) / collectible * 100


def share(part, total):
    """``part / total * 100``: the percentage of ``total`` that ``part`` is.

    ``None`` when the total is missing, zero or negative (a net credit has no
    meaningful shares). The part may be negative or larger than the total.
    """
    if part is None or total is None:
        return None
    part = _number(part, "part")
    total = _number(total, "total")
    if total <= 0:
        return None
    return part / total * 100


def _weighted_days(payments, days_of):
    """Amount-weighted average of ``days_of(invoice_date, due_date, paid_date)`` over ``payments``."""
    if payments is None:
        return None
    weighted = 0.0
    total = 0.0
    for index, payment in enumerate(payments):
        if not isinstance(payment, (tuple, list)) or len(payment) != 4:
            raise ValueError(
                f"payment {index} must be (invoice_date, due_date, paid_date, amount), got {payment!r}"
            )
        invoice_date, due_date, paid_date, amount = payment
        invoice_date = _date(invoice_date, "invoice date")
        due_date = invoice_date if due_date is None else _date(due_date, "due date")
        paid_date = _date(paid_date, "paid date")
        amount = _number(amount, "amount")
        if amount <= 0:
            raise ValueError(f"payment {index}: the amount must be more than 0, got {amount!r}")
        weighted += amount * days_of(invoice_date, due_date, paid_date)
        total += amount
    if not total:
        return None
    return weighted / total


def average_days_to_pay(payments):
    """Amount-weighted average of the days from invoice date to payment date.

    ``payments`` is an iterable of ``(invoice_date, due_date, paid_date, amount)``
    of paid invoices, amounts above 0. A payment before the invoice date (an
    advance) counts as 0 days. ``None`` for no payments.
    """
    return _weighted_days(payments, lambda invoiced, _due, paid: max((paid - invoiced).days, 0))


def average_days_beyond_terms(payments):
    """Amount-weighted average of the days from due date to payment date.

    Same ``payments`` as :func:`average_days_to_pay`. A payment on or before
    the due date counts as 0 days beyond terms (early payment is not negative
    lateness). A missing due date means due on the invoice date. ``None`` for
    no payments.
    """
    return _weighted_days(payments, lambda _invoiced, due, paid: max((paid - due).days, 0))


def bad_debt_ratio(written_off, credit_sales):
    """Bad debt ratio: receivables written off / credit sales of the period * 100.

    ``written_off`` is the gross amount written off (recoveries are not netted
    in), so it cannot be negative. No credit sales gives ``None``.
    """
    if written_off is None or credit_sales is None:
        return None
    written_off = _not_negative(written_off, "written off")
    credit_sales = _not_negative(credit_sales, "credit sales")
    if credit_sales == 0:
        return None
    return written_off / credit_sales * 100


def months_back(year, month, count):
    """The ``count`` calendar months ending with (year, month), most recent first.

    Each month is a pair ``(first_day, last_day)`` of dates; its length in days
    is ``(last_day - first_day).days + 1``. A count of 0 gives ``[]``.
    """
    for value, name in ((year, "year"), (month, "month"), (count, "count")):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{name} must be a whole number, got {value!r}")
    if not 1 <= month <= 12:
        raise ValueError(f"month must be from 1 to 12, got {month!r}")
    if count < 0:
        raise ValueError(f"count cannot be negative, got {count!r}")
    # Months counted from year 0: the n-th month back is index - n.
    index = year * 12 + month - 1
    if index - count + 1 < 12 or index >= 10000 * 12:
        raise ValueError(f"{count} months back from {year}-{month:02d} leave the years 1 to 9999")
    months = []
    for back in range(count):
        current_year, current_month = divmod(index - back, 12)
        current_month += 1
        last = calendar.monthrange(current_year, current_month)[1]
        months.append((date(current_year, current_month, 1), date(current_year, current_month, last)))
    return months
