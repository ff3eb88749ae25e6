"""The demo company's pace, in one place: how much it sells, when, to whom, and how each rep
runs against the plan. The plan's targets (`simulator/company.py`) and the simulated sales
(`simulator/paced_sales.py`) both read these figures, so the targets are reachable and sales
arrive at a real company's rate (ADR 0024). The simulation reproduces the plan's figures with
these parameters; it does not discover them.

- **Volume.** The quarter's plan is `QUARTER_REVENUE_CNY` (HQ's revenue KR), last year's run-rate
  for the quarter grown by `GROWTH`: about 800M CNY a year, so ~2.2M CNY a day, in orders of
  `ORDER_CASES` cases (`CASE_UNITS` bottles each) by channel. Days weigh by `WEEKDAY_FACTORS`;
  orders fall within `OPEN_HOURS`, company time.
- **Who sells.** A rep runs at their region's `REGION_FACTORS` times seeded lognormal noise of
  `REP_SPREAD`: some ahead of their pacing line, most near it, a few behind.
- **Customers.** Each rep starts with `CUSTOMERS_PER_REP` customers and wins
  `NEW_CUSTOMERS_PER_WEEK` more (the rep's "12 new customers a quarter" KR); a customer now and
  then lapses for a few weeks (`LAPSE_*`) and comes back, so churn is measurable.
- **Ratios that improve.** The premium share of revenue, the collection rate and first-order
  conversion move over the quarter from the plan's start to its target, each rep by their
  factor."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from math import exp


@dataclass(frozen=True)
class Product:
    sku: str
    category: str
    premium: bool
    unit_price_minor: int


PRODUCTS: tuple[Product, ...] = (
    Product("green-tea-500ml", "tea", False, 350),
    Product("oolong-500ml", "tea", False, 450),
    Product("pu-erh-reserve-350ml", "tea", True, 1200),
    Product("orange-juice-1l", "juice", False, 990),
    Product("nfc-mango-300ml", "juice", True, 1590),
    Product("soda-lemon-330ml", "sparkling", False, 400),
    Product("sparkling-yuzu-330ml", "sparkling", True, 890),
    Product("mineral-water-550ml", "water", False, 200),
    Product("glacier-water-500ml", "water", True, 800),
)

QUARTER_REVENUE_CNY = 200_000_000  # the quarter's plan (HQ's revenue KR)
GROWTH = 0.10  # the plan over last year's run-rate for the same quarter
WEEKDAY_FACTORS = (0.93, 0.95, 0.97, 1.0, 1.07, 1.1, 0.98)  # Monday .. Sunday, mean 1
OPEN_HOURS = (8, 22)  # orders are placed between these hours, company time
REGION_FACTORS = {"east": 1.03, "south": 0.99, "north": 0.95, "west": 1.01}
REP_SPREAD = 0.07
CASE_UNITS = 24
# channel: (share of orders, cases per order: low, high)
ORDER_CASES = {
    "retail": (0.55, 4, 24),
    "wholesale": (0.15, 30, 120),
    "ecommerce": (0.20, 1, 4),
    "horeca": (0.10, 6, 24),
}
CUSTOMERS_PER_REP = 110
NEW_CUSTOMERS_PER_WEEK = 1.0
LAPSE_CHANCE_PER_MONTH = 0.06  # a customer stops buying for a while ...
LAPSE_DAYS = (21, 75)  # ... this long, then comes back
# The plan's ratios (percent): where the quarter starts, where it should end.
PREMIUM_SHARE = (28.0, 35.0)
COLLECTION_RATE = (88.0, 96.0)
FIRST_ORDER_CONVERSION = (18.0, 27.0)
# The north star: premium monthly repeat buyers (two premium orders or more in a month). With
# the customers above, on plan the company has ~580 in the quarter's middle month; the plan
# asks for 700, which the end of the quarter reaches only ahead of plan.
NORTH_STAR_REPEAT_BUYERS = 700


def quarter_of(day: date) -> tuple[date, date]:
    first_month = 3 * ((day.month - 1) // 3) + 1
    start = date(day.year, first_month, 1)
    next_start = date(day.year + (first_month == 10), (first_month + 2) % 12 + 1, 1)
    return start, next_start - timedelta(days=1)


def previous_quarter(quarter: tuple[date, date]) -> tuple[date, date]:
    return quarter_of(quarter[0] - timedelta(days=1))


def rep_factors(regions_of_reps: dict[str, str], seed: int) -> dict[str, float]:
    """Each rep's share of their plan: the region's factor times seeded lognormal noise."""
    rng = random.Random(f"pace-{seed}")
    return {
        rep: REGION_FACTORS.get(regions_of_reps[rep], 1.0) * exp(rng.gauss(0, REP_SPREAD))
        for rep in sorted(regions_of_reps)
    }


def day_share(day: date) -> float:
    """The share of its quarter's sales made on `day`: the weekday pattern, normalised over
    the quarter's days so that the shares add up to 1."""
    return WEEKDAY_FACTORS[day.weekday()] / _quarter_weight(quarter_of(day))


@cache
def _quarter_weight(quarter: tuple[date, date]) -> float:
    days = (quarter[1] - quarter[0]).days + 1
    return sum(WEEKDAY_FACTORS[(quarter[0] + timedelta(days=n)).weekday()] for n in range(days))


def elapsed(day: date) -> float:
    """How far into its quarter the end of `day` is, 0..1."""
    quarter = quarter_of(day)
    return ((day - quarter[0]).days + 1) / ((quarter[1] - quarter[0]).days + 1)


def daily_ratio(plan: tuple[float, float], progress: float, factor: float) -> float:
    """A ratio's value for one day's sales: it rises from the plan's start at twice the plan's
    slope (times the rep's factor), so that the quarter-to-date ratio, the mean of the days so
    far, follows the plan's line start + (target - start) x elapsed x factor."""
    start, target = plan
    return start + 2 * (target - start) * progress * factor


def mean_order_units() -> float:
    """Bottles in an average order, over the channels' mix."""
    return sum(share * CASE_UNITS * (low + high) / 2 for share, low, high in ORDER_CASES.values())


PREMIUM = tuple(p for p in PRODUCTS if p.premium)
STANDARD = tuple(p for p in PRODUCTS if not p.premium)


def _mean_price(products: tuple[Product, ...]) -> float:
    return sum(p.unit_price_minor for p in products) / len(products) / 100


def premium_order_chance(share_pct: float) -> float:
    """The chance an order is of a premium SKU for premium SKUs to make `share_pct` % of
    revenue (an order of either kind has the same size on average; SKUs drawn evenly)."""
    s, premium, standard = share_pct / 100, _mean_price(PREMIUM), _mean_price(STANDARD)
    return s * standard / (premium * (1 - s) + s * standard)


def mean_order_cny(share_pct: float) -> float:
    q = premium_order_chance(share_pct)
    return mean_order_units() * (q * _mean_price(PREMIUM) + (1 - q) * _mean_price(STANDARD))


def premium_share_over_quarter() -> float:
    """The premium share of a whole quarter's revenue on plan (its days' mean)."""
    start, target = PREMIUM_SHARE
    return (start + target) / 2


def planned_units(category: str, revenue_cny: float) -> float:
    """Bottles of `category` that `revenue_cny` of orders holds over a quarter on plan."""
    q = premium_order_chance(premium_share_over_quarter())
    per_order = mean_order_units() * (
        q * sum(p.category == category for p in PREMIUM) / len(PREMIUM)
        + (1 - q) * sum(p.category == category for p in STANDARD) / len(STANDARD)
    )
    return revenue_cny / mean_order_cny(premium_share_over_quarter()) * per_order
