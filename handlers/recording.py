"""The command path every stream shares: answer retries, load the stream, decide, and append
the decided events (recorded, hash-chained, outboxed) at the version that was read."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Generic, Protocol, TypeVar

import asyncpg
from pydantic import BaseModel

from domain.aggregate import Aggregate
from domain.cycles import CYCLES_STREAM, cycle_days
from domain.event_chain import RecordedEvent, derive_event_id
from domain.focus import HeldObjective
from domain.key_result.decide import KEY_RESULT
from domain.key_result.events import kr_stream
from domain.key_result.state import KeyResultState
from domain.objectives import (
    FOCUS_POLICY,
    FOCUS_POLICY_STREAM,
    NORTH_STAR_PARENT,
    OBJECTIVES,
    AlignObjective,
    DefineObjective,
    ObjectiveState,
    PortfolioContext,
    SetKeyResultWeights,
    portfolio_stream,
)
from domain.okr_governance import (
    EVERY_REGION_DISTRIBUTED,
    GOVERNANCE,
    GOVERNANCE_STREAM,
    Governance,
)
from domain.org_tree import OrgTree
from infra.postgres.event_store import AppendResult, EventStore
from infra.postgres.org_stream import RecordedOrg

OrgSource = Callable[[asyncpg.Connection], Awaitable[OrgTree]]
S = TypeVar("S")
C = TypeVar("C")
E = TypeVar("E", bound=BaseModel)
X = TypeVar("X")


class Addressed(Protocol):
    """What every command carries: its id and when it was issued."""

    command_id: uuid.UUID
    at: datetime


DEFAULT_RESPONSE_TIME = timedelta(hours=48)


class StreamCommands:
    """Base of the per-stream handlers: holds the store, the org tree source, the clock, the
    agreed time to answer an escalation (for the commands that open one) and the company's time
    zone (for rules that count the company's days)."""

    def __init__(
        self,
        store: EventStore,
        org: OrgSource,
        clock: Callable[[], datetime],
        respond_within: timedelta = DEFAULT_RESPONSE_TIME,
        zone: tzinfo = UTC,
    ) -> None:
        self.store = store
        self.org = org
        self.clock = clock
        self.respond_within = respond_within
        self.zone = zone

    async def defined_cycles(self, conn: asyncpg.Connection) -> frozenset[str]:
        """The cycle ids HQ has defined, from the command side's own store."""
        return frozenset(await self.cycle_days(conn))

    async def cycle_days(self, conn: asyncpg.Connection) -> dict[str, tuple[date, date]]:
        """Each cycle HQ has defined, with its first and last day."""
        return cycle_days(await self.store.load(conn, CYCLES_STREAM))

    async def objective_chain(
        self, conn: asyncpg.Connection, parent_ids: Iterable[str]
    ) -> dict[str, ObjectiveState]:
        """The objectives named and every objective above them, each as its owner's portfolio
        stream says now (found through the company-wide claim of its id)."""
        found: dict[str, ObjectiveState] = {}
        todo = [p for p in parent_ids if p != NORTH_STAR_PARENT]
        while todo:
            objective_id = todo.pop()
            if objective_id in found:
                continue
            holder = await self.store.claim_holder(conn, "objective", objective_id)
            if holder is None:
                continue
            portfolio = OBJECTIVES.fold(await self.store.load(conn, holder.stream_id))
            objective = portfolio.find(objective_id)
            if objective is None:
                continue
            found[objective_id] = objective
            todo += [c.parent_id for c in objective.contributes_to if c.parent_id not in found]
        return found

    async def governance(self, conn: asyncpg.Connection, defines_a_goal: bool) -> Governance:
        """Who sets each region's OKRs (HQ's policy), from the command side's own store — read
        only for a command that defines (or proposes) a goal, the only decisions that use it;
        any other gets the default, which its decider never looks at."""
        if not defines_a_goal:
            return EVERY_REGION_DISTRIBUTED
        return GOVERNANCE.fold(await self.store.load(conn, GOVERNANCE_STREAM))

    async def portfolio_context(
        self, conn: asyncpg.Connection, command: object
    ) -> Callable[[OrgTree], PortfolioContext]:
        """What a decision on `command` needs beyond the org tree: cycles and HQ's policies."""
        focus = FOCUS_POLICY.fold(await self.store.load(conn, FOCUS_POLICY_STREAM))
        days = await self.cycle_days(conn)
        governance = await self.governance(conn, isinstance(command, DefineObjective))
        parents = (
            [c.parent_id for c in command.contributes_to]
            if isinstance(command, DefineObjective | AlignObjective)
            else []
        )
        chain = await self.objective_chain(conn, parents)
        weighted = command.weights if isinstance(command, SetKeyResultWeights) else {}
        krs = await self.key_results(conn, weighted)
        held = (
            await self.held_objectives(conn, command.owner_person_id, days, command.cycle_id)
            if isinstance(command, DefineObjective)
            else ()
        )
        return lambda org: PortfolioContext(
            org, frozenset(days), focus, governance, days, chain, krs, held, self.zone
        )

    async def held_objectives(
        self,
        conn: asyncpg.Connection,
        owner_person_id: str,
        days: dict[str, tuple[date, date]],
        skip: str,
    ) -> tuple[HeldObjective, ...]:
        """The owner's open objectives in every cycle but `skip` (the command's own, which
        its decision folds), from their portfolio streams: the focus rule counts across cycles."""
        held = []
        for cycle_id, cycle in sorted(days.items()):
            if cycle_id == skip:
                continue
            portfolio = OBJECTIVES.fold(
                await self.store.load(conn, portfolio_stream(owner_person_id, cycle_id))
            )
            held += [
                HeldObjective(owner_person_id, o.objective_id, cycle_id, cycle, date.min)
                for o in portfolio.objectives
                if o.active
            ]
        return tuple(held)

    async def key_results(
        self, conn: asyncpg.Connection, kr_ids: Iterable[str]
    ) -> dict[str, KeyResultState]:
        """The KRs named, each as its stream says now (a KR with no stream is left out)."""
        found = {}
        for kr_id in kr_ids:
            history = await self.store.load(conn, kr_stream(kr_id))
            if history:
                found[kr_id] = KEY_RESULT.fold(history)
        return found

    async def load_with_org(
        self, conn: asyncpg.Connection, stream_id: str
    ) -> tuple[list[RecordedEvent], OrgTree]:
        """The command's stream and the org tree; from the store's own org stream, its head is
        read with the stream (one round trip for both)."""
        if isinstance(self.org, RecordedOrg):
            history, head = await self.store.load_with_head(conn, stream_id, self.org.stream_id)
            return history, await self.org.at_head(conn, head)
        return await self.store.load(conn, stream_id), await self.org(conn)

    async def run(
        self,
        conn: asyncpg.Connection,
        aggregate: Aggregate[S, C, E, X],
        command: C,
        context: Callable[[OrgTree], X],
        idempotency_key: str | None,
        causation_id: uuid.UUID | None = None,
    ) -> tuple[AppendResult, S | None]:
        """The append's result (`replayed` when this command, known by its key or its derived
        event ids, was recorded before: then nothing is decided again) and the state it was
        decided on (None when replayed); raises the decider's DomainError, or
        ConcurrencyConflict when another writer won. `causation_id`: the event that caused this
        command (e.g. a meeting's outcomes), recorded with its events."""
        addressed: Addressed = command  # type: ignore[assignment]
        earlier = await self.store.earlier_result(
            conn, idempotency_key, derive_event_id(addressed.command_id, 0)
        )
        if earlier is not None:
            return earlier, None
        stream_id = aggregate.stream_of(command)
        history, org = await self.load_with_org(conn, stream_id)
        state = aggregate.fold(history)
        events = aggregate.decide(state, command, context(org))
        records = [
            RecordedEvent(
                event_id=derive_event_id(addressed.command_id, index),
                stream_id=stream_id,
                version=len(history) + 1 + index,
                type=event.type,  # type: ignore[attr-defined]
                schema_version=event.schema_version,  # type: ignore[attr-defined]
                payload=event.model_dump(mode="json", exclude={"type", "schema_version"}),
                actor=aggregate.recorded_by(command),
                occurred_at=addressed.at,
                recorded_at=self.clock(),
                correlation_id=addressed.command_id,
                causation_id=causation_id,
            )
            for index, event in enumerate(events)
        ]
        result = await self.store.append(conn, records, len(history), idempotency_key)
        return result, state


def org_context(org: OrgTree) -> OrgTree:
    """The context of the aggregates whose decisions need only the org tree."""
    return org


def no_context(_org: OrgTree) -> None:
    """The context of the aggregates whose decisions need nothing beyond their stream."""
    return None


class AggregateCommands(StreamCommands, Generic[S, C, E, X]):
    """The handler of an aggregate with nothing to gather but its context (organisation,
    practices, escalations): `handle` runs the command through it."""

    def __init__(
        self,
        store: EventStore,
        org: OrgSource,
        clock: Callable[[], datetime],
        aggregate: Aggregate[S, C, E, X],
        context: Callable[[OrgTree], X],
    ) -> None:
        super().__init__(store, org, clock)
        self.aggregate = aggregate
        self.context = context

    async def handle(
        self, conn: asyncpg.Connection, command: C, idempotency_key: str | None = None
    ) -> AppendResult:
        return (await self.run(conn, self.aggregate, command, self.context, idempotency_key))[0]
