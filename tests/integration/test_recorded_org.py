"""The command side's org tree comes from the org stream itself: a unit HQ just created is known
to the next command at once, and a creation that rolled back is forgotten."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import asyncpg

from domain.kernel import Actor
from domain.organisation import ORGANISATION, CreateOrgUnit
from handlers.recording import AggregateCommands, no_context
from infra.postgres.event_store import EventStore
from infra.postgres.org_stream import RecordedOrg
from tests.stack import load_company, small_company

HQ = Actor(person_id="p-hq", role="hq_admin", unit_id="hq")


def create(unit_id: str, parent: str = "east") -> CreateOrgUnit:
    return CreateOrgUnit(
        command_id=uuid.uuid4(),
        actor=HQ,
        at=datetime.now(UTC),
        unit_id=unit_id,
        name=unit_id,
        level="city",
        parent_id=parent,
    )


async def test_the_tree_follows_the_stream_and_forgets_a_rolled_back_unit(env):
    company = small_company()
    await load_company(env.settings, company)
    store = EventStore(env.settings.okr_events_topic)
    org = RecordedOrg(store)
    commands = AggregateCommands(store, org, lambda: datetime.now(UTC), ORGANISATION, no_context)
    conn = await asyncpg.connect(env.settings.dsn)
    try:
        assert set((await org(conn)).units) == {u.id for u in company.units}
        await commands.handle(conn, create("east-city3"))
        assert "east-city3" in (await org(conn)).units  # no read model in between

        transaction = conn.transaction()
        await transaction.start()
        await commands.handle(conn, create("east-city4"))
        assert "east-city4" in (await org(conn)).units  # seen inside its transaction
        await transaction.rollback()
        assert "east-city4" not in (await org(conn)).units

        # rolled back, then another unit appended at the same version: still told apart
        transaction = conn.transaction()
        await transaction.start()
        await commands.handle(conn, create("east-city5"))
        assert "east-city5" in (await org(conn)).units
        await transaction.rollback()
        await commands.handle(conn, create("west-city3", "west"))
        tree = await org(conn)
        assert "west-city3" in tree.units and "east-city5" not in tree.units
    finally:
        await conn.close()
