"""Projection: shared practices as others browse them, and who adopted each."""

from __future__ import annotations

import json

import asyncpg

from domain.event_chain import RecordedEvent
from domain.practices import (
    PracticeAdopted,
    PracticePublished,
    practice_event_of,
    practice_of_stream,
)


async def apply_practice_event(conn: asyncpg.Connection, recorded: RecordedEvent) -> None:
    """One recorded event's effect on the practices (other streams' events change nothing)."""
    practice_id = practice_of_stream(recorded.stream_id)
    if practice_id is None:
        return
    match practice_event_of(recorded):
        case PracticePublished() as e:
            await conn.execute(
                "INSERT INTO okr_practice (practice_id, kr_id, unit_id, title, description,"
                " evidence, metric, figure, figure_unit, tags, published_by, published_at)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                practice_id,
                e.kr_id,
                e.unit_id,
                e.title,
                e.description,
                e.evidence,
                e.metric,
                e.figure,
                e.figure_unit,
                json.dumps(list(e.tags), ensure_ascii=False),
                recorded.actor,
                recorded.occurred_at,
            )
        case PracticeAdopted() as e:
            await conn.execute(
                "INSERT INTO okr_practice_adoption (practice_id, unit_id, kr_id, note,"
                " adopted_by, adopted_at) VALUES ($1, $2, $3, $4, $5, $6)",
                practice_id,
                e.unit_id,
                e.kr_id,
                e.note,
                recorded.actor,
                recorded.occurred_at,
            )
