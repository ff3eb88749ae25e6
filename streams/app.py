"""The Faust application: the sales topic and the agent that keeps KR progress live."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from datetime import timedelta
from zoneinfo import ZoneInfo

import faust
import structlog

from infra import gc_tuning, metrics
from infra.heartbeat import BEAT_EVERY_S, Heartbeat
from infra.kafka.connection import faust_credentials, kafka_options
from infra.kafka.topics import consumer_group
from infra.postgres.db import connect
from infra.settings import Settings
from infra.signals import stop_on_signals
from infra.supervisor import ChildSpec, Supervisor
from projections.sales.sales_rollups import SalesRollupProjection
from streams.dead_letters import DeadLetterPublisher
from streams.evaluation_timer import TimedEvaluation
from streams.kr_settler import KrSettler
from streams.okr_projection import OkrProjectionHandler
from streams.sales_consumer import SalesConsumer
from streams.sales_projection import RawRecord, SalesProjectionHandler

log = structlog.get_logger("northstar.streams")
EXIT_FATAL = 70


AGENTS = ("sales", "okr", "timers")


def create_app(settings: Settings, agent: str) -> faust.App:
    """The Faust app of one agent (`sales` or `okr`), in a consumer group of its own, so each
    runs, scales and fails separately."""
    app_id = consumer_group(settings, agent)
    datadir = settings.var_dir / "faust" / app_id
    datadir.parent.mkdir(parents=True, exist_ok=True)  # Faust makes only the last level
    app = faust.App(
        app_id,
        broker=settings.kafka_url,
        broker_credentials=faust_credentials(settings),
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
        datadir=str(datadir),
    )
    if agent == "sales":
        _sales_tasks(settings, app)
    elif agent == "okr":
        _okr_agent(settings, app)
    else:
        raise ValueError(f"no Faust agent {agent!r}")

    heartbeat = Heartbeat(settings, f"worker-{agent}")

    @app.timer(BEAT_EVERY_S)
    async def beat() -> None:
        await heartbeat.beat()

    return app


Handle = Callable[[list[RawRecord]], Awaitable[None]]


def _sales_tasks(settings: Settings, app: faust.App) -> None:
    """Sales: the app is the group member; stage 1 runs on record batches of the partitions it
    holds, fetched by an aiokafka consumer of its own (ADR 0009), and stage 2 on the KR shards
    of those partitions: two tasks of the app."""
    zone = ZoneInfo(settings.company_timezone)
    handler = SalesProjectionHandler(
        topic=settings.sales_topic,
        projection=SalesRollupProjection(settings.sales_topic, zone, settings.topic_partitions),
        dead_letters=DeadLetterPublisher(kafka_options(settings), settings.dead_letter_topic),
        connect=lambda: connect(settings.dsn),
        max_record_bytes=settings.max_record_bytes,
        future_tolerance=timedelta(seconds=settings.sales_future_tolerance_s),
    )
    consumer = SalesConsumer(settings, handler)
    settler = KrSettler(
        lambda: connect(settings.dsn), consumer.assigned, zone, settings.alerts_topic
    )
    handler.left_messages = settler.wake
    consumer.follow(app)

    @app.agent(_raw_topic(app, settings, settings.sales_topic), name="kr-progress")
    async def membership(stream: faust.StreamT) -> None:
        """Makes this app the group member for the sales topic. Its partitions are paused as
        soon as they are assigned; records Faust fetched before that are read again by the
        batch consumer from the checkpoints, so here they are only acknowledged."""
        async for _ in stream:
            pass

    @app.task
    async def stage_one() -> None:
        await _fatal_on_error(consumer.run(), "sales_stage_one")

    @app.task
    async def stage_two() -> None:
        await _fatal_on_error(settler.run(), "sales_stage_two")


def _raw_topic(app: faust.App, settings: Settings, name: str) -> faust.TopicT:
    return app.topic(
        name, value_serializer="raw", key_serializer="raw", partitions=settings.topic_partitions
    )


def _okr_agent(settings: Settings, app: faust.App) -> None:
    okr = OkrProjectionHandler(
        settings.okr_events_topic,
        DeadLetterPublisher(kafka_options(settings), settings.dead_letter_topic),
        lambda: connect(settings.dsn),
        ZoneInfo(settings.company_timezone),
        settings.alerts_topic,
    )

    @app.agent(_raw_topic(app, settings, settings.okr_events_topic), name="okr-read-models")
    async def project(stream: faust.StreamT) -> None:
        try:
            await _batches(stream, okr.handle, settings)
        finally:
            await okr.dead_letters.stop()


async def _batches(stream: faust.StreamT, handle: Handle, settings: Settings) -> None:
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


async def _fatal_on_error(work: Awaitable[None], name: str) -> None:
    """A task that fails for good takes the process down (the supervisor restarts it)."""
    try:
        await work
    except asyncio.CancelledError:
        raise
    except BaseException as exc:
        log.critical(f"{name}_fatal", error=repr(exc), causes=[repr(c) for c in _causes(exc)])
        os._exit(EXIT_FATAL)


def _causes(exc: BaseException) -> list[BaseException]:
    chain, current = [], exc.__cause__ or exc.__context__
    while current is not None and len(chain) < 5:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def run_worker(settings: Settings, only: tuple[str, ...] = AGENTS) -> None:
    """One agent in this process, or (several) each in a supervised process of its own."""
    if len(only) > 1:
        _supervise_agents(settings, only)
        return
    offset = metrics.WORKER_PORT_OFFSETS.get(only[0], 0)
    metrics.serve(
        settings.metrics_port + offset if settings.metrics_port else 0,
        metrics.REGISTRIES[only[0]],
    )
    if only == ("timers",):
        asyncio.run(_run_timers(settings))
    else:
        gc_tuning.for_batches()
        worker = faust.Worker(
            create_app(settings, only[0]),
            loglevel=settings.log_level.upper(),
            redirect_stdouts=False,
            quiet=True,
        )
        worker.execute_from_commandline()


def agent_processes(settings: Settings, only: tuple[str, ...] = AGENTS) -> list[ChildSpec]:
    """A supervised `northstar worker --only AGENT` per agent; no timers process when the
    evaluation timer is off (NORTHSTAR_EVALUATION_INTERVAL_S=0)."""
    agents = [a for a in only if a != "timers" or settings.evaluation_interval_s > 0]
    northstar = [sys.executable, "-m", "northstar_cli.main", "worker", "--only"]
    return [ChildSpec(f"worker-{a}", [*northstar, a]) for a in agents]


def _supervise_agents(settings: Settings, only: tuple[str, ...]) -> None:
    processes = agent_processes(settings, only)
    log.info("worker_agents", agents=[p.name for p in processes])
    Supervisor(processes).run()


async def _run_timers(settings: Settings) -> None:
    """The wall-clock re-evaluation (KRs, pacing, the alert rules), without Faust."""
    stop = stop_on_signals()
    beating = asyncio.create_task(Heartbeat(settings, "worker-timers").run(stop))
    evaluator = TimedEvaluation(settings)
    interval = settings.evaluation_interval_s
    while not stop.is_set():
        if interval > 0:
            await evaluator.tick()
        try:
            await asyncio.wait_for(stop.wait(), interval if interval > 0 else 3600)
        except TimeoutError:
            pass
    await beating
