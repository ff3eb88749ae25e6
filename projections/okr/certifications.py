"""Projection and reads of certification: who the evaluation suggested (its alerts), who was
nominated and by whom, who HQ certified and for which strategic projects."""

from __future__ import annotations

import json
import uuid
from typing import Any

import asyncpg

from domain.certifications import (
    CERTIFICATION_EVENTS,
    CERTIFICATION_STREAMS,
    CertificationGranted,
    NominatedForCertification,
)
from domain.event_chain import RecordedEvent
from projections.reads.okr_reads import person_unit


async def certification_facts(
    conn: asyncpg.Connection, person_id: str, alert_id: uuid.UUID
) -> tuple[str | None, bool, frozenset[str]]:
    """The person's unit (None: not registered), whether their suggestion alert exists, and
    the ids of HQ's strategic projects."""
    unit = await person_unit(conn, person_id)
    suggested = await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM outbox WHERE event_id = $1)", alert_id
    )
    projects = await conn.fetch("SELECT project_id FROM strategic_project")
    return unit, bool(suggested), frozenset(r["project_id"] for r in projects)


async def apply_certification_event(conn: asyncpg.Connection, recorded: RecordedEvent) -> None:
    if CERTIFICATION_STREAMS.id_of(recorded.stream_id) is None:
        return
    match CERTIFICATION_EVENTS.decode(recorded):
        case NominatedForCertification() as e:
            await conn.execute(
                "INSERT INTO okr_certification (person_id, cycle_id, status, nominated_by,"
                " nominated_at, nomination_note) VALUES ($1, $2, 'nominated', $3, $4, $5)"
                " ON CONFLICT (person_id, cycle_id) DO NOTHING",
                e.person_id,
                e.cycle_id,
                recorded.actor,
                recorded.occurred_at,
                e.note,
            )
        case CertificationGranted() as e:
            await conn.execute(
                "UPDATE okr_certification SET status = 'granted', granted_by = $3,"
                " granted_at = $4, title = $5, recommended_projects = $6, grant_note = $7"
                " WHERE person_id = $1 AND cycle_id = $2",
                e.person_id,
                e.cycle_id,
                recorded.actor,
                recorded.occurred_at,
                e.title,
                list(e.recommended_projects),
                e.note,
            )


# The suggestions are the evaluation's alerts (stream `alerts-certification-<person>-<cycle>`).
_LIST = """
WITH s AS (
    SELECT convert_from(value, 'UTF8')::jsonb AS alert, created_at FROM outbox
    WHERE topic = $1 AND stream_id LIKE 'alerts-certification-%'
)
SELECT s.alert::text AS alert, c.status, c.nominated_by, c.nominated_at, c.nomination_note,
       c.granted_by, c.granted_at, c.title, c.recommended_projects, c.grant_note, p.unit_id
FROM s
JOIN person p ON p.person_id = s.alert ->> 'person_id'
LEFT JOIN okr_certification c
  ON c.person_id = p.person_id AND c.cycle_id = s.alert -> 'cycle_ids' ->> 1
WHERE $2::text[] IS NULL OR p.unit_id = ANY($2::text[])
ORDER BY s.created_at DESC
"""


async def certifications(
    conn: asyncpg.Connection, alerts_topic: str, units: list[str] | None
) -> list[dict[str, Any]]:
    """Every suggestion (newest first) for people of `units` (None: everyone) with where its
    workflow stands: suggested, nominated, granted."""
    rows = []
    for r in await conn.fetch(_LIST, alerts_topic, units):
        suggestion = json.loads(r["alert"])
        rows.append(
            {
                "person_id": suggestion["person_id"],
                "unit_id": r["unit_id"],
                "cycle_ids": suggestion["cycle_ids"],
                "kr_ids": suggestion["kr_ids"],
                "progress_pct": suggestion["progress_pct"],
                "suggested_at": suggestion["occurred_at"],
                "status": r["status"] or "suggested",
                "nominated_by": r["nominated_by"],
                "nominated_at": r["nominated_at"],
                "nomination_note": r["nomination_note"],
                "granted_by": r["granted_by"],
                "granted_at": r["granted_at"],
                "title": r["title"],
                "recommended_projects": list(r["recommended_projects"] or []),
                "grant_note": r["grant_note"],
            }
        )
    return rows


async def strategic_projects(conn: asyncpg.Connection) -> list[dict[str, Any]]:
    return [dict(r) for r in await conn.fetch(
        "SELECT project_id, title FROM strategic_project ORDER BY project_id"
    )]  # fmt: skip
