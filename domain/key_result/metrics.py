"""Key results bound to a sales metric, and how their progress is computed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field, model_validator

from domain.kernel import DomainError, Identifier, Message

Metric = Literal[
    "revenue",
    "units",
    "premium_share",
    "collection_rate",
    "first_order_conversion",
    "distinct_customers",
    "monthly_repeat_buyers",
    "premium_monthly_repeat_buyers",
    "high_value_customer_penetration",
]
CUSTOMER_METRICS = (
    "distinct_customers",
    "monthly_repeat_buyers",
    "premium_monthly_repeat_buyers",
    "high_value_customer_penetration",
)
# Payments, leads and first orders carry no product or channel, and customer counts are kept per
# unit and month only: these metrics cannot filter by product or channel.
UNFILTERED_METRICS = ("collection_rate", "first_order_conversion")
KrKind = Literal["increase", "decrease", "stay_above", "stay_below", "milestone"]
WindowKind = Literal["cycle", "calendar_month", "rolling_days"]
Channel = Literal["retail", "wholesale", "ecommerce", "horeca"]
METRIC_UNITS: dict[str, str] = {
    "revenue": "CNY",
    "units": "units",
    "premium_share": "%",
    "collection_rate": "%",
    "first_order_conversion": "%",
    "distinct_customers": "customers",
    "monthly_repeat_buyers": "customers",
    "premium_monthly_repeat_buyers": "customers",
    "high_value_customer_penetration": "%",
}
Weight = Annotated[Decimal, Field(ge=0, le=1000)]


class MetricScope(Message):
    """What a metric-bound KR measures: a sales metric over the owner's org subtree, within a
    window of the KR's cycle (`window_start`..`window_end`), optionally filtered by product
    category, SKU set and channel, with an optional phased pacing plan."""

    metric: Metric
    window_start: date
    window_end: date
    window: WindowKind = Field(
        default="cycle",
        description="cycle: the whole window; calendar_month: the month of the evaluation day;"
        " rolling_days: the `rolling_days` days up to the evaluation day",
    )
    rolling_days: int | None = Field(default=None, ge=1, le=366)
    category: Identifier | None = None
    skus: tuple[Identifier, ...] | None = Field(default=None, min_length=1, max_length=200)
    channel: Channel | None = None
    monthly_pacing: tuple[Weight, ...] | None = Field(
        default=None,
        description="relative weight of each calendar month of the window (a phased plan);"
        " linear pacing when absent",
    )

    @model_validator(mode="after")
    def _coherent_scope(self) -> MetricScope:
        if self.window_end < self.window_start:
            raise ValueError("window_end is before window_start")
        if (self.window == "rolling_days") != (self.rolling_days is not None):
            raise ValueError("rolling_days is required with window rolling_days, and only then")
        if self.window == "rolling_days" and self.metric in CUSTOMER_METRICS:
            raise ValueError(
                f"{self.metric} is counted per calendar month: use window cycle or calendar_month"
            )
        if self.metric in UNFILTERED_METRICS + CUSTOMER_METRICS and (
            self.category or self.skus or self.channel
        ):
            raise ValueError(f"{self.metric} has no product or channel: drop the filter")
        if self.skus is not None and len(set(self.skus)) != len(self.skus):
            raise ValueError("skus lists a SKU twice")
        if self.monthly_pacing is not None:
            months = len(months_of(self.window_start, self.window_end))
            if len(self.monthly_pacing) != months:
                raise ValueError(
                    f"monthly_pacing needs one weight per calendar month of the window ({months})"
                )
            if sum(self.monthly_pacing) <= 0:
                raise ValueError("monthly_pacing weights are all zero")
        return self

    @property
    def window_spec(self) -> WindowSpec:
        return WindowSpec(self.window, self.window_start, self.window_end, self.rolling_days)


def months_of(start: date, end: date) -> list[date]:
    """First days of the calendar months that `start`..`end` touches."""
    months, month = [], start.replace(day=1)
    while month <= end:
        months.append(month)
        month = next_month(month)
    return months


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


@dataclass(frozen=True, slots=True)
class WindowSpec:
    """A KR's window as stored: the cycle's days and how the counted days are chosen."""

    kind: WindowKind
    start: date
    end: date
    rolling_days: int | None = None

    def effective(self, today: date) -> tuple[date, date]:
        """The days whose sales count on business day `today`: the whole window, the calendar
        month of `today`, or the rolling days up to it (`today` held inside the window, so a
        window that has not started counts its first month or days)."""
        day = min(max(today, self.start), self.end)
        if self.kind == "cycle":
            return self.start, self.end
        if self.kind == "calendar_month":
            first = day.replace(day=1)
            return max(first, self.start), min(next_month(first) - timedelta(days=1), self.end)
        assert self.rolling_days is not None
        return day - timedelta(days=self.rolling_days - 1), day

    def repeat_month(self, today: date) -> date:
        """The calendar month in which repeat buyers are counted: the month of `today`, held
        inside the window."""
        return min(max(today, self.start), self.end).replace(day=1)


class MetricKeyResult(MetricScope):
    """A KR whose current value is computed from sales in its owner's org subtree."""

    id: Identifier
    title: str = Field(min_length=1, max_length=300)
    owner_unit_id: Identifier
    owner_person_id: Identifier | None = Field(
        default=None, description="who owns it; default: the person heading its unit"
    )
    kind: KrKind = "increase"
    start: Decimal
    target: Decimal

    @property
    def unit(self) -> str:
        return METRIC_UNITS[self.metric]

    def scope(self) -> MetricScope:
        """What it measures, as a KR's binding."""
        return MetricScope.model_validate(self.model_dump(include=set(MetricScope.model_fields)))

    @model_validator(mode="after")
    def _coherent(self) -> MetricKeyResult:
        if self.kind in ("increase", "decrease") and self.start == self.target:
            raise ValueError("start and target are equal: progress would be undefined")
        if self.kind == "increase" and self.target < self.start:
            raise ValueError("an increase KR needs target > start")
        if self.kind == "decrease" and self.target > self.start:
            raise ValueError("a decrease KR needs target < start")
        return self


@dataclass(slots=True)
class MetricTotals:
    """Sums of sales figures over some slice of org, time, product and channel (the first six
    add up across days; the customer counts do not)."""

    revenue_minor: int = 0
    units: int = 0
    premium_revenue_minor: int = 0
    payments_minor: int = 0
    leads: int = 0
    first_orders: int = 0
    distinct_customers: int = 0
    repeat_buyers: int = 0
    premium_repeat_buyers: int = 0
    high_value_customers: int = 0  # of the distinct customers, those who bought premium

    def plus(self, other: MetricTotals) -> MetricTotals:
        """These sums and `other`'s (additive fields only)."""
        return MetricTotals(
            self.revenue_minor + other.revenue_minor,
            self.units + other.units,
            self.premium_revenue_minor + other.premium_revenue_minor,
            self.payments_minor + other.payments_minor,
            self.leads + other.leads,
            self.first_orders + other.first_orders,
        )

    def minus(self, other: MetricTotals) -> MetricTotals:
        """These sums less `other`'s (additive fields only)."""
        return self.plus(MetricTotals(*(-getattr(other, name) for name in ADDITIVE_TOTALS)))


ADDITIVE_TOTALS = (
    "revenue_minor",
    "units",
    "premium_revenue_minor",
    "payments_minor",
    "leads",
    "first_orders",
)


def metric_value(metric: Metric, totals: MetricTotals) -> Decimal:
    """The KR's actual value: revenue in CNY; units; premium share of revenue and collection
    rate (payments / revenue) and first-order conversion (first orders / new leads) in percent;
    distinct customers in the window; customers buying at least twice (premium products, for
    the premium variant) in the evaluation day's calendar month (`WindowSpec.repeat_month`);
    high-value-customer penetration: the share of the window's distinct customers who bought a
    premium product in it (each sale's own `premium` flag; a purchase refunded whole stops
    counting), in percent."""
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
    if metric == "high_value_customer_penetration":
        if totals.distinct_customers <= 0:
            return Decimal(0)
        share = Decimal(totals.high_value_customers) * 100 / Decimal(totals.distinct_customers)
        return share.quantize(Decimal("0.0001"))
    if metric == "first_order_conversion":
        if totals.leads <= 0:
            return Decimal(0)
        return (Decimal(totals.first_orders) * 100 / Decimal(totals.leads)).quantize(
            Decimal("0.0001")
        )
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
