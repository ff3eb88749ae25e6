"""HTTP: `/metrics` — the API's own metrics and the pipeline's state (consumer lag of every
topic the pipeline consumes, the sales projection's freshness, outbox backlog, parked streams,
restarts) read at each scrape, so they stay visible while a worker is down. OpenMetrics text,
served on the API's loopback port, outside the OpenAPI document."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request, Response

from infra import metrics
from infra.kafka.connection import kafka_options
from infra.kafka.topic_reader import end_offsets, records_between
from infra.kafka.topics import committed_offsets, consumed_topics, consumer_group
from infra.settings import Settings
from projections.reads.pipeline_state import PipelineState, pipeline_state

router = APIRouter()


@router.get("/metrics", include_in_schema=False)
async def scrape(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    async with request.app.state.pool.acquire() as conn:
        state = await pipeline_state(conn, settings.sales_topic)
    await _consumer_lag(settings, state)
    for partition, seconds in state.freshness.items():
        metrics.LAST_BATCH_FRESHNESS.labels(partition=str(partition)).set(seconds)
    metrics.OUTBOX_BACKLOG.set(state.outbox_backlog)
    oldest = state.outbox_oldest
    metrics.OUTBOX_OLDEST.set((datetime.now(UTC) - oldest).total_seconds() if oldest else 0)
    metrics.PARKED_STREAMS.set(state.parked_streams)
    for process, restarts in state.restarts.items():
        metrics.PROCESS_RESTARTS.labels(process=process).set(restarts)
    return Response(metrics.exposition(metrics.API), media_type=metrics.OPENMETRICS)


async def _consumer_lag(settings: Settings, state: PipelineState) -> None:
    """The committed records after each consumer's position, per partition of the topic it
    consumes: the sales projection's position is its checkpoint; the others', their group's
    offsets committed to Kafka (a group that never committed on a partition is behind by all
    of it). Transaction markers are not records: a caught-up consumer lags by 0."""
    consumers = consumed_topics(settings)
    kafka = kafka_options(settings)
    ends = await end_offsets(kafka, dict.fromkeys(consumers.values(), settings.topic_partitions))
    groups = {member: consumer_group(settings, member) for member in consumers if member != "sales"}
    committed = await committed_offsets(settings, list(groups.values()))
    gaps = {}
    for member, topic in consumers.items():
        positions = (
            state.applied if member == "sales"
            else {p: offset for (t, p), offset in committed[groups[member]].items() if t == topic}
        )  # fmt: skip
        for tp, end in ends.items():
            if tp.topic == topic:
                gaps[member, tp] = (positions.get(tp.partition, 0), end)
    behind = await records_between(kafka, {tp: gap for (_, tp), gap in gaps.items()})
    for member, tp in gaps:
        metrics.CONSUMER_LAG.labels(
            consumer=member, topic=tp.topic, partition=str(tp.partition)
        ).set(max(0, behind[tp]))
