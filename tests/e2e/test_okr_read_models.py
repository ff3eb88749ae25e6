"""Commands -> event store -> relay -> Kafka -> Faust -> read models equal to a fold of the
event store (with the relay and the worker each killed -9 on the way)."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import asyncpg
import httpx

from domain.kernel import Actor, DomainError
from domain.key_result.commands import (
    ApplyTargetAdjustment,
    ApproveTargetAdjustment,
    CancelTargetAdjustment,
    DefineKeyResult,
    RecordCheckIn,
    RejectTargetAdjustment,
    RequestTargetAdjustment,
)
from domain.key_result.state import state_of
from handlers.key_results import KeyResultCommandHandler
from infra.postgres.accounts import create_client
from infra.postgres.event_store import EventStore
from projections.reads.org_directory import OrgDirectory
from tests.stack import define_quarter, eventually, kill9, load_company, small_company, start_api

HQ = Actor(person_id="p-hq", role="hq_admin", unit_id="hq")
CITY = Actor(person_id="p-city", role="manager", unit_id="east-city1")
REPS = [Actor(person_id=f"p-rep-{r}", role="rep", unit_id=f"rep-east-city1-{r}") for r in (1, 2, 3)]
KRS = 8


def _command(rng: random.Random, kr: int, step: int, last_request: dict[int, str]):
    owner = REPS[kr % 3]
    base = {"command_id": uuid.uuid4(), "kr_id": f"kr-{kr}", "at": datetime.now(UTC)}
    choice = rng.choice(["request", "approve", "reject", "apply", "apply", "cancel", "check_in"])
    if choice == "request":
        request_id = f"adj-{step}"
        return RequestTargetAdjustment(
            **base,
            actor=owner,
            request_id=request_id,
            proposed_target=Decimal(rng.randrange(100, 900) * 1000),
            reason="market moved",
        )
    request_id = last_request.get(kr, "adj-none")
    if choice in ("approve", "reject"):
        actor = rng.choice([CITY, HQ])
        if choice == "approve":
            return ApproveTargetAdjustment(**base, actor=actor, request_id=request_id)
        return RejectTargetAdjustment(
            **base, actor=actor, request_id=request_id, reason="hold the line"
        )
    if choice == "apply":
        return ApplyTargetAdjustment(**base, actor=CITY, request_id=request_id)
    if choice == "cancel":
        return CancelTargetAdjustment(**base, actor=owner, request_id=request_id)
    return RecordCheckIn(
        **base,
        actor=owner,
        summary="weekly",
        progress_value=Decimal(step),
        blocker=rng.choice(["none", "out of stock", "price war"]),
    )


async def _caught_up(conn: asyncpg.Connection) -> bool:
    """Every stream's last version has been applied to the read models."""
    behind = await conn.fetchval(
        "SELECT count(*) FROM (SELECT stream_id, max(version) AS v FROM event_store"
        " GROUP BY stream_id) s LEFT JOIN okr_stream_position p USING (stream_id)"
        " WHERE p.version IS DISTINCT FROM s.v"
    )
    return behind == 0


async def test_read_models_equal_a_fold_of_the_event_store(env):
    rng = random.Random(5)
    await load_company(env.settings, small_company())
    await define_quarter(env.settings)
    handler = KeyResultCommandHandler(
        EventStore(env.settings.okr_events_topic), OrgDirectory().load, lambda: datetime.now(UTC)
    )
    relay, worker = env.spawn("relay-0", "relay"), env.worker("worker-0")
    conn = await asyncpg.connect(env.settings.dsn)
    try:
        for kr in range(KRS):
            owner = REPS[kr % 3]
            await handler.handle(
                conn,
                DefineKeyResult(
                    command_id=uuid.uuid4(),
                    kr_id=f"kr-{kr}",
                    actor=HQ,
                    at=datetime.now(UTC),
                    title="Revenue",
                    owner_person_id=owner.person_id,
                    owner_unit_id=owner.unit_id,
                    kind="increase",
                    unit="CNY",
                    start=Decimal(0),
                    target=Decimal(500_000),
                ),
            )
        accepted, last_request = 0, {}
        for step in range(900):
            if step == 300:
                kill9(relay)
                relay = env.spawn("relay-1", "relay")
            if step == 600:
                kill9(worker)
                worker = env.worker("worker-1")
            try:
                kr = rng.randrange(KRS)
                command = _command(rng, kr, step, last_request)
                await handler.handle(conn, command)
                accepted += 1
                if isinstance(command, RequestTargetAdjustment):
                    last_request[kr] = command.request_id
            except DomainError:
                pass
        applied = await conn.fetchval(
            "SELECT count(*) FROM event_store WHERE event_type = 'okr.kr.target_adjustment_applied'"
        )
        assert accepted > 200 and applied > 15, (accepted, applied)

        await eventually(lambda: _caught_up(conn), 120, "the read models to catch up")

        store = handler.store
        folded = {}
        reader = await create_client(conn, "auditor", "auditor", "p-audit", "hq")
        for kr in range(KRS):
            history = await store.load(conn, f"kr-kr-{kr}")
            state = state_of(history)
            row = await conn.fetchrow("SELECT * FROM okr_key_result WHERE kr_id = $1", f"kr-{kr}")
            assert row["target_value"] == state.target
            assert row["open_request_id"] == (state.pending.request_id if state.pending else None)
            assert row["open_blocker"] == state.open_blocker
            statuses = {
                r["request_id"]: r["status"]
                for r in await conn.fetch(
                    "SELECT request_id, status FROM okr_adjustment WHERE kr_id = $1", f"kr-{kr}"
                )
            }
            expected: dict[str, str] = {}
            for recorded in history:
                name = recorded.type.rsplit("_", 1)[-1]
                if recorded.type.startswith("okr.kr.target_adjustment_"):
                    expected[recorded.payload["request_id"]] = name
            assert statuses == expected
            check_ins = await conn.fetchval(
                "SELECT count(*) FROM okr_check_in WHERE kr_id = $1", f"kr-{kr}"
            )
            assert check_ins == sum(r.type == "okr.kr.check_in_recorded" for r in history)
            folded[f"kr-{kr}"] = state
    finally:
        await conn.close()

    # The state the API reports is the fold too.
    await start_api(env)
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{env.settings.api_port}/v1/okr",
        headers={"Authorization": f"Bearer {reader}"},
    ) as http:
        for kr_id, state in folded.items():
            reported = (await http.get(f"/key-results/{kr_id}")).json()
            assert Decimal(reported["target_value"]) == state.target
            assert reported["open_request_id"] == (
                state.pending.request_id if state.pending else None
            )
            assert reported["open_blocker"] == state.open_blocker


async def test_objective_read_models_follow_the_portfolio_streams(env):
    from domain.key_result.commands import DefineKeyResult
    from domain.objectives import (
        AlignObjective,
        CloseObjective,
        Contribution,
        DefineObjective,
        SetFocusPolicy,
        SetKeyResultWeights,
    )
    from handlers.bootstrap import command_handlers
    from handlers.objectives import ObjectiveCommandHandler

    await load_company(env.settings, small_company())
    await define_quarter(env.settings)
    handler = ObjectiveCommandHandler(
        EventStore(env.settings.okr_events_topic), OrgDirectory().load, lambda: datetime.now(UTC)
    )
    env.spawn("relay", "relay")
    env.worker()
    owner = REPS[0]
    base = {"owner_person_id": owner.person_id, "cycle_id": "2026-Q4", "at": datetime.now(UTC)}

    def cmd(cls, actor=owner, **fields):
        return cls(command_id=uuid.uuid4(), actor=actor, **base, **fields)

    conn = await asyncpg.connect(env.settings.dsn)
    try:
        for n in (1, 2, 3):
            await handler.handle(
                conn,
                cmd(
                    DefineObjective,
                    objective_id=f"o-{n}",
                    title=f"Objective {n}",
                    owner_unit_id=owner.unit_id,
                    contributes_to=(Contribution(parent_id="north-star", weight=Decimal(20)),),
                ),
            )
        await handler.handle(
            conn,
            DefineObjective(
                command_id=uuid.uuid4(),
                actor=CITY,
                owner_person_id=CITY.person_id,
                cycle_id="2026-Q4",
                at=datetime.now(UTC),
                objective_id="o-city",
                title="Shanghai premium",
                owner_unit_id=CITY.unit_id,
                contributes_to=(Contribution(parent_id="north-star", weight=Decimal(50)),),
            ),
        )
        await handler.handle(
            conn,
            cmd(
                AlignObjective,
                CITY,
                objective_id="o-2",
                contributes_to=(
                    Contribution(parent_id="o-city", weight=Decimal(60)),
                    Contribution(parent_id="north-star", weight=Decimal(10)),
                ),
            ),
        )
        key_results = command_handlers(env.settings.okr_events_topic, OrgDirectory().load)
        for kr_id in ("kr-a", "kr-b"):  # weights name KRs that exist, owned in o-1's unit
            await key_results.key_results.handle(
                conn,
                DefineKeyResult(
                    command_id=uuid.uuid4(), kr_id=kr_id, actor=HQ, at=datetime.now(UTC),
                    title=f"Premium {kr_id}", owner_person_id=owner.person_id,
                    owner_unit_id=owner.unit_id, kind="increase", unit="%",
                    start=Decimal(0), target=Decimal(100),
                ),
            )  # fmt: skip
        await handler.handle(
            conn,
            cmd(
                SetKeyResultWeights,
                objective_id="o-1",
                weights={"kr-a": Decimal(70), "kr-b": Decimal(30)},
            ),
        )
        await handler.handle(conn, cmd(CloseObjective, objective_id="o-3", outcome="achieved"))
        await handler.set_focus_policy(
            conn,
            SetFocusPolicy(command_id=uuid.uuid4(), actor=HQ, at=datetime.now(UTC), mode="warn"),
        )

        await eventually(lambda: _caught_up(conn), 60, "the read models to catch up")
        objectives = {
            r["objective_id"]: r["status"]
            for r in await conn.fetch("SELECT objective_id, status FROM okr_objective")
        }
        alignment = {
            (r["child_id"], r["parent_id"]): r["weight"]
            for r in await conn.fetch("SELECT * FROM okr_alignment")
        }
        weights = {
            r["kr_id"]: r["weight"]
            for r in await conn.fetch("SELECT * FROM okr_kr_weight WHERE objective_id = 'o-1'")
        }
        token = await create_client(conn, "rep", "rep", owner.person_id, owner.unit_id)
    finally:
        await conn.close()
    assert objectives == {"o-1": "active", "o-2": "active", "o-3": "achieved", "o-city": "active"}
    assert alignment == {
        ("o-1", "north-star"): 20,
        ("o-2", "o-city"): 60,
        ("o-2", "north-star"): 10,
        ("o-3", "north-star"): 20,
        ("o-city", "north-star"): 50,
    }
    assert weights == {"kr-a": 70, "kr-b": 30}

    await start_api(env)
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{env.settings.api_port}/v1/okr",
        headers={"Authorization": f"Bearer {token}"},
    ) as http:
        mine = (
            await http.get(
                "/objectives", params={"owner_person_id": owner.person_id, "cycle_id": "2026-Q4"}
            )
        ).json()
        chain = (await http.get("/objectives/o-2/chain")).json()
        missing = await http.get("/objectives/o-none/chain")
    assert [o["objective_id"] for o in mine] == ["o-1", "o-2", "o-3"]
    assert mine[0]["kr_weights"] == {"kr-a": 70, "kr-b": 30}
    assert [(c["parent_id"], c["depth"]) for c in chain] == [
        ("north-star", 1),
        ("o-city", 1),
        ("north-star", 2),
    ]
    assert missing.status_code == 404
