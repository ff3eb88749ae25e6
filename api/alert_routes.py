"""Server-sent events: the alerts (KR health, region lagging, overdue adjustments,
certification, parked streams) for subscribers without Kafka; the event name is the alert
type, the event id the alert id. Replay (`since`, `Last-Event-ID`) is exact: every alert after
that point, in commit order, filtered first and paged without a cap, then live."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse

from api.alert_hub import AlertHub, Delivery, deliveries
from api.deps import AlertClient
from api.problems import ProblemError
from api.scope import ReadScope
from domain.access import SEES_EVERYTHING, read_refusal, region_alert_refusal
from infra.postgres.accounts import Client
from projections.reads import alert_reads

router = APIRouter(prefix="/v1/alerts", tags=["alerts"])
HEARTBEAT_S = 15.0
REPLAY_PAGE = 500


def visible(client: Client, chain: set[str], delivery: Delivery) -> bool:
    """Services see every alert; a person only those about goals in their read scope (the
    same rule as reading the goal), their region's, and their own."""
    if client.person_id is None:
        return True
    alert = delivery.alert
    if "kr_id" in alert:
        kr = delivery.kr
        if kr is None:
            return False
        refusal = read_refusal(
            client.role,
            client.person_id,
            client.unit_id or "",
            kr.person_id,
            kr.unit_id,
            delivery.org,
            on_viewers_chain=bool(kr.objectives & chain),
        )
        return refusal is None
    if "region_id" in alert:
        return (
            region_alert_refusal(
                client.role, client.unit_id or "", alert["region_id"], delivery.org
            )
            is None
        )
    return client.role in SEES_EVERYTHING or alert.get("person_id") == client.person_id


def _since(value: str | None) -> datetime | uuid.UUID | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        pass
    try:
        return uuid.UUID(value)
    except ValueError:
        raise ProblemError(
            422,
            "Invalid request",
            errors=[{"field": "query.since", "message": "an ISO 8601 time or an alert id"}],
        ) from None


@router.get("/stream")
async def stream(
    request: Request,
    client: AlertClient,
    since: Annotated[
        str | None,
        Query(
            description="replay first: the alerts recorded at or after this ISO 8601 time, or"
            " every alert after this alert id"
        ),
    ] = None,
    kr_id: Annotated[str | None, Query(description="only alerts about this KR")] = None,
    last_event_id: Annotated[
        str | None, Header(alias="Last-Event-ID", description="resume after this alert id")
    ] = None,
) -> StreamingResponse:
    """Alerts as they are recorded, each once per connection (deduplicate on the id across
    reconnections). A subscriber that falls NORTHSTAR_SSE_SUBSCRIBER_BURSTS (1,000) bursts of
    alerts behind is disconnected; it resumes with Last-Event-ID, losing nothing."""
    settings = request.app.state.settings
    hub: AlertHub = request.app.state.alert_hub
    pool = request.app.state.pool
    start = _since(since)
    after_id = uuid.UUID(last_event_id) if _is_uuid(last_event_id) else None
    if after_id is None and isinstance(start, uuid.UUID):
        after_id = start
    since_time = start if isinstance(start, datetime) else None
    subscription = hub.subscribe()  # before replaying: nothing falls between the two
    try:
        async with pool.acquire() as conn:
            chain = await ReadScope(request, client).chain(conn)
            cursor = 0
            if after_id is not None:
                cursor = await alert_reads.alert_seq(conn, after_id, settings.alerts_topic)
                if cursor is None:
                    raise ProblemError(404, "NotFound", f"no alert {after_id}")
    except BaseException:
        hub.unsubscribe(subscription)
        raise
    replaying = after_id is not None or since_time is not None

    def wanted(delivery: Delivery) -> bool:
        return kr_id in (None, delivery.alert.get("kr_id")) and visible(client, chain, delivery)

    async def frames() -> AsyncIterator[bytes]:
        last = cursor
        try:
            yield b": subscribed\n\n"
            while replaying:
                async with pool.acquire() as conn:
                    rows = await alert_reads.alerts_after(
                        conn, settings.alerts_topic, last, since_time, kr_id, REPLAY_PAGE
                    )
                    page = await deliveries(conn, request.app.state.org, rows)
                chunk = b"".join(d.frame for d in page if visible(client, chain, d))
                if chunk:
                    yield chunk
                if page:
                    last = page[-1].seq
                if len(rows) < REPLAY_PAGE:
                    break
            # A disconnected client is noticed when a write fails (a keep-alive at the latest).
            while True:
                try:
                    async with asyncio.timeout(HEARTBEAT_S):  # no task per wait, unlike wait_for
                        first = await subscription.queue.get()
                except TimeoutError:
                    yield b": keep-alive\n\n"
                    continue
                batches = [first]
                while batches[-1] is not None and not subscription.queue.empty():
                    batches.append(subscription.queue.get_nowait())
                frames = []
                for batch in batches:
                    if batch is None:
                        break  # fell too far behind: the client resumes with Last-Event-ID
                    for delivery in batch:
                        if delivery.seq > last:
                            last = delivery.seq
                            if wanted(delivery):
                                frames.append(delivery.frame)
                if frames:
                    yield b"".join(frames)
                if batches[-1] is None:
                    return
        finally:
            hub.unsubscribe(subscription)

    return StreamingResponse(
        frames(), media_type="text/event-stream", headers={"Cache-Control": "no-store"}
    )


def _is_uuid(value: str | None) -> bool:
    if not value:
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
