"""The projection against the real PostgreSQL: replays, duplicates and concurrent batches."""

from __future__ import annotations

import asyncio
from zoneinfo import ZoneInfo

import asyncpg
import pytest

from domain.catalog import CompanyCatalog
from projections.sales.sales_rollups import PositionedFacts, SalesRollupProjection
from streams.kr_settler import KrSettler
from tests.stack import (
    expected_kr_actuals,
    expected_unit_totals,
    load_company,
    projected_state,
    simulated_facts,
    small_company,
)

ZONE = ZoneInfo("Asia/Shanghai")
SHARDS = 4


class BothStages:
    """Stage 1 of a batch, then stage 2 of every shard: what the workers do together."""

    def __init__(self, settings, alerts_topic: str | None = None) -> None:
        self.stage_one = SalesRollupProjection(settings.sales_topic, ZONE, SHARDS)
        self.stage_two = KrSettler(
            lambda: asyncpg.connect(settings.dsn),
            lambda: set(range(SHARDS)),
            ZONE,
            alerts_topic,
        )

    async def apply(self, conn, chain_of, records):
        outcome = await self.stage_one.apply(conn, chain_of, records)
        await self.settle(conn)
        return outcome

    async def settle(self, conn) -> None:
        for _ in range(500):
            if not await self.stage_two.round(conn):
                return
            await asyncio.sleep(0.01)  # another connection holds a shard: its turn first
        raise AssertionError("a shard stayed locked for 5 s")


async def _snapshot(conn) -> list:
    return [
        sorted(tuple(r) for r in await conn.fetch(f"SELECT * FROM {table}"))
        for table in ("sales_rollup_daily", "projection_checkpoint")
    ] + [
        [
            tuple(r)
            for r in await conn.fetch(
                "SELECT kr_id, actual, progress_pct FROM kr_progress ORDER BY 1"
            )
        ]
    ]


@pytest.fixture
async def seeded(env) -> tuple[CompanyCatalog, BothStages]:
    company = small_company()
    await load_company(env.settings, company)
    return company, BothStages(env.settings)


def _records(facts, partition: int, first_offset: int = 0, per_record: int = 10):
    return [
        PositionedFacts(partition, first_offset + i, facts[start : start + per_record])
        for i, start in enumerate(range(0, len(facts), per_record))
    ]


async def test_replaying_the_same_batch_changes_nothing(env, seeded):
    company, projection = seeded
    facts = simulated_facts(company, 300, seed=3)
    records = _records(facts, partition=0)
    conn = await asyncpg.connect(env.settings.dsn)
    try:
        first = await projection.apply(conn, company.tree().ancestors_and_self, records)
        after_first = await _snapshot(conn)
        again = await projection.apply(conn, company.tree().ancestors_and_self, records)
        assert await _snapshot(conn) == after_first
    finally:
        await conn.close()
    assert first.records_applied == len(records) and first.facts_duplicate == 0
    assert (again.records_applied, again.records_skipped) == (0, len(records))
    units, krs = await projected_state(env.settings)
    assert units == expected_unit_totals(company, facts)
    assert krs == expected_kr_actuals(company, facts)


async def test_same_sale_at_another_offset_is_counted_once(env, seeded):
    company, projection = seeded
    facts = simulated_facts(company, 100, seed=4)
    conn = await asyncpg.connect(env.settings.dsn)
    try:
        await projection.apply(
            conn, company.tree().ancestors_and_self, _records(facts, partition=0)
        )
        resent = await projection.apply(
            conn,
            company.tree().ancestors_and_self,
            _records(facts[:30], partition=1, first_offset=500),
        )
    finally:
        await conn.close()
    assert (resent.records_applied, resent.facts_new, resent.facts_duplicate) == (3, 0, 30)
    units, _ = await projected_state(env.settings)
    assert units == expected_unit_totals(company, facts)


async def test_concurrent_batches_on_all_partitions_stay_exact(env, seeded):
    company, projection = seeded
    facts = simulated_facts(company, 2000, seed=9)
    shards = [facts[p::4] for p in range(4)]

    async def run(partition: int) -> None:
        conn = await asyncpg.connect(env.settings.dsn)
        try:
            records = _records(shards[partition], partition, per_record=5)
            for start in range(0, len(records), 20):
                await projection.apply(
                    conn, company.tree().ancestors_and_self, records[start : start + 20]
                )
        finally:
            await conn.close()

    await asyncio.gather(*(run(p) for p in range(4)))
    units, krs = await projected_state(env.settings)
    assert units == expected_unit_totals(company, facts)
    assert krs == expected_kr_actuals(company, facts)


async def test_batches_touching_disjoint_rollup_rows_of_one_kr_both_count(env, seeded):
    """Two partitions credit the same rep through different roll-up rows at the same moment,
    and stage 2 runs from both connections at once: the KR counts both, once."""
    from datetime import UTC, datetime

    from domain.sales import SaleRecorded

    company, projection = seeded
    conns = [await asyncpg.connect(env.settings.dsn) for _ in range(2)]
    when = datetime(2026, 11, 16, 2, tzinfo=UTC)

    def sale(n: int, category: str, channel: str) -> SaleRecorded:
        return SaleRecorded(
            source_system="race",
            source_id=f"{category}-{n}",
            occurred_at=when,
            rep_id="rep-east-city1-1",
            customer_id=f"c-{n}",
            sku=category,
            category=category,
            premium=False,
            channel=channel,
            quantity=1,
            amount_minor=100,
        )

    try:
        for n in range(40):
            await asyncio.gather(
                projection.apply(
                    conns[0],
                    company.tree().ancestors_and_self,
                    [PositionedFacts(0, n, [sale(n, "tea", "retail")])],
                ),
                projection.apply(
                    conns[1],
                    company.tree().ancestors_and_self,
                    [PositionedFacts(1, n, [sale(n, "juice", "wholesale")])],
                ),
            )
            actual = await conns[0].fetchval(
                "SELECT actual FROM kr_progress WHERE kr_id = 'kr-rep-east-city1-1-revenue'"
            )
            assert actual == 2 * (n + 1), f"pair {n}"
    finally:
        for conn in conns:
            await conn.close()


async def test_a_projection_without_an_alerts_topic_emits_no_alert(env, seeded):
    """What a rebuild runs: the same values, no health history and nothing in the outbox;
    the live projection on the same facts alerts (so the difference is the topic alone)."""
    company, quiet = seeded
    facts = simulated_facts(company, 300, seed=8)
    conn = await asyncpg.connect(env.settings.dsn)
    try:
        await quiet.apply(conn, company.tree().ancestors_and_self, _records(facts, partition=0))
        alerts = "SELECT count(*) FROM outbox WHERE topic = $1"
        assert await conn.fetchval(alerts, env.settings.alerts_topic) == 0
        assert await conn.fetchval("SELECT count(*) FROM kr_health_history") == 0
        live = BothStages(env.settings, env.settings.alerts_topic)
        more = simulated_facts(company, 50, seed=9)
        await live.apply(conn, company.tree().ancestors_and_self, _records(more, partition=1))
        assert await conn.fetchval(alerts, env.settings.alerts_topic) > 0
    finally:
        await conn.close()
    units, krs = await projected_state(env.settings)
    assert units == expected_unit_totals(company, facts + more)
    assert krs == expected_kr_actuals(company, facts + more)
