"""The demo company's sales through the normal ingest path (the sales topic, as a POS would
write them): its history from the previous quarter's first day up to a moment, in time order,
then the live stretch as the clock reaches it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from domain.catalog import CompanyCatalog
from domain.sales import SaleFact
from infra.kafka.connection import kafka_options
from infra.kafka.sales_publisher import SalesPublisher
from infra.settings import Settings
from simulator.pace import previous_quarter, quarter_of
from simulator.paced_sales import PacedSales

CHUNK = 5_000  # facts per publish: the broker has each chunk before the next is built
LIVE_STEP_S = 2.0


def history_start(company: CompanyCatalog) -> date:
    """The first day of the simulated span: the previous quarter's, before the plan's cycle."""
    first_cycle = min(c.starts_on for c in company.cycles)
    return previous_quarter(quarter_of(first_cycle))[0]


def paced_sales(settings: Settings, company: CompanyCatalog, seed: int = 7) -> PacedSales:
    return PacedSales(company, ZoneInfo(settings.company_timezone), seed)


async def send_history(
    settings: Settings,
    company: CompanyCatalog,
    until: datetime,
    progress: Callable[[int, datetime], None] = lambda sent, at: None,
    seed: int = 7,
) -> int:
    """Every fact from the history's first day up to `until` onto the sales topic; returns how
    many. `progress` hears the count sent and the moment reached after each chunk."""
    sales = paced_sales(settings, company, seed)
    first_day = history_start(company)
    start = datetime.combine(first_day, datetime.min.time(), sales.zone)
    publisher = SalesPublisher(kafka_options(settings), settings.sales_topic)
    await publisher.start()
    sent = 0
    try:
        chunk: list[SaleFact] = []
        for fact in sales.facts_between(start, until, first_day):
            chunk.append(fact)
            if len(chunk) >= CHUNK:
                sent += await publisher.publish(chunk)
                progress(sent, fact.occurred_at)
                chunk = []
        if chunk:
            sent += await publisher.publish(chunk)
        progress(sent, until)
    finally:
        await publisher.stop()
    return sent


async def send_live(
    settings: Settings,
    company: CompanyCatalog,
    since: datetime,
    stop: asyncio.Event,
    seed: int = 7,
) -> int:
    """Each new stretch's facts as the clock reaches it, from `since` until `stop`."""
    sales = paced_sales(settings, company, seed)
    first_day = history_start(company)
    publisher = SalesPublisher(kafka_options(settings), settings.sales_topic)
    await publisher.start()
    sent, reached = 0, since
    try:
        while not stop.is_set():
            now = datetime.now(UTC)
            facts = list(sales.facts_between(reached, now, first_day))
            if facts:
                sent += await publisher.publish(facts)
            reached = now
            try:
                await asyncio.wait_for(stop.wait(), LIVE_STEP_S)
            except TimeoutError:
                pass
    finally:
        await publisher.stop()
    return sent
