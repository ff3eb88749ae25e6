"""`northstar audit verify` on a seeded OKR tree: intact as recorded; then each kind of
tampering (one byte of one event, a removed event, two events reordered, an event missing from
the Kafka copy) is detected, naming the stream."""

from __future__ import annotations

import json

import asyncpg

from tests.stack import eventually, run_cli, seed_simulated_quarter


async def verify(env) -> tuple[int, dict]:
    done = await run_cli(env, "audit", "verify", "--json")
    assert done.stdout.startswith("{"), done.stderr[-2000:]
    return done.returncode, json.loads(done.stdout)


async def tampering(conn, sql: str, *args) -> None:
    """What someone with the database owner's rights could do behind the application's back."""
    await conn.execute("ALTER TABLE event_store DISABLE TRIGGER event_store_append_only")
    try:
        await conn.execute(sql, *args)
    finally:
        await conn.execute("ALTER TABLE event_store ENABLE TRIGGER event_store_append_only")


async def test_verify_detects_each_kind_of_tampering(env, tmp_path):
    await seed_simulated_quarter(env, tmp_path)
    relay = env.spawn("relay", "relay")
    conn = await asyncpg.connect(env.settings.owner_dsn)  # only the owner can tamper
    try:

        async def relayed() -> bool:
            return not await conn.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL")

        await eventually(relayed, 120, "the relay to publish everything")
        code, report = await verify(env)
        assert (code, report["findings"]) == (0, []), report
        assert report["events"] == report["topic_records"] > 300
        # a KR stream of the seeded tree that was defined, then adjusted
        stream = await conn.fetchval(
            "SELECT stream_id FROM event_store WHERE stream_id LIKE 'kr-%'"
            " GROUP BY stream_id HAVING max(version) >= 3 ORDER BY stream_id LIMIT 1"
        )
        assert stream, "the scenario needs a KR stream with three events"

        # 1. one byte of one event's payload
        original = await conn.fetchval(
            "SELECT payload::text FROM event_store WHERE stream_id = $1 AND version = 1", stream
        )
        title = json.loads(original)["title"]
        changed = json.dumps({**json.loads(original), "title": "X" + title[1:]})
        assert title[0] != "X"
        await tampering(
            conn,
            "UPDATE event_store SET payload = $2::jsonb WHERE stream_id = $1 AND version = 1",
            stream,
            changed,
        )
        code, report = await verify(env)
        assert code == 1
        assert f"{stream} v1: its content no longer matches its hash: altered" in report["findings"]
        assert any("differs between store and topic" in f for f in report["findings"])
        await tampering(
            conn,
            "UPDATE event_store SET payload = $2::jsonb WHERE stream_id = $1 AND version = 1",
            stream,
            original,
        )
        assert (await verify(env))[0] == 0

        # 2. one event deleted
        row = await conn.fetchrow(
            "SELECT * FROM event_store WHERE stream_id = $1 AND version = 2", stream
        )
        await tampering(
            conn, "DELETE FROM event_store WHERE stream_id = $1 AND version = 2", stream
        )
        code, report = await verify(env)
        assert code == 1
        assert report["findings"][0].startswith(f"{stream} v2: version 2 is missing")
        assert any("is on the topic, not in the store" in f for f in report["findings"])
        columns = list(row.keys())
        await tampering(
            conn,
            f"INSERT INTO event_store ({', '.join(columns)})"
            f" VALUES ({', '.join(f'${i + 1}' for i in range(len(columns)))})",
            *row.values(),
        )
        assert (await verify(env))[0] == 0

        # 3. two events reordered (v2 and v3 swap places)
        swap = (
            "UPDATE event_store SET version = CASE version WHEN 2 THEN 3 ELSE 2 END"
            " WHERE stream_id = $1 AND version IN (2, 3)"
        )
        await conn.execute(
            "ALTER TABLE event_store DROP CONSTRAINT event_store_stream_id_version_key"
        )
        try:
            await tampering(conn, swap, stream)
            code, report = await verify(env)
            assert code == 1
            assert (
                f"{stream} v2: does not link to the hash of the version before it"
                in (report["findings"][0])
            )
            await tampering(conn, swap, stream)
        finally:
            await conn.execute(
                "ALTER TABLE event_store ADD CONSTRAINT event_store_stream_id_version_key"
                " UNIQUE (stream_id, version)"
            )
        assert (await verify(env))[0] == 0

        # 4. an event missing from the Kafka copy (marked published, never sent)
        relay.terminate()
        relay.wait(timeout=30)
        defined = await run_cli(
            env,
            *("okr", "define-cycle", "2031-01", "--kind", "month"),
            *("--start", "2031-01-01", "--end", "2031-01-31"),
        )
        assert defined.returncode == 0, defined.stderr
        code, report = await verify(env)
        assert code == 0, report  # not yet published is not a mismatch
        await conn.execute("UPDATE outbox SET published_at = now() WHERE published_at IS NULL")
        code, report = await verify(env)
        assert code == 1
        (finding,) = report["findings"]
        assert finding.startswith("cycles v") and "published but is not on the topic" in finding
    finally:
        await conn.close()
