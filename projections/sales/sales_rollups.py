"""Stage 1 of the sales projection (ADR 0008): a batch of one worker's partitions -> deduped
facts, roll-ups, customer months and the business clock in rows owned by each partition, and
one `kr_delta` message per KR shard it moved, all in ONE transaction with the checkpoint.
Nothing here reads or writes a row of another partition or any KR row."""

from __future__ import annotations

import weakref
import zlib
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, tzinfo

import asyncpg
import orjson

from domain.rollup import (
    REFUND,
    SALE,
    BusinessCalendar,
    CustomerMonthKey,
    DatedFact,
    Purchase,
    RollupDelta,
    RollupKey,
    fold_customer_months,
    fold_sales,
    fold_scenarios,
    undo_refunded_purchases,
)
from domain.sales import SaleFact
from projections.sql_files import load_queries

SQL = load_queries("sales_rollups")
# rep id -> the rep and each org unit above it, up to HQ
ChainOf = Callable[[str], tuple[str, ...]]
PROJECTION = "kr_progress"


def shard_of(unit_id: str, shards: int) -> int:
    """The KR shard of an org unit's KRs (every KR of a unit is in its unit's shard)."""
    return zlib.crc32(unit_id.encode()) % shards


@dataclass(frozen=True, slots=True)
class PositionedFacts:
    """The valid facts decoded from one Kafka record, with the record's position."""

    partition: int
    offset: int
    facts: Sequence[SaleFact]
    produced_at_ms: int = -1  # the record's timestamp (its produce time), -1 if unknown


@dataclass(frozen=True, slots=True)
class BatchOutcome:
    records_applied: int
    records_skipped: int
    facts_new: int
    facts_duplicate: int
    shards: tuple[int, ...] = ()


_Rollups = dict[RollupKey, RollupDelta]
_Customers = dict[CustomerMonthKey, list[int]]


class SalesRollupProjection:
    """Applies a batch in ONE transaction that also advances the per-partition checkpoint.
    `shards` 0 (a rebuild) leaves no KR messages: the rebuild sums every KR afresh."""

    def __init__(self, topic: str, zone: tzinfo, shards: int) -> None:
        self.topic = topic
        self.calendar = BusinessCalendar(zone)
        self.shards = shards
        self._staged: weakref.WeakSet[asyncpg.Connection] = weakref.WeakSet()

    async def apply(
        self, conn: asyncpg.Connection, chain_of: ChainOf, records: Sequence[PositionedFacts]
    ) -> BatchOutcome:
        if not records:
            return BatchOutcome(0, 0, 0, 0)
        partitions = sorted({r.partition for r in records})
        await self._staging(conn)
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
                return BatchOutcome(0, len(records), 0, 0)
            unique: dict[str, tuple[int, SaleFact]] = {}
            fact_count = 0
            for record in fresh:
                for fact in record.facts:
                    unique.setdefault(fact.dedup_key, (record.partition, fact))
                    fact_count += 1
            for row in await conn.fetch(SQL["insert_facts"], list(unique)):
                del unique[row["dedup_key"]]
            by_partition: dict[int, list[SaleFact]] = {}
            for partition, fact in unique.values():
                by_partition.setdefault(partition, []).append(fact)
            first_offset: dict[int, int] = {}
            advanced: dict[int, int] = {}
            oldest: dict[int, int] = {}
            for record in fresh:
                first_offset.setdefault(record.partition, record.offset)
                advanced[record.partition] = max(
                    advanced.get(record.partition, 0), record.offset + 1
                )
                if record.produced_at_ms > 0:
                    oldest[record.partition] = min(
                        oldest.get(record.partition, record.produced_at_ms), record.produced_at_ms
                    )
            shards = await self._apply_facts(conn, chain_of, by_partition, first_offset)
            await conn.execute(
                SQL["advance_checkpoints"],
                PROJECTION,
                self.topic,
                list(advanced),
                list(advanced.values()),
                [oldest.get(partition) for partition in advanced],
            )
        return BatchOutcome(
            len(fresh),
            len(records) - len(fresh),
            len(unique),
            fact_count - len(unique),
            tuple(shards),
        )

    async def _apply_facts(
        self,
        conn: asyncpg.Connection,
        chain_of: ChainOf,
        by_partition: dict[int, list[SaleFact]],
        first_offset: dict[int, int],
    ) -> list[int]:
        """Roll-ups, purchases, customer months and clocks of each partition's new facts;
        returns the KR shards that got a message."""
        dated = {p: self.calendar.dated(facts) for p, facts in by_partition.items()}
        rollups = {p: fold_sales(facts, chain_of) for p, facts in dated.items()}
        customers = {p: fold_customer_months(facts, chain_of) for p, facts in dated.items()}
        await self._purchases(conn, chain_of, dated, customers)
        await self._write_rollups(conn, rollups)
        await self._write_customer_months(conn, customers)
        await self._write_scenarios(conn, dated, chain_of)
        clocks = {
            p: max(f.occurred_at for f in facts) for p, facts in by_partition.items() if facts
        }
        if not clocks:
            return []
        await conn.execute(SQL["advance_clock"], list(clocks), list(clocks.values()))
        if not self.shards:
            return []
        return await self._leave_messages(conn, rollups, customers, clocks, first_offset)

    async def _write_rollups(self, conn: asyncpg.Connection, rollups: dict[int, _Rollups]) -> None:
        rows = [
            (p, *k, d.revenue_minor, d.units, d.premium_revenue_minor, d.premium_units,
             d.payments_minor, d.leads, d.first_orders)
            for p, deltas in rollups.items()
            for k, d in deltas.items()
        ]  # fmt: skip
        if rows:
            await conn.copy_records_to_table("staged_rollup", records=rows, schema_name="pg_temp")
            await conn.execute(SQL["upsert_rollup"])

    async def _write_customer_months(
        self, conn: asyncpg.Connection, customers: dict[int, _Customers]
    ) -> None:
        rows = [(p, *k, *c) for p, counts in customers.items() for k, c in counts.items()]
        if rows:
            await conn.copy_records_to_table(
                "staged_customer_month", records=rows, schema_name="pg_temp"
            )
            await conn.execute(SQL["upsert_customer_months"])

    async def _write_scenarios(
        self, conn: asyncpg.Connection, dated: dict[int, list[DatedFact]], chain_of: ChainOf
    ) -> None:
        """Leads and first orders per scenario, for the facts that name one (none: no write)."""
        rows = [
            (p, unit, day, scenario, leads, orders)
            for p, facts in dated.items()
            for (unit, day, scenario), (leads, orders) in fold_scenarios(facts, chain_of).items()
        ]
        if rows:
            await conn.execute(SQL["upsert_scenarios"], *(list(c) for c in zip(*rows, strict=True)))

    async def _staging(self, conn: asyncpg.Connection) -> None:
        """The session's staging tables, created once outside any transaction (a rollback
        would take them away again); inside a caller's transaction, every time."""
        if conn.is_in_transaction():
            await conn.execute(SQL["create_staging"])
        elif conn not in self._staged:
            await conn.execute(SQL["create_staging"])
            self._staged.add(conn)

    async def _leave_messages(
        self,
        conn: asyncpg.Connection,
        rollups: dict[int, _Rollups],
        customers: dict[int, _Customers],
        clocks: dict[int, datetime],
        first_offset: dict[int, int],
    ) -> list[int]:
        """One message per (KR shard, partition) this batch moved: what it added to the
        roll-ups of the shard's units, and which of their customer months changed."""
        sums: dict[tuple[int, int], list[list[object]]] = {}
        months: dict[tuple[int, int], set[tuple[str, str]]] = {}
        shard_cache: dict[str, int] = {}

        def shard(unit_id: str) -> int:
            found = shard_cache.get(unit_id)
            if found is None:
                found = shard_cache[unit_id] = shard_of(unit_id, self.shards)
            return found

        for p, deltas in rollups.items():
            for k, d in deltas.items():
                sums.setdefault((shard(k.unit_id), p), []).append(
                    [
                        k.unit_id,
                        k.day,
                        k.category,
                        k.sku,
                        k.channel,
                        d.revenue_minor,
                        d.units,
                        d.premium_revenue_minor,
                        d.payments_minor,
                        d.leads,
                        d.first_orders,
                    ]
                )
        for p, counts in customers.items():
            for unit_id, month, _ in counts:
                months.setdefault((shard(unit_id), p), set()).add((unit_id, month.isoformat()))
        keys = sorted(set(sums) | set(months))
        await conn.execute(
            SQL["insert_deltas"],
            [s for s, _ in keys],
            [p for _, p in keys],
            [first_offset[p] for _, p in keys],
            [clocks[p] for _, p in keys],
            [orjson.dumps(sums.get(k, [])) for k in keys],
            [orjson.dumps(sorted(months.get(k, ()))) for k in keys],
        )
        return sorted({s for s, _ in keys})

    async def _purchases(
        self,
        conn: asyncpg.Connection,
        chain_of: ChainOf,
        dated: dict[int, list[DatedFact]],
        customers: dict[int, _Customers],
    ) -> None:
        """Remember each new sale; apply refunds (and refunds that arrived before their sale)
        to the purchases they name, taking fully refunded ones out of the customer counts of
        the partition the refund (or the late sale) came in on."""
        sales = [
            (p, f, day)
            for p, facts in dated.items()
            for f, day in facts
            if f.type == SALE  # type: ignore[attr-defined]
        ]
        if sales:
            # A batch covers a few days: each one's month once (replace() per sale costs ~1 %).
            months = {day: day.replace(day=1) for day in {day for _, _, day in sales}}
            await conn.execute(
                SQL["insert_purchases"],
                [f"{f.source_system}|{f.source_id}" for _, f, _ in sales],
                [f.rep_id for _, f, _ in sales],
                [f.customer_id for _, f, _ in sales],
                [months[day] for _, _, day in sales],
                [f.premium for _, f, _ in sales],  # type: ignore[attr-defined]
                [f.quantity for _, f, _ in sales],  # type: ignore[attr-defined]
            )
        refunds: list[tuple[str, int, int]] = [
            (f"{f.source_system}|{f.sale_source_id}", f.quantity, p)  # type: ignore[attr-defined]
            for p, facts in dated.items()
            for f, _ in facts
            if f.type == REFUND  # type: ignore[attr-defined]
        ]
        if sales and await conn.fetchval(SQL["any_pending_refunds"]):
            partition_of = {f"{f.source_system}|{f.source_id}": p for p, f, _ in sales}
            taken = await conn.fetch(SQL["take_pending_refunds"], list(partition_of))
            refunds.extend(
                (r["sale_key"], r["quantity"], partition_of[r["sale_key"]]) for r in taken
            )
        if not refunds:
            return
        purchases = {
            r["sale_key"]: Purchase(
                r["rep_id"],
                r["customer_id"],
                r["month"],
                r["premium"],
                r["quantity"],
                r["refunded"],
            )
            for r in await conn.fetch(SQL["read_purchases"], sorted({k for k, _, _ in refunds}))
        }
        orphans: dict[str, int] = {}
        for key, quantity, _ in refunds:
            if key not in purchases:
                orphans[key] = orphans.get(key, 0) + quantity
        if orphans:
            await conn.execute(SQL["add_pending_refunds"], list(orphans), list(orphans.values()))
        refunded: dict[str, int] = {}
        for partition in sorted({p for _, _, p in refunds}):
            mine = [(k, q) for k, q, p in refunds if p == partition and k in purchases]
            # Refunds of one sale on several partitions: each sees the ones before it.
            seen = {k: replace(purchases[k], refunded=n) for k, n in refunded.items()}
            refunded.update(
                undo_refunded_purchases(
                    {**purchases, **seen},
                    mine,
                    chain_of,
                    customers.setdefault(partition, {}),
                )
            )
        if refunded:
            await conn.execute(SQL["update_refunded"], list(refunded), list(refunded.values()))


async def take_deltas(conn: asyncpg.Connection, shards: Collection[int]) -> list[asyncpg.Record]:
    """Stage 2's intake: the pending messages of `shards`, consumed (deleted) as they are read."""
    return await conn.fetch(SQL["take_deltas"], list(shards))


async def adopt_rebuilt(
    conn: asyncpg.Connection, rebuilt: str, replaced: str, topic: str, evaluation_clock: int
) -> None:
    """A rebuild's swap: the checkpoints of schema `rebuilt` replace the live ones (in place),
    the clock `evaluate --at` moved (partition `evaluation_clock`, not in the topic) is carried
    over from schema `replaced` (the tables swapped out), and the pending messages go (the
    rebuilt roll-ups hold them; stage 2 then sums every KR afresh)."""
    await conn.execute(SQL["adopt_checkpoints"].format(schema=rebuilt), PROJECTION, topic)
    await conn.execute(SQL["add_checkpoints"].format(schema=rebuilt), PROJECTION, topic)
    await conn.execute(SQL["carry_clock"].format(schema=replaced), evaluation_clock)
    await conn.execute(SQL["clear_deltas"])


async def checkpoints(
    conn: asyncpg.Connection, topic: str, partitions: Sequence[int]
) -> dict[int, int]:
    """Stage 1's next offset in each of `partitions` (where a consumer resumes)."""
    rows = await conn.fetch(
        "SELECT partition, next_offset FROM projection_checkpoint"
        " WHERE projection = $1 AND topic = $2 AND partition = ANY($3::int[])",
        PROJECTION,
        topic,
        list(partitions),
    )
    return {r["partition"]: r["next_offset"] for r in rows}


async def pending_shards(
    conn: asyncpg.Connection, owned: Collection[int], orphan_after_s: float
) -> set[int]:
    """The shards of `owned` with messages waiting for stage 2, and anyone's whose messages
    wait longer than `orphan_after_s`."""
    rows = await conn.fetch(
        "SELECT DISTINCT shard FROM kr_delta WHERE shard = ANY($1::int[])"
        " OR created_at < now() - make_interval(secs => $2)",
        sorted(owned),
        orphan_after_s,
    )
    return {r["shard"] for r in rows}
