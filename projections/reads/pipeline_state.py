"""The pipeline's state as an operator watches it, from the database: how far each sales
partition is applied and how fresh its last batch was, the outbox's backlog, parked streams,
process restarts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from projections.sales.sales_rollups import PROJECTION


@dataclass(frozen=True)
class PipelineState:
    applied: dict[int, int]  # sales partition -> next offset the projection will apply
    # sales partition -> seconds from its last batch's oldest record being produced to the
    # batch's commit (partitions whose last batch had no produce time are left out)
    freshness: dict[int, float]
    outbox_backlog: int
    outbox_oldest: datetime | None
    parked_streams: int
    restarts: dict[str, int]


async def pipeline_state(conn: asyncpg.Connection, sales_topic: str) -> PipelineState:
    applied = await conn.fetch(
        "SELECT partition, next_offset,"
        " extract(epoch FROM updated_at - batch_oldest_record_at) AS freshness"
        " FROM projection_checkpoint WHERE projection = $1 AND topic = $2",
        PROJECTION,
        sales_topic,
    )
    outbox = await conn.fetchrow(
        "SELECT count(*) AS waiting, min(created_at) AS oldest FROM outbox"
        " WHERE published_at IS NULL"
    )
    parked = await conn.fetchval("SELECT count(*) FROM okr_parked_stream")
    restarts = await conn.fetch("SELECT name, restarts FROM process_heartbeat")
    return PipelineState(
        applied={r["partition"]: r["next_offset"] for r in applied},
        freshness={
            r["partition"]: max(0.0, float(r["freshness"]))
            for r in applied
            if r["freshness"] is not None
        },
        outbox_backlog=outbox["waiting"],
        outbox_oldest=outbox["oldest"],
        parked_streams=parked,
        restarts={r["name"]: r["restarts"] for r in restarts},
    )


async def okr_events_not_applied(conn: asyncpg.Connection) -> int:
    """Events in the store the OKR read models do not hold yet (each stream's position is its
    last applied version; versions run from 1, so they sum to the events applied)."""
    events = await conn.fetchval("SELECT count(*) FROM event_store")
    applied = await conn.fetchval("SELECT coalesce(sum(version), 0) FROM okr_stream_position")
    return int(events - applied)
