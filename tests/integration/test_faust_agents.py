"""The OKR agent through Faust's own test harness (`agent.test_context()`): records put into
the agent's channel instead of a Kafka topic, applied to the real PostgreSQL, a bad record
dead-lettered on the real broker while the good ones around it still apply."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime

import asyncpg

from domain.cycles import DefineCycle
from domain.kernel import Actor
from handlers.bootstrap import command_handlers
from projections.reads.org_directory import OrgDirectory
from streams.app import create_app
from tests.stack import dead_letters, eventually

HQ = Actor(person_id="p-hq", role="hq_admin", unit_id="hq")


def define_cycle(cycle_id: str, month: int, last_day: int) -> DefineCycle:
    return DefineCycle(
        command_id=uuid.uuid4(),
        actor=HQ,
        at=datetime(2026, 11, 27, tzinfo=UTC),
        cycle_id=cycle_id,
        kind="month",
        starts_on=date(2027, month, 1),
        ends_on=date(2027, month, last_day),
    )


async def test_the_okr_agent_applies_what_is_put_into_its_channel(env):
    hq = command_handlers(env.settings.okr_events_topic, OrgDirectory().load).hq
    conn = await asyncpg.connect(env.settings.dsn)
    try:
        for cycle_id, month, last_day in (("2027-02", 2, 28), ("2027-03", 3, 31)):
            await hq.define_cycle(conn, define_cycle(cycle_id, month, last_day))
        # What the relay would publish: the outbox's values, in order.
        values = [r["value"] for r in await conn.fetch("SELECT value FROM outbox ORDER BY version")]
        assert [json.loads(v)["version"] for v in values] == [1, 2]

        app = create_app(env.settings, "okr")
        agent = next(a for a in app.agents.values() if a.name.endswith("okr-read-models"))
        async with agent.test_context() as channel:
            await channel.put(values[0])
            await channel.put(b'{"not": "an event"}')
            await channel.put(values[1])

            async def applied() -> bool:
                version = await conn.fetchval(
                    "SELECT version FROM okr_stream_position WHERE stream_id = 'cycles'"
                )
                return version == 2

            await eventually(applied, 30, "both cycles in the read model")
        cycles = await conn.fetch("SELECT cycle_id, ends_on FROM okr_cycle ORDER BY cycle_id")
    finally:
        await conn.close()
    assert [(r["cycle_id"], r["ends_on"]) for r in cycles] == [
        ("2027-02", date(2027, 2, 28)),
        ("2027-03", date(2027, 3, 31)),
    ]
    (dead,) = await dead_letters(env.settings, 1)
    headers = dict(dead.headers)
    assert headers["northstar.reason"] == b"schema_invalid"
    assert dead.value == b'{"not": "an event"}'
