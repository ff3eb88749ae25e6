"""The answers a projection must give, computed the plain way from the facts themselves: no
roll-ups, no SQL, none of the projection's code (a second, independent implementation)."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from domain.catalog import CompanyCatalog
from domain.key_result.metrics import MetricKeyResult
from domain.sales import (
    CustomerFirstOrder,
    LeadRegistered,
    PaymentCollected,
    SaleFact,
    SaleRecorded,
    SaleRefunded,
)

ZONE = ZoneInfo("Asia/Shanghai")


def first_copies(facts: Iterable[SaleFact]) -> list[SaleFact]:
    seen: set[tuple[str, str, str]] = set()
    out = []
    for fact in facts:
        identity = (fact.type, fact.source_system, fact.source_id)  # type: ignore[attr-defined]
        if identity not in seen:
            seen.add(identity)
            out.append(fact)
    return out


def chain(company: CompanyCatalog, rep_id: str) -> list[str]:
    parent = {u.id: u.parent_id for u in company.units}
    out: list[str] = []
    unit: str | None = rep_id
    while unit is not None:
        out.append(unit)
        unit = parent[unit]
    return out


def day_of(fact: SaleFact) -> date:
    return fact.occurred_at.astimezone(ZONE).date()


def counted_days(kr: MetricKeyResult, today: date) -> tuple[date, date]:
    held = min(max(today, kr.window_start), kr.window_end)
    if kr.window == "cycle":
        return kr.window_start, kr.window_end
    if kr.window == "calendar_month":
        first = held.replace(day=1)
        last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        return max(first, kr.window_start), min(last, kr.window_end)
    assert kr.rolling_days
    return held - timedelta(days=kr.rolling_days - 1), held


def linear_pacing(day: date, window: tuple[date, date]) -> Decimal:
    """The documented linear pacing line: the share of the window's days elapsed by the end of
    `day` (the first day counts), in percent to the cent; 0 before the window, 100 after it."""
    days = (window[1] - window[0]).days + 1
    elapsed = min(max((day - window[0]).days + 1, 0), days)
    return (Decimal(100 * elapsed) / days).quantize(Decimal("0.01"))


def unit_totals(company: CompanyCatalog, facts: Iterable[SaleFact]) -> dict[str, dict]:
    totals: dict[str, dict[str, int]] = defaultdict(
        lambda: {"revenue_minor": 0, "units": 0, "premium_revenue_minor": 0}
    )
    for fact in first_copies(facts):
        if not isinstance(fact, SaleRecorded | SaleRefunded):
            continue
        sign = 1 if isinstance(fact, SaleRecorded) else -1
        for unit in chain(company, fact.rep_id):
            totals[unit]["revenue_minor"] += sign * fact.amount_minor
            totals[unit]["units"] += sign * fact.quantity
            totals[unit]["premium_revenue_minor"] += sign * fact.amount_minor * fact.premium
    return dict(totals)


def still_bought(facts: list[SaleFact]) -> list[SaleRecorded]:
    """The sales not wholly refunded (refunds add up per sale)."""
    sales = {f"{f.source_system}|{f.source_id}": f for f in facts if isinstance(f, SaleRecorded)}
    refunded: dict[str, int] = defaultdict(int)
    for fact in facts:
        if isinstance(fact, SaleRefunded):
            refunded[f"{fact.source_system}|{fact.sale_source_id}"] += fact.quantity
    return [s for key, s in sales.items() if refunded[key] < s.quantity]


def churn(
    company: CompanyCatalog, facts: Iterable[SaleFact], unit_id: str, month: date
) -> dict[str, int]:
    """The unit's customers who bought in the month before `month` and in `month` (company
    time), lost and gained, counted from the sales themselves."""
    previous = (month.replace(day=1) - timedelta(days=1)).replace(day=1)
    buyers: dict[date, set[str]] = defaultdict(set)
    for sale in still_bought(first_copies(facts)):
        if unit_id in chain(company, sale.rep_id):
            buyers[day_of(sale).replace(day=1)].add(sale.customer_id)
    before, now = buyers[previous], buyers[month.replace(day=1)]
    return {
        "active_before": len(before),
        "active_now": len(now),
        "churned": len(before - now),
        "gained": len(now - before),
    }


def conversion_by_scenario(
    company: CompanyCatalog, facts: Iterable[SaleFact], unit_id: str, first: date, last: date
) -> dict[str, tuple[int, int]]:
    """Scenario -> (leads, first orders) of the unit's subtree on business days first..last,
    counting only the facts that name a scenario."""
    counted: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for fact in first_copies(facts):
        scenario = getattr(fact, "scenario", None)
        if scenario is None or not first <= day_of(fact) <= last:
            continue
        if unit_id not in chain(company, fact.rep_id):
            continue
        if isinstance(fact, LeadRegistered):
            counted[scenario][0] += 1
        elif isinstance(fact, CustomerFirstOrder):
            counted[scenario][1] += 1
    return {k: (v[0], v[1]) for k, v in counted.items() if v != [0, 0]}


def kr_actuals(
    company: CompanyCatalog, facts: Iterable[SaleFact], today: date | None = None
) -> dict[str, Decimal]:
    """Every KR's value on business day `today` (default: the day of the latest fact)."""
    facts = first_copies(facts)
    if today is None:
        today = max(f.occurred_at for f in facts).astimezone(ZONE).date()
    bought = still_bought(facts)
    return {kr.id: _value(company, kr, facts, bought, today) for kr in company.key_results}


def _value(
    company: CompanyCatalog,
    kr: MetricKeyResult,
    facts: list[SaleFact],
    still_bought: list[SaleRecorded],
    today: date,
) -> Decimal:
    first, last = counted_days(kr, today)

    def mine(fact: SaleFact) -> bool:
        return kr.owner_unit_id in chain(company, fact.rep_id)

    def counted(fact: SaleFact) -> bool:
        return mine(fact) and first <= day_of(fact) <= last

    def product(fact: SaleRecorded | SaleRefunded) -> bool:
        return (
            kr.category in (None, fact.category)
            and (kr.skus is None or fact.sku in kr.skus)
            and kr.channel in (None, fact.channel)
        )

    revenue = units = premium = 0
    for fact in facts:
        if isinstance(fact, SaleRecorded | SaleRefunded) and counted(fact) and product(fact):
            sign = 1 if isinstance(fact, SaleRecorded) else -1
            revenue += sign * fact.amount_minor
            units += sign * fact.quantity
            premium += sign * fact.amount_minor * fact.premium
    if kr.metric == "revenue":
        return Decimal(revenue) / 100
    if kr.metric == "units":
        return Decimal(units)
    if kr.metric in ("premium_share", "collection_rate"):
        if revenue <= 0:
            return Decimal(0)
        part = premium
        if kr.metric == "collection_rate":
            paid = [f for f in facts if isinstance(f, PaymentCollected) and counted(f)]
            part = sum(f.amount_minor for f in paid)
        return (Decimal(part) * 100 / Decimal(revenue)).quantize(Decimal("0.0001"))
    if kr.metric == "first_order_conversion":
        leads = sum(1 for f in facts if isinstance(f, LeadRegistered) and counted(f))
        orders = sum(1 for f in facts if isinstance(f, CustomerFirstOrder) and counted(f))
        if not leads:
            return Decimal(0)
        return (Decimal(orders) * 100 / Decimal(leads)).quantize(Decimal("0.0001"))
    bought = [s for s in still_bought if mine(s)]
    in_months = [s for s in bought if first.replace(day=1) <= day_of(s).replace(day=1) <= last]
    if kr.metric == "distinct_customers":
        return Decimal(len({s.customer_id for s in in_months}))
    if kr.metric == "high_value_customer_penetration":
        customers = {s.customer_id for s in in_months}
        premium = {s.customer_id for s in in_months if s.premium}
        if not customers:
            return Decimal(0)
        return (Decimal(len(premium)) * 100 / Decimal(len(customers))).quantize(Decimal("0.0001"))
    month = min(max(today, kr.window_start), kr.window_end).replace(day=1)
    per_customer: dict[str, int] = defaultdict(int)
    for sale in bought:
        if day_of(sale).replace(day=1) == month and (
            kr.metric == "monthly_repeat_buyers" or sale.premium
        ):
            per_customer[sale.customer_id] += 1
    return Decimal(sum(1 for n in per_customer.values() if n >= 2))


def kaplan_meier(waits: list[tuple[float, bool]]) -> dict:
    """Response times with open requests counted, `waits` being (hours, done): Kaplan-Meier by
    its definition: at each time a step came, the share still waiting is
    multiplied by 1 - (steps then) / (requests that had waited at least that long); a
    quantile is the first time the share is at or below its level (floating point allowed)."""
    share, median, p90 = 1.0, None, None
    for t in sorted({h for h, done in waits if done}):
        at_risk = sum(1 for h, _ in waits if h >= t)
        share *= 1 - sum(1 for h, done in waits if done and h == t) / at_risk
        median = median if median is not None or share > 0.5 + 1e-9 else round(t, 2)
        p90 = p90 if p90 is not None or share > 0.1 + 1e-9 else round(t, 2)
    done = [h for h, came in waits if came]
    return {
        "count": len(waits),
        "done": len(done),
        "still_open": len(waits) - len(done),
        "median": median,
        "p90": p90,
        "mean_of_done": round(statistics.fmean(done), 2) if done else None,
    }
