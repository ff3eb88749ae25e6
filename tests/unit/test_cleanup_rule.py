"""Cleanup tasks: on a quarter's first day, owners above three active objectives get one,
done once they are down to three."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.quarterly_cleanup import ObjectiveSpan, cleanup_tasks

START = datetime(2027, 1, 1, tzinfo=UTC)
BEFORE = START - timedelta(days=10)


def spans(owner: str, count: int, closed: dict[int, datetime] | None = None):
    closed = closed or {}
    return [
        ObjectiveSpan(owner, f"{owner}-o{i}", BEFORE, closed.get(i)) for i in range(1, count + 1)
    ]


def test_no_task_before_the_quarter_starts():
    assert cleanup_tasks(spans("p-a", 5), START, START - timedelta(seconds=1)) == []


def test_an_owner_above_three_on_the_first_day_gets_a_task_until_down_to_three():
    owned = spans("p-a", 5) + spans("p-b", 3)
    (task,) = cleanup_tasks(owned, START, START + timedelta(hours=1))
    assert (task.owner_person_id, task.active_at_start, task.active_now, task.done) == (
        "p-a",
        5,
        5,
        False,
    )
    closing = START + timedelta(days=2)
    owned = spans("p-a", 5, {1: closing, 2: closing}) + spans("p-b", 3)
    (task,) = cleanup_tasks(owned, START, closing + timedelta(minutes=1))
    assert (task.active_now, task.done, task.objective_ids) == (
        3,
        True,
        ("p-a-o3", "p-a-o4", "p-a-o5"),
    )
    # before the closes it was still open
    (earlier,) = cleanup_tasks(owned, START, closing - timedelta(minutes=1))
    assert not earlier.done


def test_objectives_closed_before_the_quarter_or_defined_after_it_started_do_not_count():
    owned = [
        *spans("p-a", 3),
        ObjectiveSpan("p-a", "p-a-old", BEFORE, START - timedelta(days=1)),
        ObjectiveSpan("p-a", "p-a-new", START + timedelta(days=1), None),
    ]
    assert cleanup_tasks(owned, START, START + timedelta(days=5)) == []
