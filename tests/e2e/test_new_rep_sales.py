"""A rep HQ has just created is known to the sales worker at once: the worker reads its org
tree from the org stream, so a sale naming the rep right after the creation is counted, even
while no OKR agent has projected the rep into the read models (it is not running here)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import asyncpg

from domain.kernel import Actor
from domain.org_tree import OrgUnit
from domain.organisation import CreateOrgUnit
from domain.sales import SaleRecorded
from handlers.bootstrap import command_handlers
from tests.stack import (
    expected_unit_totals,
    load_company,
    produce_singles,
    projected_state,
    small_company,
    wait_caught_up,
)

HQ = Actor(person_id="p-hq", role="hq_admin", unit_id="hq")
NEW_REP = "rep-east-city1-9"


async def test_a_sale_of_a_rep_created_a_moment_ago_is_counted(env):
    company = small_company()
    await load_company(env.settings, company)
    env.spawn("sales", "worker", "--only", "sales")  # no OKR agent: org_unit never hears of it
    handlers = command_handlers(env.settings.okr_events_topic)
    conn = await asyncpg.connect(env.settings.dsn)
    try:
        await handlers.org_units.handle(
            conn,
            CreateOrgUnit(
                command_id=uuid.uuid4(), actor=HQ, at=datetime.now(UTC), unit_id=NEW_REP,
                name="new rep", level="rep", parent_id="east-city1",
            ),
        )  # fmt: skip
        assert not await conn.fetchval("SELECT 1 FROM org_unit WHERE id = $1", NEW_REP)
    finally:
        await conn.close()
    sale = SaleRecorded(
        source_system="pos-new", source_id="new-1", occurred_at=datetime.now(UTC),
        rep_id=NEW_REP, customer_id="c-new", sku="green-tea-500ml", category="tea",
        premium=False, channel="retail", quantity=12, amount_minor=4200,
    )  # fmt: skip
    await produce_singles(env.settings, [sale])
    await wait_caught_up(env.settings)
    units, _ = await projected_state(env.settings)
    new_rep = OrgUnit(id=NEW_REP, name="new rep", level="rep", parent_id="east-city1")
    expected = expected_unit_totals(
        company.model_copy(update={"units": (*company.units, new_rep)}), [sale]
    )
    assert set(expected) == {NEW_REP, "east-city1", "east", "hq"}
    assert {u: units.get(u) for u in expected} == expected
