"""The demo company's sales at its own pace (`simulator/pace.py`): every fact of any stretch of
time, the same whichever process asks and however the stretch is cut — a rep's day is drawn from
a generator seeded by the rep and the day. The demo sends the previous quarter and this one up
to now through Kafka before it starts, then each new stretch as the clock reaches it."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from functools import cache, lru_cache
from typing import Any

from domain.catalog import CompanyCatalog
from domain.sales import (
    CustomerFirstOrder,
    LeadRegistered,
    PaymentCollected,
    SaleFact,
    SaleRecorded,
    SaleRefunded,
)
from simulator.pace import (
    CASE_UNITS,
    COLLECTION_RATE,
    CUSTOMERS_PER_REP,
    FIRST_ORDER_CONVERSION,
    LAPSE_CHANCE_PER_MONTH,
    LAPSE_DAYS,
    NEW_CUSTOMERS_PER_WEEK,
    OPEN_HOURS,
    ORDER_CASES,
    PREMIUM,
    PREMIUM_SHARE,
    QUARTER_REVENUE_CNY,
    STANDARD,
    daily_ratio,
    day_share,
    elapsed,
    mean_order_cny,
    premium_order_chance,
    rep_factors,
)
from simulator.sales import SCENARIOS

REFUND_CHANCE = 0.02
AFFINITIES = (0.5, 1.0, 1.5)  # how much more than the mix a customer leans to premium


@dataclass(frozen=True)
class Customer:
    customer_id: str
    channel: str
    scenario: str
    affinity: float
    since: date | None  # won on that day (None: a customer from before the simulation)


class PacedSales:
    def __init__(self, catalog: CompanyCatalog, zone: tzinfo, seed: int = 7) -> None:
        units = {u.id: u for u in catalog.units}
        region_of = {}
        for unit in catalog.units:
            if unit.level == "rep":
                up = unit
                while up.level != "region" and up.parent_id is not None:
                    up = units[up.parent_id]
                region_of[unit.id] = up.id
        self.reps = sorted(region_of)
        self.factors = rep_factors(region_of, seed)
        self.zone = zone
        self.seed = seed
        self.source = f"pos-paced-{seed}"

    # -- customers ---------------------------------------------------------------------------

    @cache  # noqa: B019 - one simulator per process, kept for its life
    def _customer(self, rep_id: str, key: str, since: date | None) -> Customer:
        rng = random.Random(f"{self.seed}-{rep_id}-{key}")
        channel = rng.choices(list(ORDER_CASES), [share for share, _, _ in ORDER_CASES.values()])
        scenario = rng.choices(list(SCENARIOS), [w for w, _ in SCENARIOS.values()])
        return Customer(
            f"cust-{rep_id[4:]}-{key}", channel[0], scenario[0], rng.choice(AFFINITIES), since
        )

    @cache  # noqa: B019
    def _won_in_week(self, rep_id: str, monday: date) -> tuple[Customer, ...]:
        rng = random.Random(f"{self.seed}-{rep_id}-won-{monday}")
        count = sum(rng.random() < NEW_CUSTOMERS_PER_WEEK / 7 for _ in range(7))
        return tuple(
            self._customer(rep_id, f"w{monday:%y%m%d}{n}", monday + timedelta(rng.randrange(7)))
            for n in range(count)
        )

    def won_on(self, rep_id: str, day: date) -> list[Customer]:
        monday = day - timedelta(days=day.weekday())
        return [c for c in self._won_in_week(rep_id, monday) if c.since == day]

    @cache  # noqa: B019
    def _lapses(self, customer_id: str, first_day: date) -> tuple[tuple[date, date], ...]:
        """A customer's spells without buying, month by month from three months before the
        simulated span for three years: one draw a month (a spell starts in it, or not)."""
        rng = random.Random(f"{self.seed}-{customer_id}-lapses")
        spells, month = [], _months_after(first_day.replace(day=1), -3)
        for _ in range(36):
            if rng.random() < LAPSE_CHANCE_PER_MONTH:
                start = month + timedelta(days=rng.randrange(28))
                spells.append((start, start + timedelta(days=rng.randint(*LAPSE_DAYS))))
            month = _months_after(month, 1)
        return tuple(spells)

    def lapsed(self, customer: Customer, day: date, first_day: date) -> bool:
        return any(s <= day < e for s, e in self._lapses(customer.customer_id, first_day))

    @cache  # noqa: B019
    def _original_customers(self, rep_id: str) -> tuple[Customer, ...]:
        return tuple(self._customer(rep_id, f"{n:03d}", None) for n in range(CUSTOMERS_PER_REP))

    def active_customers(self, rep_id: str, day: date, first_day: date) -> list[Customer]:
        """The rep's customers who buy on `day`: the original ones and those won since
        `first_day` (the start of the simulated span), less those in a spell without buying."""
        base = list(self._original_customers(rep_id))
        monday = first_day - timedelta(days=first_day.weekday())
        while monday <= day:
            base += [c for c in self._won_in_week(rep_id, monday) if c.since < day]  # type: ignore[operator]
            monday += timedelta(days=7)
        return [c for c in base if not self.lapsed(c, day, first_day)]

    # -- a rep's day -------------------------------------------------------------------------

    def _envelope(
        self, source_id: str, when: datetime, rep_id: str, customer_id: str
    ) -> dict[str, Any]:
        """What every fact carries: its id in the simulated POS, when, which rep and customer."""
        return {
            "source_system": self.source,
            "source_id": source_id,
            "occurred_at": when,
            "rep_id": rep_id,
            "customer_id": customer_id,
        }

    def rep_day(self, rep_id: str, day: date, first_day: date) -> list[SaleFact]:
        """Every fact of one rep's day, in time order."""
        rng = random.Random(f"{self.seed}-{rep_id}-{day}")
        factor, progress = self.factors[rep_id], elapsed(day)
        share = min(daily_ratio(PREMIUM_SHARE, progress, factor), 60.0)
        collection = min(daily_ratio(COLLECTION_RATE, progress, factor), 99.5) / 100
        conversion = min(daily_ratio(FIRST_ORDER_CONVERSION, progress, factor), 60.0)
        revenue = QUARTER_REVENUE_CNY * day_share(day) * factor / len(self.reps)
        orders = _poisson(rng, revenue / mean_order_cny(share))
        premium_chance = premium_order_chance(share)
        customers = self.active_customers(rep_id, day, first_day)
        won = self.won_on(rep_id, day) if day >= first_day else []
        moments = sorted(self._moment(rng, day) for _ in range(orders + len(won)))
        facts: list[SaleFact] = []
        for n, when in enumerate(moments):
            if n < len(won):  # a new customer: their leads, first order and order
                customer = won[n]
                prospects = 100 / conversion - 1
                count = int(prospects) + (rng.random() < prospects - int(prospects))
                for k in range(count):
                    facts.append(self._lead(rep_id, f"prospect-{customer.customer_id}-{k}", when))
                facts.append(self._lead(rep_id, customer.customer_id, when, customer.scenario))
                won_id = customer.customer_id
                first = self._envelope(f"F-{won_id}", when, rep_id, won_id)
                facts.append(CustomerFirstOrder(**first, scenario=customer.scenario))
            else:
                customer = rng.choice(customers)
            facts += self._order(rng, rep_id, customer, when, premium_chance, collection, n)
        return sorted(facts, key=lambda f: f.occurred_at)

    def _moment(self, rng: random.Random, day: date) -> datetime:
        opens = datetime.combine(day, time(OPEN_HOURS[0]), self.zone)
        return opens + timedelta(seconds=rng.randrange((OPEN_HOURS[1] - OPEN_HOURS[0]) * 3600))

    def _order(
        self,
        rng: random.Random,
        rep_id: str,
        customer: Customer,
        when: datetime,
        premium_chance: float,
        collection: float,
        n: int,
    ) -> list[SaleFact]:
        _, low, high = ORDER_CASES[customer.channel]
        quantity = rng.randint(low, high) * CASE_UNITS
        premium = rng.random() < premium_chance * customer.affinity
        product = rng.choice(PREMIUM if premium else STANDARD)
        order_id = f"S-{rep_id[4:]}-{when:%Y%m%d}-{n:03d}"
        sale = SaleRecorded(
            **self._envelope(order_id, when, rep_id, customer.customer_id),
            sku=product.sku,
            category=product.category,
            premium=product.premium,
            channel=customer.channel,  # type: ignore[arg-type]
            quantity=quantity,
            amount_minor=quantity * product.unit_price_minor,
            scenario=customer.scenario if customer.since is not None else None,
        )
        out: list[SaleFact] = [sale]
        if rng.random() < collection:
            paid = self._envelope(f"P-{order_id}", when, rep_id, customer.customer_id)
            out.append(PaymentCollected(**paid, amount_minor=sale.amount_minor))
        if rng.random() < REFUND_CHANCE:
            back = rng.randint(1, quantity)
            out.append(
                SaleRefunded(
                    **self._envelope(
                        f"R-{order_id}",
                        min(when + timedelta(hours=1), _day_end(when)),
                        rep_id,
                        customer.customer_id,
                    ),
                    sale_source_id=order_id,
                    sku=product.sku,
                    category=product.category,
                    premium=product.premium,
                    channel=sale.channel,
                    quantity=back,
                    amount_minor=sale.amount_minor * back // quantity,
                )
            )
        return out

    def _lead(
        self, rep_id: str, customer_id: str, when: datetime, scenario: str | None = None
    ) -> LeadRegistered:
        return LeadRegistered(
            **self._envelope(f"L-{customer_id}", when, rep_id, customer_id), scenario=scenario
        )

    # -- stretches of time -------------------------------------------------------------------

    @lru_cache(maxsize=2)  # noqa: B019 - the live stream asks for today's every few seconds
    def _day(self, day: date, first_day: date) -> list[SaleFact]:
        todays = [f for rep in self.reps for f in self.rep_day(rep, day, first_day)]
        return sorted(todays, key=lambda f: f.occurred_at)

    def facts_between(self, start: datetime, end: datetime, first_day: date) -> Iterator[SaleFact]:
        """Every fact dated at or after `start` and before `end`, day by day in time order;
        `first_day`: the first day of the simulated span (customers won from then on)."""
        day = start.astimezone(self.zone).date()
        while datetime.combine(day, time(), self.zone) < end:
            todays = self._day(day, first_day)
            yield from (f for f in todays if start <= f.occurred_at < end)
            day += timedelta(days=1)


def _months_after(month: date, months: int) -> date:
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _day_end(when: datetime) -> datetime:
    return datetime.combine(when.date(), time(23, 59, 59), when.tzinfo)


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth's method for small means, a rounded normal for large ones)."""
    if mean > 30:
        return max(0, round(rng.gauss(mean, mean**0.5)))
    limit, count, product = pow(2.718281828459045, -mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count
