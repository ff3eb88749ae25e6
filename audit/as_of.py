"""`northstar audit as-of` and `audit diff`: the OKRs as they stood at a moment, folded from
the event store, for a KR, an objective (with its KRs) or an org subtree."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

import asyncpg

from domain.as_of import Document, diff, kr_snapshot, objective_snapshots
from domain.event_chain import RecordedEvent
from domain.key_result.events import kr_of_stream, kr_stream
from infra.postgres.event_store import EVENT_COLUMNS, recorded_event

_EVENTS_UP_TO = f"""
SELECT {EVENT_COLUMNS}
FROM event_store
WHERE occurred_at <= $1 AND ($2::text[] IS NULL OR stream_id = ANY($2::text[]))
  AND (stream_id LIKE 'kr-%' OR stream_id LIKE 'portfolio-%')
ORDER BY stream_id, version
"""
_OBJECTIVE_STREAM = """
SELECT stream_id FROM event_store
WHERE event_type = 'okr.objective.defined' AND payload->>'objective_id' = $1
"""
_SUBTREE = """
WITH RECURSIVE subtree AS (
    SELECT id FROM org_unit WHERE id = $1
    UNION ALL SELECT u.id FROM org_unit u JOIN subtree s ON u.parent_id = s.id
)
SELECT id FROM subtree
"""


async def state_as_of(
    conn: asyncpg.Connection,
    moment: datetime,
    kr_id: str | None = None,
    objective_id: str | None = None,
    unit_id: str | None = None,
) -> dict[str, Any]:
    """{"as_of", "key_results": {id: doc}, "objectives": {id: doc}} from the events that
    occurred up to `moment` (one KR; one objective and its KRs; a subtree; or everything)."""
    streams: list[str] | None = None
    if kr_id is not None:
        streams = [kr_stream(kr_id)]
    elif objective_id is not None:
        streams = [r[0] for r in await conn.fetch(_OBJECTIVE_STREAM, objective_id)]
    krs, objectives = await _fold(conn, moment, streams)
    if objective_id is not None:
        objectives = {k: v for k, v in objectives.items() if k == objective_id}
        weighted = {k for o in objectives.values() for k in o["kr_weights"]}
        krs, _ = await _fold(conn, moment, [kr_stream(k) for k in sorted(weighted)])
    if unit_id is not None:
        units = {r[0] for r in await conn.fetch(_SUBTREE, unit_id)}
        krs = {k: v for k, v in krs.items() if v["owner_unit_id"] in units}
        objectives = {k: v for k, v in objectives.items() if v["owner_unit_id"] in units}
    return {"as_of": moment.isoformat(), "key_results": krs, "objectives": objectives}


async def changes_between(
    conn: asyncpg.Connection, first: datetime, second: datetime, **selection: str | None
) -> dict[str, Any]:
    before = await state_as_of(conn, first, **selection)
    after = await state_as_of(conn, second, **selection)
    return {
        "from": before["as_of"],
        "to": after["as_of"],
        "key_results": diff(before["key_results"], after["key_results"]),
        "objectives": diff(before["objectives"], after["objectives"]),
    }


async def _fold(
    conn: asyncpg.Connection, moment: datetime, streams: list[str] | None
) -> tuple[dict[str, Document], dict[str, Document]]:
    by_stream: dict[str, list[RecordedEvent]] = defaultdict(list)
    for row in await conn.fetch(_EVENTS_UP_TO, moment, streams):
        by_stream[row["stream_id"]].append(recorded_event(row))
    krs: dict[str, Document] = {}
    objectives: dict[str, Document] = {}
    for stream_id, events in by_stream.items():
        if (kr_id := kr_of_stream(stream_id)) is not None:
            doc = kr_snapshot(kr_id, events)
            if doc is not None:
                krs[doc["kr_id"]] = doc
        else:
            objectives.update(objective_snapshots(events))
    return krs, objectives
