"""A KR whose value oscillates around a threshold yields one alert per real change, as the
documented hysteresis says (2 points by default), not one per crossing; the raw evaluations
are all kept."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import asyncpg

from domain.catalog import CompanyCatalog
from domain.org_tree import OrgUnit
from domain.sales import SaleRecorded, SaleRefunded
from simulator.company import window_kr
from tests.stack import (
    QUARTER,
    eventually,
    load_company,
    produce_singles,
    published_alerts,
    wait_caught_up,
)

# 2026-11-15 is day 46 of the 92-day quarter: the pacing line stands at exactly 50.00%.
DAY = datetime(2026, 11, 15, 4, 0, tzinfo=UTC)
TARGET_CNY = 1000


def _company() -> CompanyCatalog:
    units = (
        OrgUnit(id="hq", name="HQ", level="hq"),
        OrgUnit(id="east", name="East", level="region", parent_id="hq"),
        OrgUnit(id="east-city", name="City", level="city", parent_id="east"),
        OrgUnit(id="rep-h", name="Rep", level="rep", parent_id="east-city"),
    )
    kr = window_kr("kr-hover", "Rep revenue 1,000", "rep-h", "revenue", TARGET_CNY, QUARTER)
    return CompanyCatalog(units=units, key_results=(kr,))


def _sale(n: int, cny: int) -> SaleRecorded:
    return SaleRecorded(
        source_system="pos",
        source_id=f"s-{n}",
        occurred_at=DAY,
        rep_id="rep-h",
        customer_id=f"c-{n}",
        sku="tea-1",
        category="tea",
        premium=False,
        channel="retail",
        quantity=1,
        amount_minor=cny * 100,
    )


def _refund(n: int, of: SaleRecorded, cny: int) -> SaleRefunded:
    return SaleRefunded(
        **of.model_dump(exclude={"type", "source_id", "amount_minor", "scenario"}),
        source_id=f"r-{n}",
        sale_source_id=of.source_id,
        amount_minor=cny * 100,
    )


async def test_a_hovering_kr_is_alerted_once_per_real_change(env):
    await load_company(env.settings, _company())
    env.worker()
    env.spawn("relay", "relay")
    first = _sale(1, 510)
    # revenue after each step (CNY) -> progress; the pacing line is at 50%
    steps = [
        (first, 510),  # 51.0%: green (first established)
        (_refund(2, first, 15), 495),  # 49.5%: behind -> amber, alerted at the threshold
        (_sale(3, 10), 505),  # 50.5%: ahead, but not 2 points clear -> stays amber
        (_refund(4, first, 10), 495),  # 49.5%: amber
        (_sale(5, 10), 505),  # 50.5%: stays amber
        (_sale(6, 14), 519),  # 51.9%: still not 2 points clear -> stays amber
        (_sale(7, 6), 525),  # 52.5%: 2.5 points clear -> green, alerted
    ]
    conn = await asyncpg.connect(env.settings.dsn)
    try:
        seen = []
        for fact, revenue in steps:
            await produce_singles(env.settings, [fact])
            await wait_caught_up(env.settings)
            actual = await conn.fetchval("SELECT actual FROM kr_progress WHERE kr_id = 'kr-hover'")
            assert actual == revenue  # one evaluation per step
            seen.append(
                tuple(
                    await conn.fetchrow(
                        "SELECT health, raw_health FROM kr_health WHERE kr_id = 'kr-hover'"
                    )
                )
            )
        raw_history = [
            r[0]
            for r in await conn.fetch(
                "SELECT raw_health FROM kr_health_raw WHERE kr_id = 'kr-hover' ORDER BY id"
            )
        ]
    finally:
        await conn.close()
    assert seen == [
        ("green", "green"),
        ("amber", "amber"),
        ("amber", "green"),
        ("amber", "amber"),
        ("amber", "green"),
        ("amber", "green"),
        ("green", "green"),
    ]
    assert raw_history == ["green", "amber", "green", "amber", "green", "green"]
    alerts: list[dict] = []

    async def three_published() -> bool:
        alerts[:] = [
            a for a in await published_alerts(env.settings) if a.get("kr_id") == "kr-hover"
        ]
        return len(alerts) >= 3

    await eventually(three_published, 60, "the alerts on the topic")
    await asyncio.sleep(1)  # nothing more comes
    await three_published()
    assert [(a["old_health"], a["new_health"]) for a in alerts] == [
        (None, "green"),
        ("green", "amber"),
        ("amber", "green"),
    ]
