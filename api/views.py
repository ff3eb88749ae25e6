"""Recording goal views: a person opening a KR, an objective, or the board (all of their goals
on one page: one view, not one per goal it lists)."""

from __future__ import annotations

from typing import Literal

from fastapi import Request

from infra.postgres.accounts import Client
from projections.reads import okr_reads


async def record_view(
    request: Request,
    client: Client,
    subject: Literal["key_result", "objective", "board"],
    subject_id: str,
) -> None:
    """One row per read by a person (service clients are not people and are not counted)."""
    if client.person_id is None:
        return
    async with request.app.state.pool.acquire() as conn:
        await okr_reads.record_goal_view(
            conn, client.person_id, client.role, client.unit_id, subject, subject_id
        )
