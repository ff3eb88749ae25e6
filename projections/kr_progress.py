"""Projection: sales facts -> per-unit daily roll-ups -> live progress of metric-bound KRs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

import asyncpg
import orjson

from domain.key_results import MetricTotals, display_percent, metric_value, progress_percent
from domain.rollup import fold_customer_months, fold_sales
from domain.sales import SaleFact
from projections.kr_health import ProgressRow, record_health
from projections.sql_files import load_queries

SQL = load_queries("kr_progress")
# rep id -> the rep and each org unit above it, up to HQ
ChainOf = Callable[[str], tuple[str, ...]]
PROJECTION = "kr_progress"
NOTIFY_CHANNEL = "northstar_kr_progress"


@dataclass(frozen=True, slots=True)
class PositionedFacts:
    """The valid facts decoded from one Kafka record, with the record's position."""

    partition: int
    offset: int
    facts: Sequence[SaleFact]


@dataclass(frozen=True, slots=True)
class BatchOutcome:
    records_applied: int
    records_skipped: int
    facts_new: int
    facts_duplicate: int
    krs_updated: int


async def refresh_progress(
    conn: asyncpg.Connection, kr_ids: Sequence[str], as_of: datetime | None
) -> list[ProgressRow]:
    """Recompute the progress rows of `kr_ids` from the roll-ups (call inside a transaction)."""
    rows = await conn.fetch(SQL["kr_totals"], list(kr_ids))
    computed: list[ProgressRow] = []
    ids, actuals, pcts, displays, as_ofs = [], [], [], [], []
    for row in rows:
        totals = MetricTotals(
            revenue_minor=row["revenue_minor"],
            units=row["units"],
            premium_revenue_minor=row["premium_revenue_minor"],
            payments_minor=row["payments_minor"],
            distinct_customers=row["distinct_customers"],
            repeat_buyers=row["repeat_buyers"],
            premium_repeat_buyers=row["premium_repeat_buyers"],
        )
        actual = metric_value(row["metric"], totals)
        pct = progress_percent(row["kind"], row["start_value"], row["target_value"], actual)
        ids.append(row["id"])
        actuals.append(actual)
        pcts.append(pct)
        displays.append(display_percent(pct))
        as_ofs.append(as_of)
        computed.append(
            ProgressRow(
                row["id"],
                row["owner_unit_id"],
                row["window_start"],
                row["window_end"],
                actual,
                pct,
                row["target_value"],
            )
        )
    await conn.execute(SQL["upsert_progress"], ids, actuals, pcts, displays, as_ofs)
    return computed


class KrProgressProjection:
    """Applies a batch in ONE transaction that also advances the per-partition checkpoint."""

    def __init__(self, topic: str, zone: tzinfo, alerts_topic: str | None = None) -> None:
        self.topic = topic
        self.zone = zone
        self.alerts_topic = alerts_topic

    async def apply(
        self, conn: asyncpg.Connection, chain_of: ChainOf, records: Sequence[PositionedFacts]
    ) -> BatchOutcome:
        if not records:
            return BatchOutcome(0, 0, 0, 0, 0)
        partitions = sorted({r.partition for r in records})
        async with conn.transaction():
            await conn.execute(SQL["lock_checkpoints"], PROJECTION, self.topic, partitions)
            next_offset = {
                row["partition"]: row["next_offset"]
                for row in await conn.fetch(
                    SQL["read_checkpoints"], PROJECTION, self.topic, partitions
                )
            }
            fresh = [r for r in records if r.offset >= next_offset[r.partition]]
            if not fresh:
                return BatchOutcome(0, len(records), 0, 0, 0)
            unique: dict[str, SaleFact] = {}
            fact_count = 0
            for record in fresh:
                for fact in record.facts:
                    unique.setdefault(fact.dedup_key, fact)
                    fact_count += 1
            seen_before = await conn.fetch(SQL["insert_facts"], list(unique))
            for row in seen_before:
                del unique[row["dedup_key"]]
            new_facts = list(unique.values())
            krs_updated = await self._apply_rollups(conn, chain_of, new_facts)
            advanced: dict[int, int] = {}
            for record in fresh:
                advanced[record.partition] = max(
                    advanced.get(record.partition, 0), record.offset + 1
                )
            await conn.execute(
                SQL["advance_checkpoints"],
                PROJECTION,
                self.topic,
                list(advanced),
                list(advanced.values()),
            )
            await conn.execute(
                "SELECT pg_notify($1, $2)",
                NOTIFY_CHANNEL,
                orjson.dumps({str(p): o for p, o in advanced.items()}).decode(),
            )
        return BatchOutcome(
            len(fresh),
            len(records) - len(fresh),
            len(new_facts),
            fact_count - len(new_facts),
            krs_updated,
        )

    async def _apply_rollups(
        self, conn: asyncpg.Connection, chain_of: ChainOf, facts: list[SaleFact]
    ) -> int:
        deltas = fold_sales(facts, chain_of, self.zone)
        if not deltas:
            return 0
        keys = sorted(deltas, key=lambda k: (k.unit_id, k.day, k.category, k.channel))
        await conn.execute(
            SQL["upsert_rollup"],
            [k.unit_id for k in keys],
            [k.day for k in keys],
            [k.category for k in keys],
            [k.channel for k in keys],
            [deltas[k].revenue_minor for k in keys],
            [deltas[k].units for k in keys],
            [deltas[k].premium_revenue_minor for k in keys],
            [deltas[k].premium_units for k in keys],
            [deltas[k].payments_minor for k in keys],
        )
        customers = fold_customer_months(facts, chain_of, self.zone)
        if customers:
            ckeys = sorted(customers)
            await conn.execute(
                SQL["upsert_customer_months"],
                [k[0] for k in ckeys],
                [k[1] for k in ckeys],
                [k[2] for k in ckeys],
                [customers[k][0] for k in ckeys],
                [customers[k][1] for k in ckeys],
            )
        days = [k.day for k in keys]
        units = sorted({k.unit_id for k in keys})
        # Lock before summing: a concurrent batch on another partition then recomputes after us
        # and sees our roll-ups, so the last write of a KR row always includes every batch.
        locked = await conn.fetch(SQL["lock_affected_krs"], units, min(days), max(days))
        if not locked:
            return 0
        as_of = max(f.occurred_at for f in facts)
        refreshed = await refresh_progress(conn, [r["kr_id"] for r in locked], as_of)
        if self.alerts_topic is not None:
            await record_health(conn, refreshed, as_of, self.alerts_topic)
        return len(refreshed)
