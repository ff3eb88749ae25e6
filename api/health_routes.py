"""HTTP: is the API up, and which of the other processes are."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from projections.reads.process_health import process_health

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz(request: Request) -> dict[str, Any]:
    """The API answers; and which of the other processes (worker agents, relay, webhook
    dispatcher) beat within the last 10 s, how long ago, and how often each was restarted."""
    try:
        async with request.app.state.pool.acquire(timeout=2.0) as conn:
            processes = await process_health(conn)
    except Exception as exc:  # the database is down: say so, the API itself still answers
        return {"status": "degraded", "database": f"unreachable: {type(exc).__name__}"}
    down = [name for name, p in processes.items() if not p["up"]]
    return {"status": "degraded" if down else "ok", "database": "ok", "processes": processes}
