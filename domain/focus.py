"""The focus rule of the design notes, one rule for the cap and the quarterly cleanup: an owner
keeps at most three objectives *in force* in a quarter.

An objective is in force in a quarter on a day when it is open that day and its cycle overlaps
the quarter, or its cycle is already over (a past cycle's objective nobody closed is carried
into today's work). So on a quarter's first day three unclosed Q4 objectives and a new Q1 one
make four; planning Q1 in December while Q4's three are still running makes one.

- The cap: defining an objective that would make more than three in force in its cycle is
  refused under HQ's `block` policy (naming the objectives in force), a hint under `warn`.
- The cleanup: on a quarter's first day, an owner holding more than three in force, or any
  objective of a cycle that is over, has a cleanup task (close, merge or carry forward), done
  once they hold three or fewer and none of an ended cycle."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

MAX_ACTIVE_OBJECTIVES = 3

Days = tuple[date, date]  # a cycle's first and last day


@dataclass(frozen=True)
class HeldObjective:
    """One of an owner's objectives as the focus rule sees it (days are the company's)."""

    owner_person_id: str
    objective_id: str
    cycle_id: str
    cycle_days: Days
    defined_on: date
    closed_on: date | None = None  # not open from this day on

    def open_on(self, day: date) -> bool:
        return self.defined_on <= day and (self.closed_on is None or self.closed_on > day)

    def over_by(self, day: date) -> bool:
        """Its cycle ended before `day`."""
        return self.cycle_days[1] < day


def in_force(held: Iterable[HeldObjective], quarter: Days, on: date) -> list[HeldObjective]:
    """The objectives of `held` in force in `quarter` on day `on`: the carried-over ones (of an
    ended cycle) first, then by id."""
    first, last = quarter
    found = [
        h
        for h in held
        if h.open_on(on) and h.cycle_days[0] <= last and (h.cycle_days[1] >= first or h.over_by(on))
    ]
    return sorted(found, key=lambda h: (not h.over_by(on), h.objective_id))


def over_the_cap(count: int) -> bool:
    return count > MAX_ACTIVE_OBJECTIVES


@dataclass(frozen=True)
class CleanupTask:
    owner_person_id: str
    cycle_id: str  # the quarter
    active_at_start: int  # in force on the quarter's first day
    active_now: int
    objective_ids: tuple[str, ...]  # in force now
    to_close: tuple[str, ...]  # of these, the ones of an ended cycle

    @property
    def done(self) -> bool:
        return not over_the_cap(self.active_now) and not self.to_close


def cleanup_tasks(
    held: Iterable[HeldObjective], quarter_id: str, quarter: Days, today: date
) -> list[CleanupTask]:
    """The tasks of `quarter` as of `today` (none before it starts): one per owner who, on its
    first day, held more than three objectives in force or any of an ended cycle."""
    first = quarter[0]
    if today < first:
        return []
    by_owner: dict[str, list[HeldObjective]] = defaultdict(list)
    for h in held:
        by_owner[h.owner_person_id].append(h)
    tasks = []
    for owner, owned in sorted(by_owner.items()):
        at_start = in_force(owned, quarter, first)
        if not over_the_cap(len(at_start)) and not any(h.over_by(first) for h in at_start):
            continue
        now = in_force(owned, quarter, today)
        tasks.append(
            CleanupTask(
                owner,
                quarter_id,
                len(at_start),
                len(now),
                tuple(h.objective_id for h in now),
                tuple(h.objective_id for h in now if h.over_by(first)),
            )
        )
    return tasks
