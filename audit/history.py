"""`northstar audit history`: every target change, folded from the KR streams of the event
store (the source of truth), selected by KR, objective, owner, region, cycle and time."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import groupby
from typing import Any

import asyncpg

from domain.key_result.events import kr_of_stream, kr_stream
from domain.key_result.state import TargetChange, target_changes
from infra.postgres.event_store import EVENT_COLUMNS, recorded_event

_ADJUSTMENT_EVENTS = [
    "okr.kr.target_adjustment_requested",
    "okr.kr.target_adjustment_approved",
    "okr.kr.target_adjustment_rejected",
    "okr.kr.target_adjustment_applied",
    "okr.kr.target_adjustment_cancelled",
    "okr.kr.target_redefined",
]
_EVENTS = f"""
SELECT {EVENT_COLUMNS}
FROM event_store
WHERE event_type = ANY($1::text[]) AND ($2::text[] IS NULL OR stream_id = ANY($2::text[]))
ORDER BY stream_id, version
"""
_SELECTIONS = {
    "objective_id": "SELECT kr_id FROM okr_kr_weight WHERE objective_id = $1",
    "owner_person_id": "SELECT kr_id FROM okr_key_result WHERE owner_person_id = $1",
    "region_id": """
        WITH RECURSIVE subtree AS (
            SELECT id FROM org_unit WHERE id = $1
            UNION ALL SELECT u.id FROM org_unit u JOIN subtree s ON u.parent_id = s.id
        )
        SELECT kr_id FROM okr_key_result WHERE owner_unit_id IN (SELECT id FROM subtree)""",
    "cycle_id": """
        SELECT w.kr_id FROM okr_kr_weight w JOIN okr_objective o USING (objective_id)
        WHERE o.cycle_id = $1""",
}
CSV_COLUMNS = (
    "kr_id",
    "kind",
    "request_id",
    "requested_at",
    "requested_by",
    "current_target",
    "proposed_target",
    "reason",
    "evidence",
    "decision",
    "decided_at",
    "decided_by",
    "decision_note",
    "applied_at",
    "applied_by",
    "new_target",
    "hours_to_decision",
    "hours_to_applied",
)


@dataclass(frozen=True)
class HistoryFilter:
    kr_id: str | None = None
    objective_id: str | None = None
    owner_person_id: str | None = None
    region_id: str | None = None
    cycle_id: str | None = None
    since: datetime | None = None  # requested at or after
    until: datetime | None = None  # requested before


async def target_change_history(
    conn: asyncpg.Connection, selection: HistoryFilter
) -> list[TargetChange]:
    """The target changes of the selected KRs (all filters must hold), oldest request first."""
    kr_ids: set[str] | None = {selection.kr_id} if selection.kr_id else None
    for name, sql in _SELECTIONS.items():
        value = getattr(selection, name)
        if value is not None:
            chosen = {r[0] for r in await conn.fetch(sql, value)}
            kr_ids = chosen if kr_ids is None else kr_ids & chosen
    streams = None if kr_ids is None else sorted(kr_stream(k) for k in kr_ids)
    rows = await conn.fetch(_EVENTS, _ADJUSTMENT_EVENTS, streams)
    changes: list[TargetChange] = []
    for stream_id, stream_rows in groupby(rows, key=lambda r: r["stream_id"]):
        events = [recorded_event(r) for r in stream_rows]
        changes.extend(target_changes(kr_of_stream(stream_id) or stream_id, events))
    return sorted(
        (
            c
            for c in changes
            if (selection.since is None or c.requested_at >= selection.since)
            and (selection.until is None or c.requested_at < selection.until)
        ),
        key=lambda c: (c.requested_at, c.kr_id, c.request_id),
    )


def change_document(change: TargetChange) -> dict[str, Any]:
    """A target change as JSON values (decimals as digit strings, times in ISO 8601)."""
    return {
        "kr_id": change.kr_id,
        "kind": change.kind,
        "request_id": change.request_id or None,
        "requested_at": change.requested_at.isoformat(),
        "requested_by": change.requested_by,
        "current_target": _digits(change.current_target),
        "proposed_target": _digits(change.proposed_target),
        "reason": change.reason,
        "evidence": list(change.evidence),
        "decision": change.decision,
        "decided_at": _iso(change.decided_at),
        "decided_by": change.decided_by,
        "decision_note": change.decision_note,
        "applied_at": _iso(change.applied_at),
        "applied_by": change.applied_by,
        "new_target": _digits(change.new_target),
        "hours_to_decision": _hours(change.to_decision),
        "hours_to_applied": _hours(change.to_applied),
    }


def as_csv(changes: list[TargetChange]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for change in changes:
        row = change_document(change)
        writer.writerow({**row, "evidence": " | ".join(row["evidence"])})
    return out.getvalue()


def _digits(value: object) -> str | None:
    return None if value is None else format(value, "f")


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _hours(delta: timedelta | None) -> float | None:
    return None if delta is None else round(delta.total_seconds() / 3600, 3)
