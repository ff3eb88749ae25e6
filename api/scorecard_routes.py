"""HTTP: scorecards — a person's KRs, or a unit's whole subtree's, by colour now, week by week
over the cycle, and the weakest KR (projections/reads/scorecards.py)."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request

from api.deps import PersonClient
from api.problems import ProblemError
from api.scope import ReadScope
from projections.reads.board import current_cycle
from projections.reads.okr_reads import person_unit
from projections.reads.progress_reads import rows_json
from projections.reads.scorecards import scorecard

router = APIRouter(prefix="/v1/okr/scorecards", tags=["scorecards"])


async def _card(
    request: Request, conn: Any, cycle_id: str | None, **subject: str
) -> dict[str, Any]:
    now = request.app.state.clock()
    zone = ZoneInfo(request.app.state.settings.company_timezone)
    if cycle_id is None:
        cycle = await current_cycle(conn, now.astimezone(zone).date())
        if cycle is None:
            raise ProblemError(404, "NotFound", "no cycle is running today: name one (cycle_id)")
        cycle_id = cycle["cycle_id"]
    org = await request.app.state.org.current(conn)
    card = await scorecard(conn, org, now, zone, cycle_id, **subject)
    if card is None:
        raise ProblemError(404, "NotFound", f"no cycle {cycle_id!r} is defined")
    return rows_json([card])[0]  # type: ignore[no-any-return]


@router.get("/people/{person_id}")
async def person_scorecard(
    request: Request, client: PersonClient, person_id: str, cycle_id: str | None = None
) -> dict[str, Any]:
    """The KRs `person_id` owns in the cycle (default: the one running today): green, amber
    and red now (count and share), each week's counts over the cycle, the weakest KR. Readable
    by the person, the managers above them, their HRBP, HQ and auditors."""
    async with request.app.state.pool.acquire() as conn:
        unit_id = await person_unit(conn, person_id)
        if unit_id is None:
            raise ProblemError(404, "NotFound", f"no person {person_id!r} is registered")
        await ReadScope(request, client).require(
            conn, f"the scorecard of {person_id!r}", person_id, unit_id, set()
        )
        return await _card(request, conn, cycle_id, person_id=person_id)


@router.get("/units/{unit_id}")
async def unit_scorecard(
    request: Request, client: PersonClient, unit_id: str, cycle_id: str | None = None
) -> dict[str, Any]:
    """The KRs owned anywhere in `unit_id`'s subtree in the cycle: as for a person. Readable
    by the unit's managers and those above, HQ and auditors."""
    async with request.app.state.pool.acquire() as conn:
        await ReadScope(request, client).require_known_unit(conn, unit_id)
        return await _card(request, conn, cycle_id, unit_id=unit_id)
