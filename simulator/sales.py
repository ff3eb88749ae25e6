"""Seeded stream of plausible sales facts for the simulated company."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta

from domain.catalog import CompanyCatalog
from domain.sales import (
    CustomerFirstOrder,
    LeadRegistered,
    PaymentCollected,
    SaleFact,
    SaleRecorded,
    SaleRefunded,
)
from simulator.pace import PRODUCTS

CHANNEL_WEIGHTS = (("retail", 55), ("wholesale", 15), ("ecommerce", 20), ("horeca", 10))
# Selling scenarios, how often a new customer comes from each, and how many prospects who never
# order come with each one who does (campus converts best: about 1 in 3.5)
SCENARIOS = {"campus": (20, (2, 3)), "office": (35, (3, 4)), "family": (45, (2, 4))}
QUANTITY = {"retail": (6, 48), "wholesale": (120, 600), "ecommerce": (1, 12), "horeca": (24, 96)}


class SalesSimulator:
    """Each rep serves ~40 customers, each from a selling scenario (campus, office, family) and
    registered as a lead before the first order, along with two to four prospects of the same
    scenario who never order (first-order conversion near 25 %, the plan's 18 -> 27 %; campus
    near 29 %, office near 22 %); 2 % of sales are later refunded; nine sales in ten are paid
    (a collection rate near 90 %, the plan's 88 -> 96 %)."""

    def __init__(self, catalog: CompanyCatalog, seed: int = 7, source: str = "pos-sim") -> None:
        self.rng = random.Random(seed)
        self.source = source
        self.reps = [u.id for u in catalog.units if u.level == "rep"]
        self.customers: dict[str, tuple[str, str, str]] = {}  # rep, channel, scenario
        self.counter = 0
        self._recent: list[SaleRecorded] = []

    def _customer(self, rep_id: str) -> tuple[str, str, str, bool]:
        n = self.rng.randrange(40)
        customer_id = f"cust-{rep_id[4:]}-{n:03d}"
        first = customer_id not in self.customers
        if first:
            channel = self.rng.choices(
                [c for c, _ in CHANNEL_WEIGHTS], [w for _, w in CHANNEL_WEIGHTS]
            )[0]
            scenario = self.rng.choices(list(SCENARIOS), [w for w, _ in SCENARIOS.values()])[0]
            self.customers[customer_id] = (rep_id, channel, scenario)
        _, channel, scenario = self.customers[customer_id]
        return customer_id, channel, scenario, first

    def _next_id(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}-{self.counter:09d}"

    def facts_at(self, when: datetime) -> list[SaleFact]:
        """The facts one simulated sale produces at `when` (a sale, maybe more)."""
        rep_id = self.rng.choice(self.reps)
        customer_id, channel, scenario, first = self._customer(rep_id)
        product = self.rng.choices(PRODUCTS, [1.2 if p.premium else 5 for p in PRODUCTS])[0]
        low, high = QUANTITY[channel]
        quantity = self.rng.randint(low, high)
        sale = SaleRecorded(
            source_system=self.source,
            source_id=self._next_id("S"),
            occurred_at=when,
            rep_id=rep_id,
            customer_id=customer_id,
            sku=product.sku,
            category=product.category,
            premium=product.premium,
            channel=channel,
            quantity=quantity,
            amount_minor=quantity * product.unit_price_minor,
            scenario=scenario,
        )
        out: list[SaleFact] = [sale]
        if first:
            for _ in range(self.rng.randint(*SCENARIOS[scenario][1])):
                out.append(self._lead(rep_id, f"prospect-{self._next_id('L')}", when, scenario))
            out.append(self._lead(rep_id, customer_id, when, scenario))
            out.append(
                CustomerFirstOrder(
                    source_system=self.source,
                    source_id=self._next_id("F"),
                    occurred_at=when,
                    rep_id=rep_id,
                    customer_id=customer_id,
                    scenario=scenario,
                )
            )
        if self.rng.random() < 0.9:
            out.append(
                PaymentCollected(
                    source_system=self.source,
                    source_id=self._next_id("P"),
                    occurred_at=when,
                    rep_id=rep_id,
                    customer_id=customer_id,
                    amount_minor=sale.amount_minor,
                )
            )
        self._recent.append(sale)
        if len(self._recent) > 200:
            self._recent.pop(0)
        if self.rng.random() < 0.02:
            original = self.rng.choice(self._recent)
            refunded = self.rng.randint(1, original.quantity)
            out.append(
                SaleRefunded(
                    source_system=self.source,
                    source_id=self._next_id("R"),
                    occurred_at=when,
                    rep_id=original.rep_id,
                    customer_id=original.customer_id,
                    sale_source_id=original.source_id,
                    sku=original.sku,
                    category=original.category,
                    premium=original.premium,
                    channel=original.channel,
                    quantity=refunded,
                    amount_minor=original.amount_minor * refunded // original.quantity,
                )
            )
        return out

    def _lead(self, rep_id: str, customer_id: str, when: datetime, scenario: str) -> LeadRegistered:
        return LeadRegistered(
            source_system=self.source,
            source_id=self._next_id("L"),
            occurred_at=when,
            rep_id=rep_id,
            customer_id=customer_id,
            scenario=scenario,
        )

    def stream(self, start: datetime, count: int, spacing: timedelta) -> Iterator[SaleFact]:
        for i in range(count):
            yield from self.facts_at(start + i * spacing)
