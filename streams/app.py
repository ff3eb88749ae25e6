"""The Faust application: the sales topic and the agent that keeps KR progress live."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from zoneinfo import ZoneInfo

import faust
import structlog

from infra.postgres.db import connect
from infra.settings import Settings
from projections.kr_progress import KrProgressProjection
from streams.dead_letters import DeadLetterPublisher
from streams.evaluation import TimedEvaluation
from streams.okr_projection import OkrProjectionHandler
from streams.sales_projection import RawRecord, SalesProjectionHandler

log = structlog.get_logger("northstar.streams")
EXIT_FATAL = 70


def create_app(settings: Settings) -> faust.App:
    app = faust.App(
        settings.app_id,
        broker=settings.kafka_url,
        value_serializer="raw",
        key_serializer="raw",
        web_enabled=False,
        topic_disable_leader=True,
        topic_partitions=settings.topic_partitions,
        consumer_auto_offset_reset="earliest",
        broker_session_timeout=settings.broker_session_timeout_s,
        broker_heartbeat_interval=1.0,
        producer_max_request_size=16 * 1024 * 1024,
        stream_buffer_maxsize=max(4096, 2 * settings.worker_batch_size),
        stream_wait_empty=False,
        datadir=str(settings.var_dir / "faust"),
    )
    sales = app.topic(
        settings.sales_topic,
        value_serializer="raw",
        key_serializer="raw",
        partitions=settings.topic_partitions,
    )
    dead_letters = DeadLetterPublisher(settings.kafka_bootstrap, settings.dead_letter_topic)
    sales_handler = SalesProjectionHandler(
        topic=settings.sales_topic,
        projection=KrProgressProjection(
            settings.sales_topic, ZoneInfo(settings.company_timezone), settings.alerts_topic
        ),
        dead_letters=dead_letters,
        connect=lambda: connect(settings.dsn),
        max_record_bytes=settings.max_record_bytes,
    )
    okr_handler = OkrProjectionHandler(
        settings.okr_events_topic,
        dead_letters,
        lambda: connect(settings.dsn),
        ZoneInfo(settings.company_timezone),
        settings.alerts_topic,
    )
    okr_events = app.topic(
        settings.okr_events_topic,
        value_serializer="raw",
        key_serializer="raw",
        partitions=settings.topic_partitions,
    )

    @app.agent(sales, name="kr-progress")
    async def project_kr_progress(stream: faust.StreamT) -> None:
        await _batches(stream, sales_handler.handle, settings)

    @app.agent(okr_events, name="okr-read-models")
    async def project_okr_read_models(stream: faust.StreamT) -> None:
        await _batches(stream, okr_handler.handle, settings)

    if settings.evaluation_interval_s > 0:
        evaluator = TimedEvaluation(settings)

        @app.timer(settings.evaluation_interval_s)
        async def evaluate_as_time_passes() -> None:
            await evaluator.tick()

    return app


async def _batches(
    stream: faust.StreamT,
    handle: Callable[[list[RawRecord]], Awaitable[None]],
    settings: Settings,
) -> None:
    async for events in stream.take_events(
        settings.worker_batch_size, within=settings.worker_batch_within_s
    ):
        records = [RawRecord(e.message.partition, e.message.offset, e.value) for e in events]
        try:
            await handle(records)
        except BaseException as exc:
            # Anything escaping here would be acked with the batch and lost. Die instead:
            # Kafka redelivers from the committed offset and the projection skips the rest.
            log.critical(
                "projection_fatal",
                error=repr(exc),
                records=len(records),
                causes=[repr(c) for c in _causes(exc)],
            )
            os._exit(EXIT_FATAL)


def _causes(exc: BaseException) -> list[BaseException]:
    chain, current = [], exc.__cause__ or exc.__context__
    while current is not None and len(chain) < 5:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def run_worker(settings: Settings) -> None:
    app = create_app(settings)
    worker = faust.Worker(
        app,
        loglevel=settings.log_level.upper(),
        redirect_stdouts=False,
        quiet=True,
    )
    worker.execute_from_commandline()
