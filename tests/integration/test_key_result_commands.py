"""KR commands through the handler and the real event store: races, retries, folds."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import asyncpg
import pytest

from domain.kernel import Actor, Conflict
from domain.key_result.commands import (
    ApproveTargetAdjustment,
    DefineKeyResult,
    RejectTargetAdjustment,
    RequestTargetAdjustment,
)
from domain.key_result.events import kr_stream
from domain.key_result.state import state_of
from handlers.key_results import KeyResultCommandHandler
from infra.postgres.event_store import ConcurrencyConflict, EventStore
from projections.reads.org_directory import OrgDirectory
from tests.stack import load_company, small_company

HQ = Actor(person_id="p-hq", role="hq_admin", unit_id="hq")
REP = Actor(person_id="p-rep", role="rep", unit_id="rep-east-city1-1")
CITY = Actor(person_id="p-city", role="manager", unit_id="east-city1")
AT = datetime(2026, 11, 27, 9, tzinfo=UTC)


@pytest.fixture
async def handler(env):
    await load_company(env.settings, small_company())
    directory = OrgDirectory()
    return KeyResultCommandHandler(
        EventStore(env.settings.okr_events_topic), directory.load, lambda: datetime.now(UTC)
    )


def command(cls, actor, kr_id, **fields):
    return cls(command_id=uuid.uuid4(), kr_id=kr_id, actor=actor, at=AT, **fields)


async def _kr_with_open_request(conn, handler, kr_id: str) -> None:
    await handler.handle(
        conn,
        command(
            DefineKeyResult,
            HQ,
            kr_id,
            title="Rep revenue",
            owner_person_id="p-rep",
            owner_unit_id="rep-east-city1-1",
            kind="increase",
            unit="CNY",
            start=Decimal(0),
            target=Decimal(500_000),
        ),
    )
    await handler.handle(
        conn,
        command(
            RequestTargetAdjustment,
            REP,
            kr_id,
            request_id="adj-1",
            proposed_target=Decimal(450_000),
            reason="store closed for renovation",
        ),
    )


async def test_fifty_pairs_of_conflicting_decisions_one_wins_each_time(env, handler):
    conns = [await asyncpg.connect(env.settings.dsn) for _ in range(2)]
    try:
        for pair in range(50):
            kr_id = f"race-{pair}"
            await _kr_with_open_request(conns[0], handler, kr_id)
            outcomes = await asyncio.gather(
                handler.handle(
                    conns[0], command(ApproveTargetAdjustment, CITY, kr_id, request_id="adj-1")
                ),
                handler.handle(
                    conns[1],
                    command(
                        RejectTargetAdjustment,
                        HQ,
                        kr_id,
                        request_id="adj-1",
                        reason="hold the line",
                    ),
                ),
                return_exceptions=True,
            )
            losers = [o for o in outcomes if isinstance(o, Exception)]
            assert len(losers) == 1, outcomes
            # Either the store saw the race (409) or the loser read the winner's event (409).
            assert isinstance(losers[0], ConcurrencyConflict | Conflict), losers
            events = await handler.store.load(conns[0], kr_stream(kr_id))
            assert [e.version for e in events] == [1, 2, 3]
            assert events[2].type in (
                "okr.kr.target_adjustment_approved",
                "okr.kr.target_adjustment_rejected",
            )
            outbox = await conns[0].fetchval(
                "SELECT count(*) FROM outbox WHERE stream_id = $1", kr_stream(kr_id)
            )
            assert outbox == 3
    finally:
        for conn in conns:
            await conn.close()


async def test_a_retried_command_gets_its_first_result(env, handler):
    conn = await asyncpg.connect(env.settings.dsn)
    try:
        await _kr_with_open_request(conn, handler, "retry-1")
        approve = command(ApproveTargetAdjustment, CITY, "retry-1", request_id="adj-1")
        first = await handler.handle(conn, approve, idempotency_key="approve-1")
        by_key = await handler.handle(
            conn,
            approve.model_copy(update={"command_id": uuid.uuid4()}),
            idempotency_key="approve-1",
        )
        by_command_id = await handler.handle(conn, approve)
        events = await handler.store.load(conn, kr_stream("retry-1"))
    finally:
        await conn.close()
    assert (first.replayed, by_key.replayed, by_command_id.replayed) == (False, True, True)
    assert first.first_version == by_key.first_version == by_command_id.first_version == 3
    assert len(events) == 3


async def test_the_folded_stream_is_the_state_decide_saw(env, handler):
    conn = await asyncpg.connect(env.settings.dsn)
    try:
        await _kr_with_open_request(conn, handler, "fold-1")
        history = await handler.store.load(conn, kr_stream("fold-1"))
    finally:
        await conn.close()
    state = state_of(history)
    assert state == state_of(history)  # replaying twice gives the same state
    assert (state.target, state.pending.proposed_target, state.pending.requested_by) == (
        Decimal(500_000),
        Decimal(450_000),
        "p-rep",
    )
