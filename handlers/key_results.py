"""Command handling for KR streams: load, fold, decide, append with the expected version."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import asyncpg

from domain.event_chain import derive_event_id
from domain.key_result_stream import KrCommand, decide, fold, kr_event_of
from domain.org import OrgTree
from handlers.recording import append_decided
from infra.postgres.event_store import AppendResult, EventStore


def stream_id_of(kr_id: str) -> str:
    return f"kr-{kr_id}"


class KeyResultCommandHandler:
    def __init__(
        self,
        store: EventStore,
        org: Callable[[asyncpg.Connection], object],
        clock: Callable[[], datetime],
    ) -> None:
        self.store = store
        self.org = org
        self.clock = clock

    async def handle(
        self, conn: asyncpg.Connection, command: KrCommand, idempotency_key: str | None = None
    ) -> AppendResult:
        """Raises the decider's DomainError, or ConcurrencyConflict when another writer won."""
        earlier = await self.store.earlier_result(
            conn, idempotency_key, derive_event_id(command.command_id, 0)
        )
        if earlier is not None:
            return earlier
        stream_id = stream_id_of(command.kr_id)
        history = await self.store.load(conn, stream_id)
        state = fold([(e, r.actor) for r in history if (e := kr_event_of(r)) is not None])
        tree: OrgTree = await self.org(conn)  # type: ignore[misc]
        events = decide(state, command, tree)
        return await append_decided(
            self.store,
            conn,
            stream_id=stream_id,
            expected_version=len(history),
            events=events,
            command_id=command.command_id,
            actor_id=command.actor.person_id,
            occurred_at=command.at,
            recorded_at=self.clock(),
            idempotency_key=idempotency_key,
        )
