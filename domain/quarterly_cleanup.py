"""The quarterly cleanup of the design notes: when a quarter starts, everyone keeps at most three
core objectives. An owner with more active objectives than that on the quarter's first day has
a cleanup task (close or merge down to three) until they are done."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from domain.quality_hints import MAX_ACTIVE_OBJECTIVES


@dataclass(frozen=True)
class ObjectiveSpan:
    """When an owner's objective was active: from its definition until it was closed."""

    owner_person_id: str
    objective_id: str
    defined_at: datetime
    closed_at: datetime | None


@dataclass(frozen=True)
class CleanupTask:
    owner_person_id: str
    active_at_start: int  # active objectives on the quarter's first day
    active_now: int
    objective_ids: tuple[str, ...]  # still active now

    @property
    def done(self) -> bool:
        return self.active_now <= MAX_ACTIVE_OBJECTIVES


def _active(span: ObjectiveSpan, at: datetime) -> bool:
    return span.defined_at <= at and (span.closed_at is None or span.closed_at > at)


def cleanup_tasks(
    spans: Iterable[ObjectiveSpan], quarter_starts_at: datetime, now: datetime
) -> list[CleanupTask]:
    """The tasks of the quarter starting at `quarter_starts_at`, as of `now` (none before it
    starts): one per owner who held more than three active objectives when it started, done
    once they hold three or fewer."""
    if now < quarter_starts_at:
        return []
    by_owner: dict[str, list[ObjectiveSpan]] = defaultdict(list)
    for span in spans:
        by_owner[span.owner_person_id].append(span)
    tasks = []
    for owner, owned in sorted(by_owner.items()):
        at_start = sum(_active(s, quarter_starts_at) for s in owned)
        if at_start <= MAX_ACTIVE_OBJECTIVES:
            continue
        still = sorted(s.objective_id for s in owned if _active(s, now))
        tasks.append(CleanupTask(owner, at_start, len(still), tuple(still)))
    return tasks
