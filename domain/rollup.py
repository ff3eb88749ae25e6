"""Folding new sales facts into per-unit, per-day totals along the org tree."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, tzinfo
from typing import NamedTuple

from domain.sales import SaleFact, SaleRecorded, SaleRefunded

_SIGN = {"sales.sale_recorded": 1, "sales.sale_refunded": -1}
_PAYMENT = "sales.payment_collected"
NO_DIMENSION = ""  # payments carry no category or channel


class RollupKey(NamedTuple):
    """One bucket: an org unit's sales on one business day for a category and channel
    (a tuple, so hashing it on the hot path stays in C)."""

    unit_id: str
    day: date
    category: str
    channel: str


@dataclass(slots=True)
class RollupDelta:
    """How much a batch changes one bucket (refunds make it negative)."""

    revenue_minor: int = 0
    units: int = 0
    premium_revenue_minor: int = 0
    premium_units: int = 0
    payments_minor: int = 0


def business_day(fact: SaleFact, zone: tzinfo) -> date:
    """The company's calendar day on which the fact happened."""
    return fact.occurred_at.astimezone(zone).date()


def fold_sales(
    facts: Iterable[SaleFact],
    chain_of: Callable[[str], tuple[str, ...]],
    zone: tzinfo,
) -> dict[RollupKey, RollupDelta]:
    """Sum sales and refunds into every unit from the rep up to HQ; other facts add nothing."""
    deltas: dict[tuple[str, date, str, str], RollupDelta] = {}
    chains: dict[str, tuple[str, ...]] = {}
    for fact in facts:
        # Compared by wire name: isinstance on pydantic models is slow on this hot path.
        sign = _SIGN.get(fact.type)  # type: ignore[attr-defined]
        if sign is None:
            if fact.type == _PAYMENT:  # type: ignore[attr-defined]
                _add_payment(deltas, fact, chain_of, zone)
            continue
        sale: SaleRecorded | SaleRefunded = fact  # type: ignore[assignment]
        day = business_day(fact, zone)
        chain = chains.get(fact.rep_id)
        if chain is None:
            chain = chains[fact.rep_id] = chain_of(fact.rep_id)
        for unit_id in chain:
            key = (unit_id, day, sale.category, sale.channel)
            delta = deltas.get(key)
            if delta is None:
                delta = deltas[key] = RollupDelta()
            delta.revenue_minor += sign * sale.amount_minor
            delta.units += sign * sale.quantity
            if sale.premium:
                delta.premium_revenue_minor += sign * sale.amount_minor
                delta.premium_units += sign * sale.quantity
    return {RollupKey(*key): delta for key, delta in deltas.items()}


def _add_payment(
    deltas: dict[tuple[str, date, str, str], RollupDelta],
    fact: SaleFact,
    chain_of: Callable[[str], tuple[str, ...]],
    zone: tzinfo,
) -> None:
    day = business_day(fact, zone)
    for unit_id in chain_of(fact.rep_id):
        key = (unit_id, day, NO_DIMENSION, NO_DIMENSION)
        delta = deltas.get(key)
        if delta is None:
            delta = deltas[key] = RollupDelta()
        delta.payments_minor += fact.amount_minor  # type: ignore[attr-defined]


def fold_customer_months(
    facts: Iterable[SaleFact],
    chain_of: Callable[[str], tuple[str, ...]],
    zone: tzinfo,
) -> dict[tuple[str, date, str], tuple[int, int]]:
    """(unit, first day of month, customer) -> (purchases, premium purchases) added by these
    sales, for every unit from the rep up to HQ (refunds do not undo a purchase)."""
    counts: dict[tuple[str, date, str], tuple[int, int]] = {}
    for fact in facts:
        if fact.type != "sales.sale_recorded":  # type: ignore[attr-defined]
            continue
        month = business_day(fact, zone).replace(day=1)
        premium = 1 if fact.premium else 0  # type: ignore[attr-defined]
        for unit_id in chain_of(fact.rep_id):
            key = (unit_id, month, fact.customer_id)
            purchases, premium_purchases = counts.get(key, (0, 0))
            counts[key] = (purchases + 1, premium_purchases + premium)
    return counts
