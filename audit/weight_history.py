"""`northstar audit history --weights` and `GET /v1/audit/weight-changes`: every change of an
objective's KR weights — before and after, who, when, and the calibration meeting that decided
it, if one did — read from the portfolio streams of the event store (the source of truth)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from domain.objectives import KeyResultWeightsSet, portfolio_event_of
from infra.postgres.event_store import EVENT_COLUMNS, recorded_event

_WEIGHT_EVENTS = f"""
SELECT {EVENT_COLUMNS}
FROM event_store
WHERE event_type = 'okr.objective.kr_weights_set'
  AND ($1::text IS NULL OR payload ->> 'objective_id' = $1)
  AND ($2::timestamptz IS NULL OR occurred_at >= $2)
  AND ($3::timestamptz IS NULL OR occurred_at < $3)
ORDER BY occurred_at, stream_id, version
"""


async def weight_change_history(
    conn: asyncpg.Connection,
    objective_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[dict[str, Any]]:
    """The weight changes (of one objective, or all), oldest first, as JSON values."""
    changes = []
    for row in await conn.fetch(_WEIGHT_EVENTS, objective_id, since, until):
        recorded = recorded_event(row)
        event = portfolio_event_of(recorded)
        if not isinstance(event, KeyResultWeightsSet):
            continue
        changes.append(
            {
                "objective_id": event.objective_id,
                "changed_at": recorded.occurred_at.isoformat(),
                "changed_by": recorded.actor,
                "before": {k: format(v, "f") for k, v in sorted(event.previous.items())},
                "after": {k: format(v, "f") for k, v in sorted(event.weights.items())},
                "meeting_id": event.meeting_id,
                "stream_id": recorded.stream_id,
                "version": recorded.version,
            }
        )
    return changes
