"""The event store against the real PostgreSQL: versions, conflicts, idempotency, hash chain."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from domain.event_chain import GENESIS_HASH, RecordedEvent, chain_hash, derive_event_id
from infra.postgres.event_store import ConcurrencyConflict, EventStore

T0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def event(stream_id: str, version: int, n: int = 0, command: uuid.UUID | None = None):
    command = command or uuid.uuid4()
    return RecordedEvent(
        event_id=derive_event_id(command, 0),
        stream_id=stream_id,
        version=version,
        type="test.ticked",
        schema_version=1,
        payload={"n": n, "note": "点 tick"},
        actor="tester",
        occurred_at=T0 + timedelta(seconds=version),
        recorded_at=T0 + timedelta(seconds=version, microseconds=123),
        correlation_id=command,
    )


@pytest.fixture
async def conns(env):
    opened = [await asyncpg.connect(env.settings.dsn) for _ in range(2)]
    yield opened
    for conn in opened:
        await conn.close()


async def test_appended_events_load_back_and_their_chain_verifies(env, conns):
    store, conn = EventStore(env.settings.okr_events_topic), conns[0]
    await store.append(conn, [event("kr-1", 1), event("kr-1", 2)], expected_version=0)
    await store.append(conn, [event("kr-1", 3, n=7)], expected_version=2)
    loaded = await store.load(conn, "kr-1")
    assert [e.version for e in loaded] == [1, 2, 3] and loaded[2].payload["n"] == 7
    stored = [
        r["hash"]
        for r in await conn.fetch(
            "SELECT hash FROM event_store WHERE stream_id = 'kr-1' ORDER BY version"
        )
    ]
    prev, recomputed = GENESIS_HASH, []
    for recorded in loaded:
        prev = chain_hash(prev, recorded)
        recomputed.append(prev)
    assert recomputed == stored
    outbox = await conn.fetchval("SELECT count(*) FROM outbox WHERE stream_id = 'kr-1'")
    assert outbox == 3


async def test_a_stale_expected_version_is_a_conflict(env, conns):
    store, conn = EventStore(env.settings.okr_events_topic), conns[0]
    await store.append(conn, [event("kr-2", 1)], expected_version=0)
    with pytest.raises(ConcurrencyConflict, match="is at 1"):
        await store.append(conn, [event("kr-2", 1)], expected_version=0)


async def test_fifty_concurrent_pairs_exactly_one_wins_each_time(env, conns):
    store = EventStore(env.settings.okr_events_topic)
    for pair in range(50):
        stream = f"kr-race-{pair}"
        await store.append(conns[0], [event(stream, 1)], expected_version=0)
        outcomes = await asyncio.gather(
            *(
                store.append(c, [event(stream, 2, n=i)], expected_version=1)
                for i, c in enumerate(conns)
            ),
            return_exceptions=True,
        )
        assert sorted(type(o).__name__ for o in outcomes) == ["AppendResult", "ConcurrencyConflict"]
    counts = await conns[0].fetch(
        "SELECT (SELECT count(*) FROM event_store WHERE stream_id LIKE 'kr-race-%') AS events,"
        " (SELECT count(*) FROM outbox WHERE stream_id LIKE 'kr-race-%') AS outbox"
    )
    assert (counts[0]["events"], counts[0]["outbox"]) == (100, 100)


async def test_a_retried_command_appends_once(env, conns):
    store = EventStore(env.settings.okr_events_topic)
    command = uuid.uuid4()
    first = await store.append(conns[0], [event("kr-3", 1, command=command)], 0, "cmd-1")
    again = await store.append(conns[0], [event("kr-3", 1, command=command)], 0, "cmd-1")
    second = uuid.uuid4()
    both = await asyncio.gather(
        store.append(conns[0], [event("kr-3", 2, command=second)], 1, "cmd-2"),
        store.append(conns[1], [event("kr-3", 2, command=second)], 1, "cmd-2"),
    )
    # The same command retried without its key is recognised by its derived event ids.
    keyless = await store.append(conns[0], [event("kr-3", 3, command=second)], 2)
    assert (first.replayed, again.replayed) == (False, True)
    assert (again.first_version, again.last_version) == (1, 1)
    assert sorted(r.replayed for r in both) == [False, True]
    assert (keyless.replayed, keyless.first_version) == (True, 2)
    assert [e.version for e in await store.load(conns[0], "kr-3")] == [1, 2]


async def test_stored_events_cannot_be_changed_or_deleted(env, conns):
    store = EventStore(env.settings.okr_events_topic)
    await store.append(conns[0], [event("kr-4", 1)], expected_version=0)
    # the guard holds even for the tables' owner (the app role may not even try: see
    # tests/e2e/test_database_roles.py)
    conn = await asyncpg.connect(env.settings.owner_dsn)
    try:
        for statement in (
            "UPDATE event_store SET actor = 'mallory'",
            "DELETE FROM event_store",
            "TRUNCATE event_store",
        ):
            with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
                await conn.execute(statement)
    finally:
        await conn.close()
