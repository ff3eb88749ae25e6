"""The outbox relay killed -9 again and again while several writers issue 10,000 commands:
every event reaches Kafka once, in per-stream order."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import defaultdict
from datetime import UTC, datetime

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition

from domain.event_chain import RecordedEvent, derive_event_id
from infra.postgres.event_store import ConcurrencyConflict, EventStore
from streams.outbox_relay import EVENT_ID_HEADER, lagging
from tests.stack import eventually, kill9

WRITERS, COMMANDS_PER_WRITER, STREAMS = 4, 2500, 100


async def _writer(env, seed: int) -> int:
    store = EventStore(env.settings.okr_events_topic)
    rng = random.Random(seed)
    conn = await asyncpg.connect(env.settings.dsn)
    conflicts = 0
    try:
        for _ in range(COMMANDS_PER_WRITER):
            stream = f"okr-{rng.randrange(STREAMS)}"
            command = uuid.uuid4()
            while True:
                current = await conn.fetchval(
                    "SELECT coalesce(max(version), 0) FROM event_store WHERE stream_id = $1",
                    stream,
                )
                now = datetime.now(UTC)
                recorded = RecordedEvent(
                    event_id=derive_event_id(command, 0),
                    stream_id=stream,
                    version=current + 1,
                    type="test.ticked",
                    schema_version=1,
                    payload={"writer": seed},
                    actor=f"writer-{seed}",
                    occurred_at=now,
                    recorded_at=now,
                    correlation_id=command,
                )
                try:
                    await store.append(conn, [recorded], expected_version=current)
                    break
                except ConcurrencyConflict:
                    conflicts += 1
    finally:
        await conn.close()
    return conflicts


async def _topic_contents(settings) -> list[tuple[str, int, str]]:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap,
        isolation_level="read_committed",
        enable_auto_commit=False,
    )
    await consumer.start()
    out: list[tuple[str, int, str]] = []
    try:
        partitions = [
            TopicPartition(settings.okr_events_topic, p) for p in range(settings.topic_partitions)
        ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        while await lagging(consumer, ends):
            for messages in (await consumer.getmany(timeout_ms=500)).values():
                for m in messages:
                    event = RecordedEvent.model_validate_json(m.value)
                    assert dict(m.headers)[EVENT_ID_HEADER].decode() == str(event.event_id)
                    assert m.key.decode() == event.stream_id
                    out.append((event.stream_id, event.version, str(event.event_id)))
    finally:
        await consumer.stop()
    return out


async def test_relay_killed_repeatedly_publishes_every_event_once_in_stream_order(env):
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    relay = env.spawn("relay-0", "relay")
    writing = asyncio.gather(*(_writer(env, w) for w in range(WRITERS)))
    kills = 0
    while kills < 5 or not writing.done():
        await asyncio.sleep(rng.uniform(0.5, 2.5))
        kill9(relay)
        kills += 1
        relay = env.spawn(f"relay-{kills}", "relay")
    conflicts = sum(await writing)

    conn = await asyncpg.connect(env.settings.dsn)
    try:

        async def drained() -> bool:
            return (
                await conn.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0
            )

        await eventually(drained, 120, "the outbox to drain")
        stored = {str(r["event_id"]) for r in await conn.fetch("SELECT event_id FROM event_store")}
    finally:
        await conn.close()

    published = await _topic_contents(env.settings)
    ids = [event_id for _, _, event_id in published]
    assert len(stored) == WRITERS * COMMANDS_PER_WRITER, f"seed {seed}"
    assert len(ids) == len(set(ids)), f"duplicates on the topic (seed {seed}, kills {kills})"
    assert set(ids) == stored
    by_stream: dict[str, list[int]] = defaultdict(list)
    for stream, version, _ in published:
        by_stream[stream].append(version)
    for stream, versions in by_stream.items():
        assert versions == list(range(1, len(versions) + 1)), stream
    assert conflicts > 0  # the writers really did race each other


async def test_a_successor_marks_what_a_dead_relay_committed_but_never_marked(env):
    """The window between the Kafka commit and the outbox update, made to happen on purpose."""
    from aiokafka import AIOKafkaProducer

    from infra.postgres.outbox import next_batch
    from streams.outbox_relay import OutboxRelay

    store = EventStore(env.settings.okr_events_topic)
    conn = await asyncpg.connect(env.settings.dsn)
    try:
        for version in (1, 2, 3):
            command = uuid.uuid4()
            now = datetime.now(UTC)
            await store.append(
                conn,
                [
                    RecordedEvent(
                        event_id=derive_event_id(command, 0),
                        stream_id="okr-window",
                        version=version,
                        type="test.ticked",
                        schema_version=1,
                        payload={},
                        actor="t",
                        occurred_at=now,
                        recorded_at=now,
                        correlation_id=command,
                    )
                ],
                expected_version=version - 1,
            )
        dying = AIOKafkaProducer(
            bootstrap_servers=env.settings.kafka_bootstrap,
            transactional_id=env.settings.relay_transactional_id,
        )
        await dying.start()
        await OutboxRelay(env.settings).send_rows(dying, await next_batch(conn, 100))
        await dying.stop()  # committed to Kafka, never marked in the outbox
        unpublished = "SELECT count(*) FROM outbox WHERE published_at IS NULL"
        assert await conn.fetchval(unpublished) == 3

        stop = asyncio.Event()
        successor = asyncio.create_task(OutboxRelay(env.settings).run(stop))
        await eventually(lambda: _zero(conn, unpublished), 30, "the successor's reconcile")
        stop.set()
        await successor
    finally:
        await conn.close()
    published = await _topic_contents(env.settings)
    assert [v for s, v, _ in published if s == "okr-window"] == [1, 2, 3]


async def _zero(conn, query: str) -> bool:
    return await conn.fetchval(query) == 0
