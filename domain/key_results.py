"""Key results bound to a sales metric, and how their progress is computed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import Field, model_validator

from domain.messages import DomainError, Message
from domain.sales import Identifier

Metric = Literal[
    "revenue",
    "units",
    "premium_share",
    "collection_rate",
    "distinct_customers",
    "monthly_repeat_buyers",
    "premium_monthly_repeat_buyers",
]
CUSTOMER_METRICS = ("distinct_customers", "monthly_repeat_buyers", "premium_monthly_repeat_buyers")
KrKind = Literal["increase", "decrease", "stay_above", "stay_below", "milestone"]
METRIC_UNITS: dict[str, str] = {
    "revenue": "CNY",
    "units": "units",
    "premium_share": "%",
    "collection_rate": "%",
    "distinct_customers": "customers",
    "monthly_repeat_buyers": "customers",
    "premium_monthly_repeat_buyers": "customers",
}


class MetricKeyResult(Message):
    """A KR whose current value is computed from sales in its owner's org subtree."""

    id: Identifier
    title: str = Field(min_length=1, max_length=300)
    owner_unit_id: Identifier
    metric: Metric
    kind: KrKind = "increase"
    start: Decimal
    target: Decimal
    window_start: date
    window_end: date
    category: Identifier | None = None
    channel: Literal["retail", "wholesale", "ecommerce", "horeca"] | None = None

    @model_validator(mode="after")
    def _coherent(self) -> MetricKeyResult:
        if self.window_end < self.window_start:
            raise ValueError("window_end is before window_start")
        if self.kind in ("increase", "decrease") and self.start == self.target:
            raise ValueError("start and target are equal: progress would be undefined")
        if self.kind == "increase" and self.target < self.start:
            raise ValueError("an increase KR needs target > start")
        if self.kind == "decrease" and self.target > self.start:
            raise ValueError("a decrease KR needs target < start")
        return self


class MetricTotals(Message):
    """Sums of sales figures over some slice of org, time, category and channel."""

    revenue_minor: int = 0
    units: int = 0
    premium_revenue_minor: int = 0
    payments_minor: int = 0
    distinct_customers: int = 0
    repeat_buyers: int = 0
    premium_repeat_buyers: int = 0


def metric_value(metric: Metric, totals: MetricTotals) -> Decimal:
    """The KR's actual value: revenue in CNY; units; premium share of revenue and collection
    rate (payments / revenue) in percent; distinct customers in the window; customers buying
    at least twice (premium products, for the premium variant) in the window's latest month."""
    if metric == "revenue":
        return Decimal(totals.revenue_minor) / 100
    if metric == "units":
        return Decimal(totals.units)
    if metric == "distinct_customers":
        return Decimal(totals.distinct_customers)
    if metric == "monthly_repeat_buyers":
        return Decimal(totals.repeat_buyers)
    if metric == "premium_monthly_repeat_buyers":
        return Decimal(totals.premium_repeat_buyers)
    if totals.revenue_minor <= 0:
        return Decimal(0)
    part = totals.premium_revenue_minor if metric == "premium_share" else totals.payments_minor
    return (Decimal(part) * 100 / Decimal(totals.revenue_minor)).quantize(Decimal("0.0001"))


def progress_percent(kind: KrKind, start: Decimal, target: Decimal, actual: Decimal) -> Decimal:
    """Uncapped progress in percent: increase (A-S)/(T-S), decrease (S-A)/(S-T), others 0/100."""
    if kind == "increase":
        if target == start:
            raise DomainError("start equals target")
        value = (actual - start) * 100 / (target - start)
    elif kind == "decrease":
        if target == start:
            raise DomainError("start equals target")
        value = (start - actual) * 100 / (start - target)
    elif kind in ("stay_above", "milestone"):
        value = Decimal(100 if actual >= target else 0)
    else:
        value = Decimal(100 if actual <= target else 0)
    return value.quantize(Decimal("0.01"))


def display_percent(uncapped: Decimal) -> Decimal:
    """Progress as shown on a board: clamped to 0..100."""
    return min(max(uncapped, Decimal(0)), Decimal(100))
