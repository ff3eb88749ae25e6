"""Folding new sales facts into per-unit, per-day totals along the org tree."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, tzinfo

from domain.sales import SaleFact, SaleRecorded, SaleRefunded


@dataclass(frozen=True, slots=True)
class RollupKey:
    """One bucket: an org unit's sales on one business day for a category and channel."""

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


def business_day(fact: SaleFact, zone: tzinfo) -> date:
    """The company's calendar day on which the fact happened."""
    return fact.occurred_at.astimezone(zone).date()


def fold_sales(
    facts: Iterable[SaleFact],
    chain_of: Callable[[str], tuple[str, ...]],
    zone: tzinfo,
) -> dict[RollupKey, RollupDelta]:
    """Sum sales and refunds into every unit from the rep up to HQ; other facts add nothing."""
    deltas: dict[RollupKey, RollupDelta] = {}
    for fact in facts:
        if isinstance(fact, SaleRecorded):
            sign = 1
        elif isinstance(fact, SaleRefunded):
            sign = -1
        else:
            continue
        day = business_day(fact, zone)
        for unit_id in chain_of(fact.rep_id):
            key = RollupKey(unit_id, day, fact.category, fact.channel)
            delta = deltas.get(key)
            if delta is None:
                delta = deltas[key] = RollupDelta()
            delta.revenue_minor += sign * fact.amount_minor
            delta.units += sign * fact.quantity
            if fact.premium:
                delta.premium_revenue_minor += sign * fact.amount_minor
                delta.premium_units += sign * fact.quantity
    return deltas
