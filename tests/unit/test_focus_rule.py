"""The focus rule (`domain.focus`): what is in force in a quarter, the cleanup tasks on its
first day, and the cap on definition — one count for both."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from domain.focus import HeldObjective, cleanup_tasks, in_force
from domain.kernel import Actor, Conflict
from domain.objectives import (
    OBJECTIVES,
    DefineObjective,
    ObjectiveState,
    PortfolioContext,
    PortfolioState,
)
from domain.org_tree import OrgTree, OrgUnit

Q4 = (date(2026, 10, 1), date(2026, 12, 31))
Q1 = (date(2027, 1, 1), date(2027, 3, 31))
Q2 = (date(2027, 4, 1), date(2027, 6, 30))
YEAR = (date(2027, 1, 1), date(2027, 12, 31))
BEFORE = date(2026, 9, 20)


def held(owner: str, count: int, cycle=Q1, cycle_id="2027-Q1", closed=None, defined=BEFORE):
    closed = closed or {}
    return [
        HeldObjective(owner, f"{owner}-{cycle_id}-o{i}", cycle_id, cycle, defined, closed.get(i))
        for i in range(1, count + 1)
    ]


def ids(objectives) -> list[str]:
    return [h.objective_id for h in objectives]


def test_in_force_counts_this_quarter_an_enclosing_cycle_and_an_unclosed_ended_one():
    owned = [
        *held("p", 1, Q4, "2026-Q4"),
        *held("p", 1, Q1, "2027-Q1"),
        *held("p", 1, YEAR, "2027"),
        *held("p", 1, Q2, "2027-Q2"),
    ]
    on_first_day = ids(in_force(owned, Q1, Q1[0]))
    # the ended cycle's objective first (it is the one to close)
    assert on_first_day == ["p-2026-Q4-o1", "p-2027-Q1-o1", "p-2027-o1"]
    # planning Q1 in December: Q4 is still running, so its objective is not Q1's
    assert ids(in_force(owned, Q1, date(2026, 12, 10))) == ["p-2027-Q1-o1", "p-2027-o1"]


def test_closed_before_the_day_or_defined_after_it_does_not_count():
    owned = [
        *held("p", 2, Q1, closed={1: Q1[0] + timedelta(days=3)}),
        *held("p", 1, Q1, "2027-Q1b", defined=Q1[0] + timedelta(days=5)),
    ]
    assert len(in_force(owned, Q1, Q1[0])) == 2
    assert ids(in_force(owned, Q1, Q1[0] + timedelta(days=4))) == ["p-2027-Q1-o2"]
    assert len(in_force(owned, Q1, Q1[0] + timedelta(days=5))) == 2


def test_no_task_before_the_quarter_starts():
    assert cleanup_tasks(held("p", 5), "2027-Q1", Q1, Q1[0] - timedelta(days=1)) == []


def test_above_three_on_the_first_day_is_a_task_until_down_to_three():
    closing = Q1[0] + timedelta(days=2)
    owned = held("a", 5, closed={1: closing, 2: closing}) + held("b", 3)
    (task,) = cleanup_tasks(owned, "2027-Q1", Q1, Q1[0])
    assert (task.owner_person_id, task.active_at_start, task.active_now, task.done) == (
        "a", 5, 5, False,
    )  # fmt: skip
    (later,) = cleanup_tasks(owned, "2027-Q1", Q1, closing)
    assert (later.active_now, later.done, later.to_close) == (3, True, ())
    assert later.objective_ids == ("a-2027-Q1-o3", "a-2027-Q1-o4", "a-2027-Q1-o5")


def test_an_unclosed_ended_cycle_objective_is_a_task_until_it_is_closed():
    closing = Q1[0] + timedelta(days=1)
    owned = held("a", 3, Q4, "2026-Q4", closed={2: closing}) + held("b", 2, Q4, "2026-Q4")
    owned += [HeldObjective("b", "b-closed", "2026-Q4", Q4, BEFORE, Q4[1])]
    task, other = cleanup_tasks(owned, "2027-Q1", Q1, Q1[0])
    assert (task.owner_person_id, task.active_at_start, task.done) == ("a", 3, False)
    assert task.to_close == ("a-2026-Q4-o1", "a-2026-Q4-o2", "a-2026-Q4-o3")
    # "b" closed one at Q4's end and still holds two: a task too, with those two to close
    assert (other.owner_person_id, other.to_close) == ("b", ("b-2026-Q4-o1", "b-2026-Q4-o2"))
    after, _ = cleanup_tasks(owned, "2027-Q1", Q1, closing)
    assert after.to_close == ("a-2026-Q4-o1", "a-2026-Q4-o3") and not after.done


ORG = OrgTree(
    [
        OrgUnit(id="hq", name="HQ", level="hq"),
        OrgUnit(id="east", name="East", level="region", parent_id="hq"),
    ]
)
OWNER = Actor(person_id="p-east", role="manager", unit_id="east")


def _define(on: datetime, cycle_id: str = "2027-Q1") -> DefineObjective:
    return DefineObjective(
        command_id=uuid.uuid4(), actor=OWNER, at=on, owner_person_id="p-east",
        cycle_id=cycle_id, objective_id="o-new", title="Grow", owner_unit_id="east",
    )  # fmt: skip


def _context(held_now, focus="block") -> PortfolioContext:
    days = {"2026-Q4": Q4, "2027-Q1": Q1}
    return PortfolioContext(ORG, frozenset(days), focus, cycle_days=days, held=tuple(held_now))


def test_this_portfolio_and_other_cycles_count_together():
    """Two open Q1 objectives in the stream and two carried Q4 ones: the fifth is refused."""
    state = PortfolioState(
        tuple(ObjectiveState(f"q1-{n}", "east", cycle_id="2027-Q1") for n in (1, 2))
    )
    carried = held("p-east", 2, Q4, "2026-Q4", defined=date.min)
    with pytest.raises(Conflict, match="4 objectives in force in 2027-Q1: p-east-2026-Q4-o1"):
        OBJECTIVES.decide(state, _define(datetime(2027, 1, 5, tzinfo=UTC)), _context(carried))


def test_the_cap_counts_what_the_cleanup_counts_and_names_what_to_close():
    carried = held("p-east", 3, Q4, "2026-Q4", defined=date.min)
    first_day = datetime(2027, 1, 1, 9, tzinfo=UTC)
    with pytest.raises(Conflict) as refused:
        OBJECTIVES.decide(PortfolioState(), _define(first_day), _context(carried))
    message = str(refused.value)
    assert "3 objectives in force in 2027-Q1" in message
    for objective in carried:
        assert f"{objective.objective_id} (2026-Q4, cycle over)" in message
    # after closing one: allowed
    (event,) = OBJECTIVES.decide(PortfolioState(), _define(first_day), _context(carried[1:]))
    assert event.objective_id == "o-new"
    # in December Q4's three are Q4's work, not Q1's: planning Q1 is allowed
    december = datetime(2026, 12, 10, 9, tzinfo=UTC)
    assert OBJECTIVES.decide(PortfolioState(), _define(december), _context(carried))
    # under 'warn' the fourth is accepted
    assert OBJECTIVES.decide(PortfolioState(), _define(first_day), _context(carried, "warn"))
