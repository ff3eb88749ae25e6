"""Projection: each unit's calibration rhythm, and the minutes of calibration meetings —
scheduled, concluded, what was decided —
and what their outcomes changed (KR weights before/after, health verdicts, which also join the
KR's health history)."""

from __future__ import annotations

import json

import asyncpg

from domain.calibration import (
    CalibrationOutcomesRecorded,
    CalibrationScheduled,
    calibration_event_of,
    meeting_of_stream,
)
from domain.calibration_cadence import CalibrationCadenceSet, cadence_event_of
from domain.event_chain import RecordedEvent
from domain.key_result.events import HealthVerdictRecorded, kr_event_of, kr_of_stream
from domain.objectives import KeyResultWeightsSet, portfolio_event_of


async def apply_calibration_event(conn: asyncpg.Connection, recorded: RecordedEvent) -> None:
    """One recorded event's effect on the minutes (events that are not a meeting's, or not
    caused by one, change nothing)."""
    at, by = recorded.occurred_at, recorded.actor
    match calibration_event_of(recorded):
        case CalibrationScheduled() as e:
            await conn.execute(
                "INSERT INTO okr_calibration_meeting (meeting_id, unit_id, cycle_id, starts_at,"
                " duration_minutes, scheduled_by, scheduled_at)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7)",
                meeting_of_stream(recorded.stream_id),
                e.unit_id,
                e.cycle_id,
                e.starts_at,
                e.duration_minutes,
                by,
                at,
            )
        case CalibrationOutcomesRecorded() as e:
            await conn.execute(
                "UPDATE okr_calibration_meeting SET concluded_by = $2, concluded_at = $3,"
                " decisions = $4, escalations = $5 WHERE meeting_id = $1",
                meeting_of_stream(recorded.stream_id),
                by,
                at,
                json.dumps(list(e.decisions), ensure_ascii=False),
                json.dumps([x.model_dump(mode="json") for x in e.escalations], ensure_ascii=False),
            )
    match cadence_event_of(recorded):
        case CalibrationCadenceSet() as e:
            await conn.execute(
                "INSERT INTO okr_calibration_cadence (unit_id, every_days, first_at,"
                " duration_minutes, set_by, set_at) VALUES ($1, $2, $3, $4, $5, $6)"
                " ON CONFLICT (unit_id) DO UPDATE SET every_days = excluded.every_days,"
                " first_at = excluded.first_at, duration_minutes = excluded.duration_minutes,"
                " set_by = excluded.set_by, set_at = excluded.set_at",
                e.unit_id,
                e.every_days,
                e.first_at,
                e.duration_minutes,
                by,
                at,
            )
    match portfolio_event_of(recorded):
        case KeyResultWeightsSet(meeting_id=str() as meeting_id) as e:
            await _change(
                conn,
                recorded,
                meeting_id,
                "weights",
                e.objective_id,
                {k: str(v) for k, v in e.previous.items()},
                {k: str(v) for k, v in e.weights.items()},
                "",
            )
    match kr_event_of(recorded):
        case HealthVerdictRecorded() as e:
            kr_id = kr_of_stream(recorded.stream_id) or recorded.stream_id
            await conn.execute(
                "INSERT INTO okr_health_verdict (event_id, kr_id, health, note, meeting_id,"
                " judged_by, judged_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                recorded.event_id,
                kr_id,
                e.health,
                e.note,
                e.meeting_id,
                by,
                at,
            )
            await _change(conn, recorded, e.meeting_id, "verdict", kr_id, None, e.health, e.note)


async def _change(
    conn: asyncpg.Connection,
    recorded: RecordedEvent,
    meeting_id: str,
    kind: str,
    subject_id: str,
    before: object,
    after: object,
    note: str,
) -> None:
    await conn.execute(
        "INSERT INTO okr_calibration_change (event_id, meeting_id, kind, subject_id, before,"
        " after, note, changed_by, changed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        recorded.event_id,
        meeting_id,
        kind,
        subject_id,
        None if before is None else json.dumps(before),
        json.dumps(after),
        note,
        recorded.actor,
        recorded.occurred_at,
    )
