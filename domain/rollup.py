"""Folding new sales facts into per-unit, per-day totals along the org tree."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, tzinfo
from typing import NamedTuple

from domain.key_results import MetricTotals
from domain.sales import SaleFact, SaleRecorded, SaleRefunded

_SIGN = {"sales.sale_recorded": 1, "sales.sale_refunded": -1}
_PAYMENT = "sales.payment_collected"
_FIRST_ORDER = "sales.customer_first_order"
_LEAD = "sales.lead_registered"
NO_DIMENSION = ""  # payments, leads and first orders carry no category, SKU or channel


class RollupKey(NamedTuple):
    """One bucket: an org unit's sales on one business day for a SKU (of a category) and channel
    (a tuple, so hashing it on the hot path stays in C)."""

    unit_id: str
    day: date
    category: str
    sku: str
    channel: str


@dataclass(slots=True)
class RollupDelta:
    """How much a batch changes one bucket (refunds make it negative)."""

    revenue_minor: int = 0
    units: int = 0
    premium_revenue_minor: int = 0
    premium_units: int = 0
    payments_minor: int = 0
    leads: int = 0
    first_orders: int = 0


def business_day(fact: SaleFact, zone: tzinfo) -> date:
    """The company's calendar day on which the fact happened."""
    return fact.occurred_at.astimezone(zone).date()


def fold_sales(
    facts: Iterable[SaleFact],
    chain_of: Callable[[str], tuple[str, ...]],
    zone: tzinfo,
) -> dict[RollupKey, RollupDelta]:
    """Sum sales and refunds (and payments, leads, first orders) into every unit from the rep up
    to HQ."""
    deltas: dict[tuple[str, date, str, str, str], RollupDelta] = {}
    chains: dict[str, tuple[str, ...]] = {}
    for fact in facts:
        # Compared by wire name: isinstance on pydantic models is slow on this hot path.
        kind: str = fact.type  # type: ignore[attr-defined]
        sign = _SIGN.get(kind)
        day = business_day(fact, zone)
        chain = chains.get(fact.rep_id)
        if chain is None:
            chain = chains[fact.rep_id] = chain_of(fact.rep_id)
        if sign is None:
            _add_undimensioned(deltas, fact, kind, chain, day)
            continue
        sale: SaleRecorded | SaleRefunded = fact  # type: ignore[assignment]
        for unit_id in chain:
            key = (unit_id, day, sale.category, sale.sku, sale.channel)
            delta = deltas.get(key)
            if delta is None:
                delta = deltas[key] = RollupDelta()
            delta.revenue_minor += sign * sale.amount_minor
            delta.units += sign * sale.quantity
            if sale.premium:
                delta.premium_revenue_minor += sign * sale.amount_minor
                delta.premium_units += sign * sale.quantity
    return {RollupKey(*key): delta for key, delta in deltas.items()}


def _add_undimensioned(
    deltas: dict[tuple[str, date, str, str, str], RollupDelta],
    fact: SaleFact,
    kind: str,
    chain: tuple[str, ...],
    day: date,
) -> None:
    for unit_id in chain:
        key = (unit_id, day, NO_DIMENSION, NO_DIMENSION, NO_DIMENSION)
        delta = deltas.get(key)
        if delta is None:
            delta = deltas[key] = RollupDelta()
        if kind == _PAYMENT:
            delta.payments_minor += fact.amount_minor  # type: ignore[attr-defined]
        elif kind == _FIRST_ORDER:
            delta.first_orders += 1
        elif kind == _LEAD:
            delta.leads += 1


def fold_customer_months(
    facts: Iterable[SaleFact],
    chain_of: Callable[[str], tuple[str, ...]],
    zone: tzinfo,
) -> dict[CustomerMonthKey, list[int]]:
    """(unit, first day of month, customer) -> [purchases, premium purchases] added by these
    sales, for every unit from the rep up to HQ."""
    counts: dict[CustomerMonthKey, list[int]] = {}
    for fact in facts:
        if fact.type != "sales.sale_recorded":  # type: ignore[attr-defined]
            continue
        month = business_day(fact, zone).replace(day=1)
        premium = 1 if fact.premium else 0  # type: ignore[attr-defined]
        for unit_id in chain_of(fact.rep_id):
            _add_purchase(counts, (unit_id, month, fact.customer_id), 1, premium)
    return counts


CustomerMonthKey = tuple[str, date, str]


@dataclass(frozen=True, slots=True)
class Purchase:
    """What is remembered of each sale so that a later refund can take the purchase back."""

    rep_id: str
    customer_id: str
    month: date
    premium: bool
    quantity: int
    refunded: int  # quantity refunded before this batch


def undo_refunded_purchases(
    purchases: dict[str, Purchase],
    refunds: Iterable[tuple[str, int]],
    chain_of: Callable[[str], tuple[str, ...]],
    into: dict[CustomerMonthKey, list[int]],
) -> dict[str, int]:
    """Apply refunds (sale key, quantity) to the sales they name: a purchase stops counting for
    its customer, in the month of the sale, once its whole quantity has been refunded (partial
    refunds add up). Adds the -1s to `into`; returns the new refunded quantity per sale key."""
    refunded: dict[str, int] = {}
    for sale_key, quantity in refunds:
        purchase = purchases[sale_key]
        before = refunded.get(sale_key, purchase.refunded)
        after = before + quantity
        refunded[sale_key] = after
        if before < purchase.quantity <= after:
            premium = -1 if purchase.premium else 0
            for unit_id in chain_of(purchase.rep_id):
                _add_purchase(into, (unit_id, purchase.month, purchase.customer_id), -1, premium)
    return refunded


def _add_purchase(
    counts: dict[CustomerMonthKey, list[int]], key: CustomerMonthKey, n: int, premium: int
) -> None:
    current = counts.get(key)
    if current is None:
        counts[key] = [n, premium]
    else:
        current[0] += n
        current[1] += premium


@dataclass(frozen=True, slots=True)
class SalesScope:
    """The roll-up rows a KR counts: its owner's, on the days of its window, for its product
    and channel filters (rows without a product, i.e. payments, leads and first orders,
    always count)."""

    unit_id: str
    first_day: date
    last_day: date
    category: str | None = None
    skus: frozenset[str] | None = None
    channel: str | None = None


def scope_totals(
    deltas: Iterable[tuple[RollupKey, RollupDelta]], scope: SalesScope
) -> MetricTotals:
    """What `deltas` (of the scope's unit) add to the scope's sums."""
    out = MetricTotals()
    for key, delta in deltas:
        if not scope.first_day <= key.day <= scope.last_day:
            continue
        if key.sku != NO_DIMENSION and (
            (scope.category is not None and key.category != scope.category)
            or (scope.skus is not None and key.sku not in scope.skus)
            or (scope.channel is not None and key.channel != scope.channel)
        ):
            continue
        out.revenue_minor += delta.revenue_minor
        out.units += delta.units
        out.premium_revenue_minor += delta.premium_revenue_minor
        out.payments_minor += delta.payments_minor
        out.leads += delta.leads
        out.first_orders += delta.first_orders
    return out
