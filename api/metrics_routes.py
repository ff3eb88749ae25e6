"""HTTP: `/metrics` — the API's own metrics and the pipeline's state (consumer lag, outbox
backlog, parked streams, restarts) read at each scrape, so they stay visible while a worker is
down. OpenMetrics text, served on the API's loopback port, outside the OpenAPI document."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request, Response

from infra import metrics
from infra.kafka.connection import kafka_options
from infra.kafka.topic_reader import end_offsets
from projections.pipeline_state import pipeline_state

router = APIRouter()


@router.get("/metrics", include_in_schema=False)
async def scrape(request: Request) -> Response:
    settings = request.app.state.settings
    async with request.app.state.pool.acquire() as conn:
        state = await pipeline_state(conn, settings.sales_topic)
    ends = await end_offsets(
        kafka_options(settings), settings.sales_topic, settings.topic_partitions
    )
    for partition, end in ends.items():
        behind = max(0, end - state.applied.get(partition, 0))
        metrics.CONSUMER_LAG.labels(topic=settings.sales_topic, partition=str(partition)).set(
            behind
        )
    metrics.OUTBOX_BACKLOG.set(state.outbox_backlog)
    oldest = state.outbox_oldest
    metrics.OUTBOX_OLDEST.set((datetime.now(UTC) - oldest).total_seconds() if oldest else 0)
    metrics.PARKED_STREAMS.set(state.parked_streams)
    for process, restarts in state.restarts.items():
        metrics.PROCESS_RESTARTS.labels(process=process).set(restarts)
    return Response(metrics.exposition(), media_type=metrics.OPENMETRICS)
