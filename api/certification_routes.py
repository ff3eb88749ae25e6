"""HTTP: certification suggestions and where each stands, and HQ's strategic projects
(nominating and granting are command routes)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from api.deps import PersonClient
from domain.access import SEES_EVERYTHING
from projections.okr.certifications import certifications, strategic_projects
from projections.reads.progress_reads import rows_json

router = APIRouter(prefix="/v1/okr", tags=["certification"])


@router.get("/certifications")
async def list_certifications(request: Request, client: PersonClient) -> list[dict[str, Any]]:
    """Every certification the evaluation suggested (two calendar-adjacent cycles over 100 % on
    the certification metric), newest first, with its state — `suggested`, `nominated` (by whom,
    when, why) or `granted` (title, recommended strategic projects) — for the people of the
    caller's part of the org tree (a rep: their own; HQ and auditors: everyone)."""
    async with request.app.state.pool.acquire() as conn:
        units = None
        if client.role not in SEES_EVERYTHING:
            org = await request.app.state.org.current(conn)
            units = sorted(org.subtree(client.unit_id or ""))
        rows = await certifications(conn, request.app.state.settings.alerts_topic, units)
    if client.role == "rep":
        rows = [r for r in rows if r["person_id"] == client.person_id]
    return rows_json(rows)  # type: ignore[no-any-return]


@router.get("/strategic-projects")
async def list_strategic_projects(request: Request, _: PersonClient) -> list[dict[str, Any]]:
    """HQ's strategic projects (from the company catalogue), which a certification recommends
    people for."""
    async with request.app.state.pool.acquire() as conn:
        return await strategic_projects(conn)
