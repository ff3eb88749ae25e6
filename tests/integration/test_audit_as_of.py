"""As-of: random commands drive three KRs through the real handler and event store; after each
one the test writes down what it expects the KR to look like (its own bookkeeping, not the
projection's). Then random moments are folded back with `state_as_of` and compared."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import asyncpg
import pytest

from audit.as_of import changes_between, state_as_of
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
from handlers.key_results import KeyResultCommandHandler
from infra.postgres.event_store import EventStore
from projections.reads.org_directory import OrgDirectory
from tests.stack import load_company, small_company

HQ = Actor(person_id="p-hq", role="hq_admin", unit_id="hq")
REP = Actor(person_id="p-rep", role="rep", unit_id="rep-east-city1-1")
CITY = Actor(person_id="p-city", role="manager", unit_id="east-city1")
START = datetime(2026, 10, 1, 9, tzinfo=UTC)
KRS = ("kr-a", "kr-b", "kr-c")


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_state_as_of_random_moments_matches_what_was_recorded(env, seed):
    rng = random.Random(seed)
    await load_company(env.settings, small_company())
    handler = KeyResultCommandHandler(
        EventStore(env.settings.okr_events_topic), OrgDirectory().load, lambda: START
    )
    conn = await asyncpg.connect(env.settings.dsn)
    expected: dict[str, dict] = {}
    snapshots: list[tuple[datetime, dict[str, dict]]] = [(START - timedelta(hours=1), {})]
    moment = START
    try:
        for step in range(60):
            moment += timedelta(minutes=rng.randint(1, 600))
            kr_id = rng.choice(KRS)
            state = expected.get(kr_id)
            command, effect = _next_command(rng, kr_id, state, moment, step)
            try:
                await handler.handle(conn, command)
            except DomainError:
                continue  # refused: nothing recorded, nothing changes
            expected[kr_id] = effect(dict(state) if state else None)
            snapshots.append((moment, {k: _without_proposal(v) for k, v in expected.items()}))
        assert len(snapshots) > 30
        for _ in range(25):
            index = rng.randrange(len(snapshots))
            at, snapshot = snapshots[index]
            probe = at + timedelta(seconds=rng.randint(0, 59))  # between two commands
            if index + 1 < len(snapshots) and probe >= snapshots[index + 1][0]:
                probe = at
            folded = await state_as_of(conn, probe)
            assert {k: _essentials(v) for k, v in folded["key_results"].items()} == snapshot
        # diff between two recorded moments names exactly the KRs whose essentials changed
        (t1, s1), (t2, s2) = snapshots[5], snapshots[-1]
        report = await changes_between(conn, t1, t2)
        changed = {c["id"] for c in report["key_results"]}
        assert changed >= {k for k in s2 if s1.get(k) != s2[k]}
    finally:
        await conn.close()


def _essentials(doc: dict) -> dict:
    request = doc["open_request"]
    return {
        "target": Decimal(doc["target"]),
        "request": None if request is None else (request["request_id"], request["approved"]),
        "blocker": doc["open_blocker"],
        "progress": None
        if doc["last_check_in"] is None
        else Decimal(doc["last_check_in"]["progress_value"]),
    }


def _next_command(rng, kr_id, state, moment, step):
    """A plausible next command for the KR and how it changes the expected essentials."""
    base = {"command_id": uuid.uuid4(), "kr_id": kr_id, "at": moment}
    if state is None:
        target = Decimal(rng.randrange(10, 99) * 10_000)
        return DefineKeyResult(
            **base,
            actor=HQ,
            title=f"{kr_id} revenue",
            owner_person_id="p-rep",
            owner_unit_id="rep-east-city1-1",
            kind="increase",
            unit="CNY",
            start=Decimal(0),
            target=target,
        ), lambda _: {"target": target, "request": None, "blocker": None, "progress": None}
    request = state["request"]
    if request is None and rng.random() < 0.5:
        proposed = state["target"] + Decimal(rng.randrange(1, 9) * 10_000)
        request_id = f"r{step}"
        return RequestTargetAdjustment(
            **base, actor=REP, request_id=request_id, proposed_target=proposed, reason="market"
        ), lambda s: {**s, "request": (request_id, False), "proposed": proposed}
    if request is not None and not request[1]:
        choice = rng.random()
        if choice < 0.5:
            return ApproveTargetAdjustment(**base, actor=CITY, request_id=request[0]), (
                lambda s: {**s, "request": (request[0], True)}
            )
        if choice < 0.8:
            return RejectTargetAdjustment(
                **base, actor=CITY, request_id=request[0], reason="keep it"
            ), lambda s: {**_without_proposal(s), "request": None}
        return CancelTargetAdjustment(**base, actor=REP, request_id=request[0]), (
            lambda s: {**_without_proposal(s), "request": None}
        )
    if request is not None:
        return ApplyTargetAdjustment(**base, actor=CITY, request_id=request[0]), (
            lambda s: {**_without_proposal(s), "target": s["proposed"], "request": None}
        )
    value = Decimal(rng.randrange(0, 900_000))
    blocker = rng.choice(["none", "price war"])
    return RecordCheckIn(
        **base, actor=REP, summary="weekly", progress_value=value, blocker=blocker
    ), lambda s: {**s, "progress": value, "blocker": None if blocker == "none" else blocker}


def _without_proposal(state: dict) -> dict:
    return {k: v for k, v in state.items() if k != "proposed"}
