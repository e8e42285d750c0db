"""Exposure arithmetic: what a customer owes us and will owe us."""

from dataclasses import dataclass


@dataclass(frozen=True)
class ExposureParts:
    """The figures the ORM layer gathers for one customer, company currency.

    ``receivable``: open posted receivables, credit notes and unreconciled
    payments netted. ``draft_invoices``: draft customer invoices whose lines
    do not come from a sale order. ``draft_from_orders``: draft invoice lines
    that do come from a sale order (counted once: with the orders when those
    count, else here). ``orders``: confirmed orders not yet invoiced, tax
    included, converted at the order's rate.
    """

    receivable: float = 0.0
    draft_invoices: float = 0.0
    draft_from_orders: float = 0.0
    orders: float = 0.0


@dataclass(frozen=True)
class ExposurePolicy:
    """Which parts a company counts (receivables always count)."""

    include_draft_invoices: bool = True
    include_orders: bool = True


def draft_part(parts, policy):
    """The draft-invoice share of exposure under ``policy``."""
    if not policy.include_draft_invoices:
        return 0.0
    if policy.include_orders:
        # Lines invoiced from an order are still inside the order's
        # amount to invoice until the invoice is posted: count them once.
        return parts.draft_invoices
    return parts.draft_invoices + parts.draft_from_orders


def orders_part(parts, policy):
    """The confirmed-orders share of exposure under ``policy``."""
    return parts.orders if policy.include_orders else 0.0


def total_exposure(parts, policy):
    """Receivables + drafts + orders, as the company's policy says."""
    return parts.receivable + draft_part(parts, policy) + orders_part(parts, policy)


def available_credit(limit, exposure):
    """What remains under the limit; ``None`` when there is no limit."""
    if not limit:
        return None
    return limit - exposure


def days_sales_outstanding(receivable, invoiced_total, days_since_first_invoice):
    """DSO: open receivable over everything invoiced, times the days covered.

    0 when nothing was invoiced yet (no history, no meaningful DSO).
    """
    if invoiced_total <= 0 or days_since_first_invoice <= 0:
        return 0.0
    return receivable / invoiced_total * days_since_first_invoice
