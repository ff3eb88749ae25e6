"""HTTP: who sets each region's OKRs, and the HRBP proposals waiting for HQ (setting the mode,
proposing, approving and rejecting are command routes)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request

from api.deps import PersonClient
from domain.access import SEES_EVERYTHING
from projections.reads import okr_reads
from projections.reads.progress_reads import rows_json

router = APIRouter(prefix="/v1/okr", tags=["governance"])


@router.get("/policy/governance")
async def governance(request: Request, client: PersonClient) -> dict[str, Any]:
    """Every region's mode: `centralised` (an HRBP proposes, HQ approves) or `distributed`
    (the default: the region's managers define their own OKRs), with who set it, when, why."""
    async with request.app.state.pool.acquire() as conn:
        org = await request.app.state.org.current(conn)
        rows = {r["region_id"]: r for r in await okr_reads.governance(conn)}
    regions = sorted(u.id for u in org.units.values() if u.level == "region")
    listed = [
        dict(rows[r]) if r in rows else {"region_id": r, "mode": "distributed"} for r in regions
    ]
    return {"regions": rows_json(listed)}


@router.get("/proposals")
async def proposals(
    request: Request,
    client: PersonClient,
    status: Literal["pending", "approved", "rejected"] | None = None,
) -> list[dict[str, Any]]:
    """Proposals for the units in the caller's part of the org tree (HQ and auditors: all),
    the latest first; `status` filters."""
    async with request.app.state.pool.acquire() as conn:
        units = None
        if client.role not in SEES_EVERYTHING:
            org = await request.app.state.org.current(conn)
            units = sorted(org.subtree(client.unit_id or ""))
        rows = await okr_reads.proposals(conn, units, status)
    return rows_json(rows)  # type: ignore[no-any-return]
