"""The sale-order credit gate: may this order be confirmed, and if not, why.

The decision is pure data in, data out. Wording and translation stay in the
ORM layer, which turns each :class:`Reason` into a message.
"""

import math
from dataclasses import dataclass, field

MODE_OFF = "off"
MODE_WARN = "warn"
MODE_BLOCK = "block"
MODES = (MODE_OFF, MODE_WARN, MODE_BLOCK)

REASON_HOLD = "on_hold"
REASON_LIMIT = "over_limit"
REASON_OVERDUE = "overdue"


@dataclass(frozen=True)
class GateInput:
    """Everything the gate looks at, in company currency."""

    mode: str = MODE_BLOCK
    credit_limit: float = 0.0  # 0 (or less) means "no limit"
    exposure: float = 0.0  # current exposure, without this order
    order_amount: float = 0.0  # this order, tax included
    on_hold: bool = False
    oldest_overdue_days: int = 0
    overdue_threshold: int = 60  # an item more than this many days late blocks
    approved_amount: float | None = None  # a valid approval for this order
    rounding: float = 0.01  # the company currency's rounding: the one money tolerance


@dataclass(frozen=True)
class Reason:
    code: str
    excess: float = 0.0  # over_limit: by how much
    days: int = 0  # overdue: days of the oldest overdue item


@dataclass(frozen=True)
class GateDecision:
    reasons: tuple = field(default_factory=tuple)
    blocking: bool = False  # True: refuse the confirmation
    approved: bool = False  # an approval lifted the reasons
    exposure_after: float = 0.0
    remaining: float | None = None  # credit left after this order

    @property
    def passes(self):
        return not self.blocking

    @property
    def codes(self):
        return tuple(reason.code for reason in self.reasons)


def check_input(data):
    """Raise ``ValueError`` on input the gate cannot judge."""
    if data.mode not in MODES:
        raise ValueError(f"unknown gate mode {data.mode!r}")
    if data.credit_limit < 0:
        raise ValueError("credit limit cannot be negative")
    if data.overdue_threshold < 0:
        raise ValueError("overdue threshold cannot be negative")
    if not data.rounding > 0:
        raise ValueError("the currency rounding must be positive")


def find_reasons(data):
    """Every rule the order breaks, most serious first."""
    reasons = []
    if data.on_hold:
        reasons.append(Reason(REASON_HOLD))
    exposure_after = data.exposure + data.order_amount
    if data.credit_limit > 0 and exceeds(exposure_after, data.credit_limit, data.rounding):
        reasons.append(Reason(REASON_LIMIT, excess=exposure_after - data.credit_limit))
    if data.oldest_overdue_days > data.overdue_threshold:
        reasons.append(Reason(REASON_OVERDUE, days=data.oldest_overdue_days))
    return tuple(reasons)


def exceeds(amount, bound, rounding):
    """``amount`` is more than ``bound`` once their difference is rounded to the currency's
    ``rounding`` (half up, as Odoo's ``float_compare``): sums of floats never refuse an order
    for less than half a cent."""
    return math.floor((amount - bound) / rounding + 0.5) > 0


def approval_covers(approved_amount, order_amount, rounding=0.01):
    """An approval covers the order while the order does not exceed it."""
    return approved_amount is not None and not exceeds(order_amount, approved_amount, rounding)


def decide(data):
    """Return the :class:`GateDecision` for ``data``."""
    check_input(data)
    exposure_after = data.exposure + data.order_amount
    remaining = data.credit_limit - exposure_after if data.credit_limit > 0 else None
    if data.mode == MODE_OFF:
        return GateDecision(exposure_after=exposure_after, remaining=remaining)
    reasons = find_reasons(data)
    approved = bool(reasons) and approval_covers(data.approved_amount, data.order_amount, data.rounding)
    blocking = bool(reasons) and data.mode == MODE_BLOCK and not approved
    return GateDecision(
        reasons=reasons,
        blocking=blocking,
        approved=approved,
        exposure_after=exposure_after,
        remaining=remaining,
    )
