"""Server-sent events: the alerts (KR health, region lagging, overdue adjustments,
certification) for subscribers without Kafka; the event name is the alert type."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse

from api.deps import AlertClient
from api.scope import ReadScope, kr_objectives
from domain.access import SEES_EVERYTHING, region_alert_refusal
from infra.postgres.db import connect
from projections.alert_outbox import ALERT_CHANNEL

router = APIRouter(prefix="/v1/alerts", tags=["alerts"])
HEARTBEAT_S = 15.0
# The very bytes the alerts topic carries (the outbox keeps them), so every channel is alike.
_ALERT_BY_ID = "SELECT value FROM outbox WHERE event_id = $1::uuid"
_BACKLOG = """
SELECT event_id::text FROM outbox
WHERE topic = $2 AND created_at >= $1 ORDER BY created_at, stream_id, version LIMIT 1000
"""
_KR_OWNER = """
SELECT k.owner_unit_id AS unit_id, o.owner_person_id AS person_id
FROM key_result k LEFT JOIN okr_key_result o ON o.kr_id = k.id WHERE k.id = $1
UNION ALL
SELECT o.owner_unit_id, o.owner_person_id FROM okr_key_result o
WHERE o.kr_id = $1 AND NOT EXISTS (SELECT 1 FROM key_result WHERE id = $1)
"""
_RECORDED_AT = "SELECT created_at FROM outbox WHERE event_id::text = $1 AND topic = $2"


def _frame(alert_id: str, value: bytes) -> str:
    kind = orjson.loads(value)["type"].removeprefix("alert.")
    return f"id: {alert_id}\nevent: {kind}\ndata: {value.decode()}\n\n"


@router.get("/stream")
async def stream(
    request: Request,
    client: AlertClient,
    since: Annotated[
        datetime | None, Query(description="also send the alerts recorded since then")
    ] = None,
    kr_id: Annotated[str | None, Query(description="only alerts about this KR")] = None,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> StreamingResponse:
    """Alerts as they are recorded (at least once: deduplicate on the event id)."""
    settings = request.app.state.settings
    conn = await connect(settings.dsn)
    queue: asyncio.Queue[str] = asyncio.Queue()
    await conn.add_listener(ALERT_CHANNEL, lambda *args: queue.put_nowait(args[3]))
    topic = settings.alerts_topic
    if since is None and last_event_id:
        since = await conn.fetchval(_RECORDED_AT, last_event_id, topic)
    backlog = [r[0] for r in await conn.fetch(_BACKLOG, since, topic)] if since else []

    scope = ReadScope(request, client)

    async def visible(alert: dict[str, Any]) -> bool:
        """Services see every alert; a person only those about goals in their scope."""
        if client.person_id is None:
            return True
        if "kr_id" in alert:
            owner = await conn.fetchrow(_KR_OWNER, alert["kr_id"])
            if owner is None:
                return False
            objectives = await kr_objectives(conn, alert["kr_id"])
            return (
                await scope.refusal(conn, owner["person_id"] or "", owner["unit_id"], objectives)
                is None
            )
        if "region_id" in alert:
            org = await request.app.state.org.current(conn)
            return (
                region_alert_refusal(client.role, client.unit_id or "", alert["region_id"], org)
                is None
            )
        return client.role in SEES_EVERYTHING or alert.get("person_id") == client.person_id

    async def frames() -> AsyncIterator[str]:
        try:
            yield ": subscribed\n\n"
            for alert_id in backlog:
                queue.put_nowait(alert_id)
            while not await request.is_disconnected():
                try:
                    alert_id = await asyncio.wait_for(queue.get(), HEARTBEAT_S)
                except TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
                value = await conn.fetchval(_ALERT_BY_ID, alert_id)
                if value is None:
                    continue
                alert = orjson.loads(value)
                if kr_id in (None, alert.get("kr_id")) and await visible(alert):
                    yield _frame(alert_id, value)
        finally:
            with contextlib.suppress(Exception):
                await conn.close()

    return StreamingResponse(
        frames(), media_type="text/event-stream", headers={"Cache-Control": "no-store"}
    )
