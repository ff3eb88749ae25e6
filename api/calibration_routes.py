"""HTTP: the calibration agenda (generated from the read models) and the meeting's commands."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, Request

from api.commands import Body, IdempotencyKey, record
from api.deps import PersonClient, WriterClient
from api.problems import ProblemError
from api.scope import ReadScope
from domain.calibration import (
    Escalation,
    RecordCalibrationOutcomes,
    ScheduleCalibration,
    Verdict,
    WeightChange,
    calibration_agenda,
)
from projections.okr_queries import kr_snapshots

router = APIRouter(prefix="/v1/okr/calibration", tags=["calibration"])


class ScheduleBody(Body):
    meeting_id: str
    unit_id: str
    cycle_id: str
    starts_at: datetime
    duration_minutes: int = 45


class OutcomesBody(Body):
    verdicts: tuple[Verdict, ...] = ()
    weight_changes: tuple[WeightChange, ...] = ()
    escalations: tuple[Escalation, ...] = ()
    decisions: tuple[str, ...] = ()


@router.get("/agenda")
async def agenda(
    request: Request, unit_id: str, cycle_start: date, cycle_end: date, client: PersonClient
) -> list[dict[str, Any]]:
    """Red/amber KRs, open blockers, pending adjustments and silent KRs under `unit_id`."""
    if cycle_end < cycle_start:
        raise ProblemError(
            422,
            "Invalid request",
            errors=[{"field": "query.cycle_end", "message": "must not be before cycle_start"}],
        )
    async with request.app.state.pool.acquire() as conn:
        org = await request.app.state.org.current(conn)
        if unit_id not in org.units:
            raise ProblemError(404, "NotFound", f"unknown org unit {unit_id!r}")
        await ReadScope(request, client).require_unit(conn, unit_id)
        snapshots = await kr_snapshots(conn, sorted(org.subtree(unit_id)))
    items = calibration_agenda(snapshots, (cycle_start, cycle_end), request.app.state.clock())
    return [asdict(item) for item in items]


@router.post("/meetings", status_code=201)
async def schedule(
    request: Request,
    body: ScheduleBody,
    client: WriterClient,
    idempotency_key: IdempotencyKey = None,
) -> dict[str, Any]:
    return await record(
        request,
        client,
        ScheduleCalibration,
        body.model_dump(),
        idempotency_key,
        handler="calibration_commands",
    )


@router.post("/meetings/{meeting_id}/outcomes", status_code=201)
async def outcomes(
    request: Request,
    meeting_id: str,
    body: OutcomesBody,
    client: WriterClient,
    idempotency_key: IdempotencyKey = None,
) -> dict[str, Any]:
    """Health verdicts, weight changes, escalations and decisions, recorded in one command."""
    return await record(
        request,
        client,
        RecordCalibrationOutcomes,
        {**body.model_dump(), "meeting_id": meeting_id},
        idempotency_key,
        handler="calibration_commands",
    )
