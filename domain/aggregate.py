"""The one shape every aggregate has: events that fold to a state, and a pure decider.

    state  = fold(history)                       # evolve(state, stamped event), in order
    events = decide(state, command, context)     # or a DomainError saying why not

`context` is what the decision needs beyond the stream (the org tree, the defined cycles, HQ's
policy); the command handler gathers it. The handler appends the events at the version it read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from pydantic import BaseModel

from domain.event_chain import EventTypes, RecordedEvent, Stamped

S = TypeVar("S")
C = TypeVar("C")
E = TypeVar("E", bound=BaseModel)
X = TypeVar("X")


@dataclass(frozen=True)
class Aggregate(Generic[S, C, E, X]):
    """An aggregate's rules: its event family, a maker of its initial state, evolve, decide,
    and the stream a command addresses."""

    events: EventTypes[E]
    initial: Callable[[], S]
    evolve: Callable[[S, Stamped[E]], S]
    decide: Callable[[S, C, X], Sequence[E]]
    stream_of: Callable[[C], str]
    # Who the recorded events name as their actor: the command's person by default.
    recorded_by: Callable[[C], str] = lambda command: command.actor.person_id  # type: ignore[attr-defined]

    def fold(self, history: Iterable[RecordedEvent]) -> S:
        """The state after a stream's recorded events (other families' events are skipped)."""
        state = self.initial()
        for stamped in self.events.stamped(history):
            state = self.evolve(state, stamped)
        return state


@dataclass(frozen=True)
class StreamPrefix:
    """An aggregate's streams are named `<prefix><id>`: the stream of an id, and the id whose
    stream it is (None for another aggregate's stream)."""

    prefix: str

    def stream(self, id_: str) -> str:
        return f"{self.prefix}{id_}"

    def id_of(self, stream_id: str) -> str | None:
        return stream_id.removeprefix(self.prefix) if stream_id.startswith(self.prefix) else None
