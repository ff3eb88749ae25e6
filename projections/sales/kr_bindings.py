"""The sales side's KR definitions: a KR bound to a sales metric joins the KRs the sales
projection sums (`key_result`, `kr_progress`); an applied or redefined target moves it. Fed by
the OKR events (the OKR agent applies it beside the OKR read models, in their transaction); each
KR it changes is marked, and `refresh_marked` recomputes its progress and health at once, after
that commit."""

from __future__ import annotations

from datetime import tzinfo

import asyncpg

from domain.event_chain import RecordedEvent
from domain.key_result.events import (
    KeyResultDefined,
    TargetAdjustmentApplied,
    TargetRedefined,
    kr_event_of,
    kr_of_stream,
)
from domain.key_result.metrics import MetricScope
from projections.sales.kr_health import record_health
from projections.sales.kr_progress import (
    SNAPSHOT,
    add_progress_rows,
    business_now,
    refresh_progress,
    shard_locks,
)


async def apply_kr_event(conn: asyncpg.Connection, recorded: RecordedEvent) -> None:
    """One recorded event's effect on the sales side's KRs (only bindings and applied targets
    matter; a manual KR is not summed from sales)."""
    kr_id = kr_of_stream(recorded.stream_id)
    if kr_id is None:
        return
    match kr_event_of(recorded):
        case KeyResultDefined(binding=MetricScope() as binding) as event:
            await _bind(conn, kr_id, event, binding)
        case TargetAdjustmentApplied() | TargetRedefined() as event:
            await conn.execute(
                "UPDATE key_result SET target_value = $2, needs_refresh = true WHERE id = $1",
                kr_id,
                event.new_target,
            )


async def _bind(
    conn: asyncpg.Connection, kr_id: str, event: KeyResultDefined, binding: MetricScope
) -> None:
    await conn.execute(
        "INSERT INTO key_result (id, title, owner_unit_id, metric, kind, start_value,"
        " target_value, window_start, window_end, category, channel, window_kind,"
        " rolling_days, skus, monthly_pacing, needs_refresh)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, true)"
        " ON CONFLICT (id) DO NOTHING",
        kr_id,
        event.title,
        event.owner_unit_id,
        binding.metric,
        event.kind,
        event.start,
        event.target,
        binding.window_start,
        binding.window_end,
        binding.category,
        binding.channel,
        binding.window,
        binding.rolling_days,
        binding.skus,
        binding.monthly_pacing,
    )
    await add_progress_rows(conn, [kr_id])


async def refresh_marked(conn: asyncpg.Connection, zone: tzinfo, alerts_topic: str) -> int:
    """Recompute progress of the KRs `apply_kr_event` marked (a new binding, an applied
    target), in a snapshot of its own taken while no stage-2 run is in progress (it waits for
    them), and evaluate their health at once: a target change can turn a KR red or green without
    a sale."""
    if not await conn.fetchval("SELECT EXISTS (SELECT 1 FROM key_result WHERE needs_refresh)"):
        return 0
    async with shard_locks(conn, (), wait=True), conn.transaction(isolation=SNAPSHOT):
        rows = await conn.fetch(
            "SELECT p.kr_id FROM kr_progress p JOIN key_result k ON k.id = p.kr_id"
            " WHERE k.needs_refresh ORDER BY p.kr_id FOR UPDATE OF p"
        )
        if not rows:
            return 0
        ids = [r["kr_id"] for r in rows]
        now = await business_now(conn)
        await record_health(
            conn, await refresh_progress(conn, ids, zone, now), now, alerts_topic, zone
        )
        await conn.execute(
            "UPDATE key_result SET needs_refresh = false WHERE id = ANY($1::text[])", ids
        )
    return len(ids)
