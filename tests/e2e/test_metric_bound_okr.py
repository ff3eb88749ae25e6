"""A KR defined through OKR commands with a metric binding updates itself from sales, and a
target applied through the adjustment workflow changes its progress."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import asyncpg
import httpx

from domain.kernel import Actor
from domain.key_result.commands import (
    ApplyTargetAdjustment,
    ApproveTargetAdjustment,
    DefineKeyResult,
    RecordCheckIn,
    RequestTargetAdjustment,
)
from domain.key_result.metrics import MetricScope
from domain.objectives import DefineObjective, SetKeyResultWeights
from handlers.key_results import KeyResultCommandHandler
from handlers.objectives import ObjectiveCommandHandler
from infra.postgres.accounts import create_client
from infra.postgres.event_store import EventStore
from projections.reads.org_directory import OrgDirectory
from tests.stack import (
    QUARTER,
    define_quarter,
    eventually,
    expected_unit_totals,
    load_company,
    produce_singles,
    simulated_facts,
    small_company,
    start_api,
    wait_caught_up,
)

HQ = Actor(person_id="p-hq", role="hq_admin", unit_id="hq")
EAST = Actor(person_id="p-east", role="manager", unit_id="east")
CEO = Actor(person_id="p-ceo", role="hq_admin", unit_id="hq")


async def _started(env, sales: int, seed: int):
    """The small company, the quarter, relay and worker running; `sales` simulated sales and
    the east region's revenue from them (independent computation)."""
    company = small_company()
    await load_company(env.settings, company)
    await define_quarter(env.settings)
    handler = KeyResultCommandHandler(
        EventStore(env.settings.okr_events_topic), OrgDirectory().load, lambda: datetime.now(UTC)
    )
    env.spawn("relay", "relay")
    env.worker()
    facts = simulated_facts(company, sales, seed=seed)
    revenue = Decimal(expected_unit_totals(company, facts)["east"]["revenue_minor"]) / 100
    return handler, facts, revenue


def _east_revenue_kr(kr_id: str, title: str, target: Decimal, at: datetime) -> DefineKeyResult:
    return DefineKeyResult(
        command_id=uuid.uuid4(),
        kr_id=kr_id,
        actor=HQ,
        at=at,
        title=title,
        owner_person_id="p-east",
        owner_unit_id="east",
        kind="increase",
        unit="CNY",
        start=Decimal(0),
        target=target,
        binding=MetricScope(metric="revenue", window_start=QUARTER[0], window_end=QUARTER[1]),
    )


async def test_metric_bound_kr_follows_sales_and_adjusted_targets(env):
    handler, facts, expected_revenue = await _started(env, 800, seed=8)
    now = datetime.now(UTC)
    conn = await asyncpg.connect(env.settings.dsn)
    try:
        await handler.handle(
            conn,
            _east_revenue_kr("kr-east-q4-revenue", "East Q4 revenue", Decimal(1_000_000), now),
        )
        await produce_singles(env.settings, facts)

        async def progress() -> tuple[Decimal, Decimal] | None:
            row = await conn.fetchrow(
                "SELECT actual, progress_pct FROM kr_progress WHERE kr_id = 'kr-east-q4-revenue'"
            )
            return (row["actual"], row["progress_pct"]) if row else None

        async def reached(value: Decimal, target: Decimal) -> bool:
            current = await progress()
            pct = (value * 100 / target).quantize(Decimal("0.01"))
            return current == (value, pct)

        await eventually(
            lambda: reached(expected_revenue, Decimal(1_000_000)),
            60,
            "the bound KR to reach the east region's revenue",
        )

        for command in (
            RequestTargetAdjustment(
                command_id=uuid.uuid4(),
                kr_id="kr-east-q4-revenue",
                actor=EAST,
                at=now,
                request_id="adj-1",
                proposed_target=Decimal(800_000),
                reason="typhoon week",
            ),
            ApproveTargetAdjustment(
                command_id=uuid.uuid4(),
                kr_id="kr-east-q4-revenue",
                actor=CEO,
                at=now,
                request_id="adj-1",
            ),
            ApplyTargetAdjustment(
                command_id=uuid.uuid4(),
                kr_id="kr-east-q4-revenue",
                actor=CEO,
                at=now,
                request_id="adj-1",
            ),
        ):
            await handler.handle(conn, command)
        await eventually(
            lambda: reached(expected_revenue, Decimal(800_000)),
            60,
            "progress against the applied target",
        )

        # An objective weighing the bound KR (60) and a manual one (40).
        await handler.handle(
            conn,
            DefineKeyResult(
                command_id=uuid.uuid4(),
                kr_id="kr-east-stores",
                actor=HQ,
                at=now,
                title="40 new stores",
                owner_person_id="p-east",
                owner_unit_id="east",
                kind="increase",
                unit="stores",
                start=Decimal(0),
                target=Decimal(40),
            ),
        )
        await handler.handle(
            conn,
            RecordCheckIn(
                command_id=uuid.uuid4(),
                kr_id="kr-east-stores",
                actor=EAST,
                at=now,
                summary="20 opened",
                progress_value=Decimal(20),
                blocker="none",
            ),
        )
        objectives = ObjectiveCommandHandler(
            handler.store, OrgDirectory().load, lambda: datetime.now(UTC)
        )
        portfolio = {"owner_person_id": "p-east", "cycle_id": "2026-Q4", "actor": EAST, "at": now}
        await objectives.handle(
            conn,
            DefineObjective(
                command_id=uuid.uuid4(),
                **portfolio,
                objective_id="o-east",
                title="East grows premium",
                owner_unit_id="east",
            ),
        )
        await objectives.handle(
            conn,
            SetKeyResultWeights(
                command_id=uuid.uuid4(),
                **portfolio,
                objective_id="o-east",
                weights={"kr-east-q4-revenue": Decimal(60), "kr-east-stores": Decimal(40)},
            ),
        )
        token = await create_client(conn, "east", "manager", "p-east", "east")

        async def weights_projected() -> bool:
            return await conn.fetchval(
                "SELECT count(*) FROM okr_kr_weight WHERE objective_id = 'o-east'"
            ) == 2 and (await conn.fetchval("SELECT count(*) FROM okr_check_in") == 1)

        await eventually(weights_projected, 60, "the objective's read models")
    finally:
        await conn.close()

    base = await start_api(env)
    async with httpx.AsyncClient(
        base_url=base, headers={"Authorization": f"Bearer {token}"}
    ) as http:
        view = (await http.get("/v1/okr/objectives/o-east/progress")).json()
    auto_pct = (expected_revenue * 100 / Decimal(800_000)).quantize(Decimal("0.01"))
    krs = {k["kr_id"]: k for k in view["krs"]}
    assert (
        krs["kr-east-q4-revenue"]["provenance"],
        Decimal(krs["kr-east-q4-revenue"]["progress"]),
    ) == ("auto", auto_pct)
    assert (krs["kr-east-stores"]["provenance"], Decimal(krs["kr-east-stores"]["progress"])) == (
        "manual",
        Decimal(50),
    )
    expected = ((60 * auto_pct + 40 * Decimal(50)) / 100).quantize(Decimal("0.01"))
    assert Decimal(view["progress"]) == expected
    colours = {"green": 0, "amber": 1, "red": 2}
    assert view["health"] == max((k["health"] for k in krs.values()), key=colours.get)


async def test_an_applied_target_re_evaluates_health_at_once(env):
    """No sale and no timer after the change (the tests' timer is off): the applied target
    alone turns the KR from green (its sales meet the target) to red (a thousand times more)."""
    handler, facts, revenue = await _started(env, 300, seed=21)
    now = datetime.now(UTC)
    kr_id = "kr-east-q4-met"
    conn = await asyncpg.connect(env.settings.dsn)
    try:
        await handler.handle(conn, _east_revenue_kr(kr_id, "East Q4 revenue, met", revenue, now))
        await produce_singles(env.settings, facts)

        async def health_is(colour: str) -> bool:
            found = await conn.fetchval("SELECT health FROM kr_health WHERE kr_id = $1", kr_id)
            return found == colour

        await eventually(lambda: health_is("green"), 60, "the KR green on its sales")
        actual = await conn.fetchval("SELECT actual FROM kr_progress WHERE kr_id = $1", kr_id)
        assert actual == revenue
        for command in (
            RequestTargetAdjustment(
                command_id=uuid.uuid4(), kr_id=kr_id, actor=EAST, at=now, request_id="adj-x",
                proposed_target=revenue * 1000, reason="a stretch the region cannot meet",
            ),
            ApproveTargetAdjustment(
                command_id=uuid.uuid4(), kr_id=kr_id, actor=CEO, at=now, request_id="adj-x"
            ),
            ApplyTargetAdjustment(
                command_id=uuid.uuid4(), kr_id=kr_id, actor=CEO, at=now, request_id="adj-x"
            ),
        ):  # fmt: skip
            await handler.handle(conn, command)
        await eventually(lambda: health_is("red"), 30, "the KR red on the applied target alone")
        history = await conn.fetch(
            "SELECT old_health, new_health FROM kr_health_history WHERE kr_id = $1"
            " ORDER BY transition",
            kr_id,
        )
        assert [(h["old_health"], h["new_health"]) for h in history][-1] == ("green", "red")
    finally:
        await conn.close()


async def test_a_kr_bound_after_its_sales_were_counted_has_data_and_colour(env):
    """The binding can reach the sales side after every one of its sales was settled (the relay
    and the OKR agent are one path, the sales another): the KR counts them at once, has data as
    of the projection's clock and is green, not amber for "no update"."""
    handler, facts, revenue = await _started(env, 300, seed=34)
    await produce_singles(env.settings, facts)
    await wait_caught_up(env.settings)
    kr_id = "kr-east-q4-late"
    conn = await asyncpg.connect(env.settings.dsn)
    try:
        clock = await conn.fetchval("SELECT max(business_time) FROM sales_clock")
        await handler.handle(
            conn, _east_revenue_kr(kr_id, "East Q4 revenue, bound late", revenue, datetime.now(UTC))
        )

        async def health_is_green() -> bool:
            found = await conn.fetchval("SELECT health FROM kr_health WHERE kr_id = $1", kr_id)
            return found == "green"

        await eventually(health_is_green, 60, "the late-bound KR green on its counted sales")
        row = await conn.fetchrow("SELECT actual, as_of FROM kr_progress WHERE kr_id = $1", kr_id)
        assert row["actual"] == revenue
        assert row["as_of"] == clock
    finally:
        await conn.close()
