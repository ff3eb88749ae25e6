"""Folding new sales facts into per-unit, per-day totals along the org tree."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import NamedTuple

from domain.key_result.metrics import MetricTotals
from domain.sales import SaleFact

SALE, REFUND = "sales.sale_recorded", "sales.sale_refunded"  # compared by wire name
_SIGN = {SALE: 1, REFUND: -1}
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


class BusinessCalendar:
    """The company's calendar day of an instant. An instant's day is the same for a whole
    15-minute slice of UTC time whenever the zone's offset is a multiple of 15 minutes and does
    not change inside the slice (every zone in use today), so it is worked out once per slice;
    other slices (historical offsets, a slice with a transition) are converted one by one."""

    SLICE_S = 900
    MAX_SLICES = 100_000  # forgotten all at once beyond this (about three years of slices)

    def __init__(self, zone: tzinfo) -> None:
        self.zone = zone
        self._days: dict[int, date | None] = {}

    def day(self, at: datetime) -> date:
        slice_ = int(at.timestamp() // self.SLICE_S)
        try:
            day = self._days[slice_]
        except KeyError:
            if len(self._days) >= self.MAX_SLICES:
                self._days.clear()
            day = self._days[slice_] = self._slice_day(slice_)
        return day if day is not None else at.astimezone(self.zone).date()

    def _slice_day(self, slice_: int) -> date | None:
        first = datetime.fromtimestamp(slice_ * self.SLICE_S, UTC).astimezone(self.zone)
        last = (first + timedelta(seconds=self.SLICE_S - 1, microseconds=999_999)).astimezone(
            self.zone
        )
        offset = first.utcoffset()
        if offset is None or offset != last.utcoffset() or offset.total_seconds() % self.SLICE_S:
            return None
        return first.date()

    def dated(self, facts: Iterable[SaleFact]) -> list[DatedFact]:
        """Each fact with its business day (worked out once per fact for every fold)."""
        day = self.day
        return [(fact, day(fact.occurred_at)) for fact in facts]


DatedFact = tuple[SaleFact, date]


def fold_sales(
    facts: Iterable[DatedFact], chain_of: Callable[[str], tuple[str, ...]]
) -> dict[RollupKey, RollupDelta]:
    """Sum sales and refunds (and payments, leads, first orders) into every unit from the rep up
    to HQ: first per rep (one dictionary step per fact), then each rep's sums up the chain."""
    per_rep: dict[tuple[str, date, str, str, str], list[int]] = {}
    for fact, day in facts:
        # Compared by wire name: isinstance on pydantic models is slow on this hot path.
        kind: str = fact.type  # type: ignore[attr-defined]
        sign = _SIGN.get(kind)
        if sign is None:
            key = (fact.rep_id, day, NO_DIMENSION, NO_DIMENSION, NO_DIMENSION)
            row = per_rep.get(key)
            if row is None:
                row = per_rep[key] = [0, 0, 0, 0, 0, 0, 0]
            if kind == _PAYMENT:
                row[4] += fact.amount_minor  # type: ignore[attr-defined]
            elif kind == _LEAD:
                row[5] += 1
            elif kind == _FIRST_ORDER:
                row[6] += 1
            continue
        key = (fact.rep_id, day, fact.category, fact.sku, fact.channel)  # type: ignore[attr-defined]
        row = per_rep.get(key)
        if row is None:
            row = per_rep[key] = [0, 0, 0, 0, 0, 0, 0]
        amount = sign * fact.amount_minor  # type: ignore[attr-defined]
        quantity = sign * fact.quantity  # type: ignore[attr-defined]
        row[0] += amount
        row[1] += quantity
        if fact.premium:  # type: ignore[attr-defined]
            row[2] += amount
            row[3] += quantity
    deltas: dict[RollupKey, RollupDelta] = {}
    chains: dict[str, tuple[str, ...]] = {}
    for (rep_id, day, category, sku, channel), row in per_rep.items():
        chain = chains.get(rep_id)
        if chain is None:
            chain = chains[rep_id] = chain_of(rep_id)
        for unit_id in chain:
            key = RollupKey(unit_id, day, category, sku, channel)
            delta = deltas.get(key)
            if delta is None:
                deltas[key] = RollupDelta(*row)
            else:
                delta.revenue_minor += row[0]
                delta.units += row[1]
                delta.premium_revenue_minor += row[2]
                delta.premium_units += row[3]
                delta.payments_minor += row[4]
                delta.leads += row[5]
                delta.first_orders += row[6]
    return deltas


def fold_customer_months(
    facts: Iterable[DatedFact], chain_of: Callable[[str], tuple[str, ...]]
) -> dict[CustomerMonthKey, list[int]]:
    """(unit, first day of month, customer) -> [purchases, premium purchases] added by these
    sales, for every unit from the rep up to HQ (counted per rep first)."""
    per_rep: dict[tuple[str, date, str], list[int]] = {}
    for fact, day in facts:
        if fact.type != SALE:  # type: ignore[attr-defined]
            continue
        key = (fact.rep_id, day.replace(day=1), fact.customer_id)
        row = per_rep.get(key)
        if row is None:
            row = per_rep[key] = [0, 0]
        row[0] += 1
        if fact.premium:  # type: ignore[attr-defined]
            row[1] += 1
    counts: dict[CustomerMonthKey, list[int]] = {}
    chains: dict[str, tuple[str, ...]] = {}
    for (rep_id, month, customer_id), (purchases, premium) in per_rep.items():
        chain = chains.get(rep_id)
        if chain is None:
            chain = chains[rep_id] = chain_of(rep_id)
        for unit_id in chain:
            _add_purchase(counts, (unit_id, month, customer_id), purchases, premium)
    return counts


CustomerMonthKey = tuple[str, date, str]
ScenarioKey = tuple[str, date, str]  # (unit, business day, scenario)


def fold_scenarios(
    facts: Iterable[DatedFact], chain_of: Callable[[str], tuple[str, ...]]
) -> dict[ScenarioKey, list[int]]:
    """(unit, day, scenario) -> [leads, first orders] of the leads and first orders that name a
    scenario, for every unit from the rep up to HQ."""
    per_rep: dict[ScenarioKey, list[int]] = {}
    for fact, day in facts:
        kind: str = fact.type  # type: ignore[attr-defined]
        if kind not in (_LEAD, _FIRST_ORDER):
            continue
        scenario = fact.scenario  # type: ignore[attr-defined]
        if scenario is None:
            continue
        row = per_rep.setdefault((fact.rep_id, day, scenario), [0, 0])
        row[0 if kind == _LEAD else 1] += 1
    counts: dict[ScenarioKey, list[int]] = {}
    for (rep_id, day, scenario), (leads, orders) in per_rep.items():
        for unit_id in chain_of(rep_id):
            row = counts.setdefault((unit_id, day, scenario), [0, 0])
            row[0] += leads
            row[1] += orders
    return counts


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
