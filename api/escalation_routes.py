"""HTTP: a person's escalation inbox (acknowledging and resolving are command routes)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from api.deps import PersonClient
from projections.reads import okr_reads
from projections.reads.progress_reads import rows_json

router = APIRouter(prefix="/v1/okr/escalations", tags=["escalations"])


@router.get("")
async def inbox(
    request: Request, client: PersonClient, include_resolved: bool = False
) -> list[dict[str, Any]]:
    """Escalations waiting for the caller: named to them, or to the unit they manage (HQ and
    auditors: every unit), soonest due first, with `overdue` at the agreed response time."""
    units = {"hq_admin": None, "auditor": None, "manager": [client.unit_id or ""]}.get(
        client.role, []
    )
    async with request.app.state.pool.acquire() as conn:
        rows = await okr_reads.escalation_inbox(
            conn, client.person_id or "", units, request.app.state.clock(), include_resolved
        )
    return rows_json(rows)  # type: ignore[no-any-return]
