"""Stage 2 of the sales projection (ADR 0008): the `kr_delta` messages stage 1 left for a KR
shard -> live progress of its metric-bound KRs, their health and alerts. One run per shard at a
time (an advisory lock the workers only try), in a REPEATABLE READ snapshot, so the messages it
consumes and the roll-ups it sums afresh are the same committed batches."""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal

import asyncpg
import orjson

from domain.key_result.metrics import (
    ADDITIVE_TOTALS,
    CUSTOMER_METRICS,
    MetricTotals,
    WindowSpec,
    display_percent,
    metric_value,
    progress_percent,
)
from domain.rollup import RollupDelta, RollupKey, SalesScope, scope_totals
from projections.sales.kr_health import ProgressRow
from projections.sales.sales_rollups import PROJECTION, take_deltas
from projections.sql_files import load_queries

SQL = load_queries("kr_progress")
# Held shared by every stage-2 run (with the lock of each shard it works on), and exclusively
# by whatever sums KRs afresh outside one (a catalog load, a binding, `evaluate`, a rebuild).
STAGE_TWO_LOCK = 0x6E73_6B32  # "nsk2"
SHARD_LOCK_CLASS = 0x6E73_6B73  # "nsks": (class, shard) keys
SNAPSHOT = "repeatable_read"


@asynccontextmanager
async def shard_locks(
    conn: asyncpg.Connection, shards: Collection[int], *, wait: bool
) -> AsyncIterator[list[int] | None]:
    """Session locks for stage-2 work. `wait=False` (a worker): the shards of `shards` free right
    now, never waiting (another worker has the rest). `wait=True`: every shard, waiting for runs
    in progress (yields None: all). Released on exit, or with the session if the process dies."""
    if wait:
        await conn.execute("SELECT pg_advisory_lock($1)", STAGE_TWO_LOCK)
        try:
            yield None
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", STAGE_TWO_LOCK)
        return
    if not await conn.fetchval("SELECT pg_try_advisory_lock_shared($1)", STAGE_TWO_LOCK):
        yield []
        return
    held: list[int] = []
    try:
        for shard in sorted(shards):
            if await conn.fetchval("SELECT pg_try_advisory_lock($1, $2)", SHARD_LOCK_CLASS, shard):
                held.append(shard)
        yield held
    finally:
        for shard in held:
            await conn.execute("SELECT pg_advisory_unlock($1, $2)", SHARD_LOCK_CLASS, shard)
        await conn.execute("SELECT pg_advisory_unlock_shared($1)", STAGE_TWO_LOCK)


async def business_now(conn: asyncpg.Connection) -> datetime:
    """The sales projection's clock: the latest business time seen, else the wall clock."""
    clock = await conn.fetchval(SQL["read_clock"])
    return clock if clock is not None else datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Settled:
    messages: int  # consumed
    rows: list[ProgressRow]  # the new values of the KRs they moved


async def settle(conn: asyncpg.Connection, zone: tzinfo, shards: Collection[int]) -> Settled:
    """Stage 2: consume the pending messages of `shards` and store the new values of the KRs
    they move, as of the projection's clock. Call inside a REPEATABLE READ transaction,
    holding the shards' locks (`shard_locks`)."""
    messages = await take_deltas(conn, shards)
    deltas, days = _read(messages)
    if not deltas:
        return Settled(len(messages), [])
    now = await business_now(conn)
    krs = await conn.fetch(SQL["affected_krs"], list(deltas), min(days), max(days))
    if not krs:
        return Settled(len(messages), [])
    moved = frozenset(kr["id"] for kr in krs)
    return Settled(len(messages), await recompute(conn, krs, now, zone, deltas, frozenset(), moved))


async def refresh_progress(
    conn: asyncpg.Connection, kr_ids: Sequence[str], zone: tzinfo, now: datetime | None = None
) -> list[ProgressRow]:
    """Sum `kr_ids` afresh from the roll-ups as of business time `now` (the clock when not
    given), less what the messages still pending add (stage 2 adds them when it consumes
    them). Call inside a REPEATABLE READ transaction holding `shard_locks(wait=True)`."""
    if not kr_ids:
        return []
    pending, _ = _read(await conn.fetch(SQL["peek_deltas"]))
    now = now or await business_now(conn)
    krs = await conn.fetch(SQL["kr_state"], list(kr_ids))
    return await recompute(conn, krs, now, zone, pending, frozenset(kr_ids), ())


async def applied_through(conn: asyncpg.Connection, topic: str) -> dict[int, int]:
    """Per partition: the offset below which every record is in the KRs' progress."""
    return {
        r["partition"]: r["applied"]
        for r in await conn.fetch(SQL["applied_through"], PROJECTION, topic)
    }


DeltasByUnit = dict[str, list[tuple[RollupKey, RollupDelta]]]


def _read(messages: Sequence[asyncpg.Record]) -> tuple[DeltasByUnit, list[date]]:
    """The roll-up deltas of `messages` by unit, and the days they touch (a unit whose
    customer counts moved is there with no deltas)."""
    deltas: DeltasByUnit = {}
    days: list[date] = []
    for message in messages:
        for unit_id, day, category, sku, channel, *sums in orjson.loads(message["rollups"]):
            key = RollupKey(unit_id, date.fromisoformat(day), category, sku, channel)
            revenue, units, premium_revenue, payments, leads, first_orders = sums
            delta = RollupDelta(revenue, units, premium_revenue, 0, payments, leads, first_orders)
            deltas.setdefault(unit_id, []).append((key, delta))
            days.append(key.day)
        for unit_id, month in orjson.loads(message["customer_months"]):
            deltas.setdefault(unit_id, [])
            days.append(date.fromisoformat(month))
    return deltas, days


def _scope(kr: asyncpg.Record, window: tuple[date, date]) -> SalesScope:
    return SalesScope(
        kr["owner_unit_id"],
        *window,
        kr["category"],
        frozenset(kr["skus"]) if kr["skus"] else None,
        kr["channel"],
    )


async def recompute(
    conn: asyncpg.Connection,
    krs: Sequence[asyncpg.Record],
    now: datetime,
    zone: tzinfo,
    deltas: DeltasByUnit,
    fresh: frozenset[str],
    moved: Collection[str],
) -> list[ProgressRow]:
    """New values of `krs` (rows of `kr_state`) on the business day of `now`. A KR in `fresh`
    is summed afresh from the roll-ups less `deltas` (messages not consumed yet); any other KR
    whose counted days did not move adds `deltas` (messages consumed now) to its stored sums,
    and the rest are summed afresh. Customer counts are always counted. KRs `moved` by facts
    have data as of `now`, and so has a KR that never had data and now counts some (bound after
    its sales were settled)."""
    today = now.astimezone(zone).date()
    windows: dict[str, tuple[date, date]] = {}
    totals: dict[str, MetricTotals] = {}
    summed: list[str] = []
    customers: list[tuple[str, date, date, date]] = []
    memo: dict[SalesScope, MetricTotals] = {}

    def added(scope: SalesScope) -> MetricTotals:
        found = memo.get(scope)
        if found is None:
            found = memo[scope] = scope_totals(deltas.get(scope.unit_id, ()), scope)
        return found

    for kr in krs:
        spec = WindowSpec(
            kr["window_kind"], kr["window_start"], kr["window_end"], kr["rolling_days"]
        )
        window = windows[kr["id"]] = spec.effective(today)
        if kr["metric"] in CUSTOMER_METRICS:
            customers.append((kr["id"], *window, spec.repeat_month(today)))
            totals[kr["id"]] = MetricTotals()
        elif kr["id"] in fresh or (kr["counted_from"], kr["counted_to"]) != window:
            summed.append(kr["id"])
        else:
            totals[kr["id"]] = MetricTotals(*kr["sums"]).plus(added(_scope(kr, window)))
    if summed:
        for row in await conn.fetch(
            SQL["window_sums"],
            summed,
            [windows[i][0] for i in summed],
            [windows[i][1] for i in summed],
        ):
            totals[row["id"]] = MetricTotals(*(row[name] for name in ADDITIVE_TOTALS))
        for kr in krs:
            if kr["id"] in fresh and kr["metric"] not in CUSTOMER_METRICS:
                totals[kr["id"]] = totals[kr["id"]].minus(added(_scope(kr, windows[kr["id"]])))
    if customers:
        columns = [list(column) for column in zip(*customers, strict=True)]
        for row in await conn.fetch(SQL["customer_counts"], *columns):
            counted = totals[row["id"]]
            counted.distinct_customers = row["distinct_customers"]
            counted.repeat_buyers = row["repeat_buyers"]
            counted.premium_repeat_buyers = row["premium_repeat_buyers"]
            counted.high_value_customers = row["high_value_customers"]
    first_seen = {
        kr["id"] for kr in krs if kr["as_of"] is None and totals[kr["id"]] != MetricTotals()
    }
    return await _store(conn, krs, totals, windows, now.isoformat(), {*moved, *first_seen})


async def _store(
    conn: asyncpg.Connection,
    krs: Sequence[asyncpg.Record],
    totals: dict[str, MetricTotals],
    windows: dict[str, tuple[date, date]],
    stamp: str,
    moved: Collection[str],
) -> list[ProgressRow]:
    values: list[tuple[asyncpg.Record, Decimal, Decimal]] = []
    rows: list[dict[str, object]] = []
    for kr in krs:
        counted = totals[kr["id"]]
        actual = metric_value(kr["metric"], counted)
        pct = progress_percent(kr["kind"], kr["start_value"], kr["target_value"], actual)
        values.append((kr, actual, pct))
        first, last = windows[kr["id"]]
        rows.append(
            {
                "kr_id": kr["id"],
                "actual": str(actual),
                "pct": str(pct),
                "display": str(display_percent(pct)),
                "as_of": stamp if kr["id"] in moved else None,
                "d_from": first.isoformat(),
                "d_to": last.isoformat(),
                "revenue_minor": counted.revenue_minor,
                "units": counted.units,
                "premium_revenue_minor": counted.premium_revenue_minor,
                "payments_minor": counted.payments_minor,
                "leads": counted.leads,
                "first_orders": counted.first_orders,
            }
        )
    stored = await conn.fetch(SQL["store_progress"], orjson.dumps(rows).decode())
    last_data = {r["kr_id"]: r["as_of"] for r in stored}
    return [
        ProgressRow(
            kr["id"],
            kr["owner_unit_id"],
            kr["window_start"],
            kr["window_end"],
            actual,
            pct,
            kr["target_value"],
            tuple(kr["monthly_pacing"] or ()),
            last_data[kr["id"]],
        )
        for kr, actual, pct in values
    ]


async def add_progress_rows(
    conn: asyncpg.Connection, kr_ids: Sequence[str] | None = None, schema: str = "public"
) -> None:
    """A zero row for each of `kr_ids` (every KR when None) that has none, for stage 2 to add
    to: a KR just bound, or every KR of a rebuild (in its `schema`)."""
    ids = None if kr_ids is None else list(kr_ids)
    await conn.execute(SQL["add_rows"].format(schema=schema), ids)
