"""HTTP: the calibration agenda (generated from the read models) and the meeting's commands."""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request

from api.deps import PersonClient
from api.problems import ProblemError
from api.scope import ReadScope
from projections.reads import okr_reads
from projections.reads.board import calibration_agenda_items
from projections.reads.progress_reads import rows_json

router = APIRouter(prefix="/v1/okr/calibration", tags=["calibration"])


@router.get("/agenda")
async def agenda(
    request: Request, unit_id: str, cycle_start: date, cycle_end: date, client: PersonClient
) -> list[dict[str, Any]]:
    """The next meeting's agenda for `unit_id`'s subtree, from the KR values and health the
    board shows: the quarter's cleanup tasks not done, red/amber KRs and silent check-in KRs
    (is progress healthy?), open blockers and pending adjustments (which blockers need
    support?). `cycle_start`..`cycle_end` paces only KRs with no window or cycle of their
    own."""
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
        now = request.app.state.clock()
        zone = ZoneInfo(request.app.state.settings.company_timezone)
        items = await calibration_agenda_items(
            conn, org, unit_id, now, zone, (cycle_start, cycle_end)
        )
    return [item.document() for item in items]


@router.get("/meetings")
async def meetings(request: Request, unit_id: str, client: PersonClient) -> list[dict[str, Any]]:
    """The unit's calibration meetings (scheduled by hand or by its rhythm), latest first."""
    async with request.app.state.pool.acquire() as conn:
        await ReadScope(request, client).require_unit(conn, unit_id)
        rows = await okr_reads.meetings(conn, [unit_id])
    return rows_json(rows)  # type: ignore[no-any-return]


@router.get("/meetings/{meeting_id}")
async def minutes(request: Request, meeting_id: str, client: PersonClient) -> dict[str, Any]:
    """The meeting's minutes: unit, cycle, time, who scheduled and concluded it, its decisions
    and escalations, and what it changed (KR weights before/after, health verdicts)."""
    async with request.app.state.pool.acquire() as conn:
        found = await okr_reads.meeting_minutes(conn, meeting_id)
        if found is None:
            raise ProblemError(404, "NotFound", f"no calibration meeting {meeting_id!r}")
        await ReadScope(request, client).require_unit(conn, found["unit_id"])
    return rows_json([found])[0]  # type: ignore[no-any-return]
