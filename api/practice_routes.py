"""HTTP: browsing and searching shared practices (publishing and adopting are command routes)."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request

from api.deps import PersonClient
from api.problems import ProblemError
from projections.reads import okr_reads
from projections.reads.progress_reads import rows_json

router = APIRouter(prefix="/v1/okr/practices", tags=["practices"])


@router.get("")
async def find_practices(
    request: Request,
    client: PersonClient,
    metric: str | None = None,
    region_id: str | None = None,
    tag: str | None = None,
    q: str | None = None,
) -> list[dict[str, Any]]:
    """Practices every person may learn from, found by the metric their evidence names, the
    region they were published in (its whole subtree), a tag, and words (`q`) in the title,
    description or evidence; the latest first, with how many units adopted each."""
    async with request.app.state.pool.acquire() as conn:
        units = None
        if region_id is not None:
            org = await request.app.state.org.current(conn)
            if region_id not in org.units:
                raise ProblemError(404, "NotFound", f"unknown org unit {region_id!r}")
            units = sorted(org.subtree(region_id))
        rows = await okr_reads.practices(conn, metric, units, tag, q)
    return rows_json(rows)  # type: ignore[no-any-return]


@router.get("/{practice_id}")
async def practice(request: Request, practice_id: str, client: PersonClient) -> dict[str, Any]:
    """The practice, and each unit that adopted it with its KR's progress when it adopted the
    practice and now, against the KR's current target (fed by check-ins: the last check-in at
    the adoption moment; fed by sales: its metric through the adoption's business day)."""
    async with request.app.state.pool.acquire() as conn:
        zone = ZoneInfo(request.app.state.settings.company_timezone)
        found = await okr_reads.practice_with_adopters(conn, practice_id, zone)
    if found is None:
        raise ProblemError(404, "NotFound", f"no practice {practice_id!r}")
    return rows_json([found])[0]  # type: ignore[no-any-return]
