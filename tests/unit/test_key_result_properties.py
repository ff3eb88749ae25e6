"""Properties of the KR decider over random command sequences from random people."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.event_chain import Stamped
from domain.kernel import DomainError
from domain.key_result.commands import (
    ApplyTargetAdjustment,
    ApproveTargetAdjustment,
    CancelTargetAdjustment,
    DefineKeyResult,
    RejectTargetAdjustment,
    RequestTargetAdjustment,
)
from domain.key_result.decide import decide
from domain.key_result.events import (
    TargetAdjustmentApplied,
    TargetAdjustmentApproved,
    TargetAdjustmentRequested,
)
from domain.key_result.state import evolve, fold
from tests.unit.test_key_result_decider import (
    AUDITOR,
    CITY_MANAGER,
    CONTEXT,
    HQ,
    OTHER_CITY_MANAGER,
    OTHER_REP,
    REGION_MANAGER,
    REP,
)

PEOPLE = [REP, OTHER_REP, CITY_MANAGER, OTHER_CITY_MANAGER, REGION_MANAGER, HQ, AUDITOR]
AT = datetime(2026, 11, 27, tzinfo=UTC)


def build(kind: str, actor, request_no: int, target: int):
    base = dict(command_id=uuid.uuid4(), kr_id="kr-1", actor=actor, at=AT)
    request_id = f"adj-{request_no}"
    if kind == "define":
        return DefineKeyResult(
            **base,
            title="Revenue 500k",
            owner_person_id="p-rep",
            owner_unit_id="rep-1",
            kind="increase",
            unit="CNY",
            start=Decimal(0),
            target=Decimal(500),
        )
    if kind == "request":
        return RequestTargetAdjustment(
            **base, request_id=request_id, proposed_target=Decimal(target), reason="market moved"
        )
    if kind == "approve":
        return ApproveTargetAdjustment(**base, request_id=request_id)
    if kind == "reject":
        return RejectTargetAdjustment(**base, request_id=request_id, reason="hold the line")
    if kind == "apply":
        return ApplyTargetAdjustment(**base, request_id=request_id)
    return CancelTargetAdjustment(**base, request_id=request_id)


commands = st.lists(
    st.tuples(
        st.sampled_from(["define", "request", "approve", "reject", "apply", "cancel"]),
        st.sampled_from(PEOPLE),
        st.integers(0, 3),
        st.integers(100, 900),
    ),
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(commands)
def test_accepted_events_always_respect_the_workflow(steps):
    history: list[Stamped] = []
    state = fold([])
    for kind, actor, request_no, target in steps:
        try:
            events = decide(state, build(kind, actor, request_no, target), CONTEXT)
        except DomainError:
            continue
        for event in events:
            stamped = Stamped(event, actor.person_id, AT)
            history.append(stamped)
            state = evolve(state, stamped)

    assert fold(history) == state == fold(history)  # replaying twice gives the same state
    requested_by: dict[str, str] = {}
    approved_by: dict[str, str] = {}
    expected_target = Decimal(500)
    for event, actor_id in ((s.event, s.actor) for s in history):
        if isinstance(event, TargetAdjustmentRequested):
            requested_by[event.request_id] = actor_id
        if isinstance(event, TargetAdjustmentApproved):
            assert actor_id not in (requested_by[event.request_id], "p-rep")
            approved_by[event.request_id] = actor_id
        if isinstance(event, TargetAdjustmentApplied):
            assert event.request_id in approved_by
            assert event.previous_target == expected_target
            expected_target = event.new_target
    if history:
        assert state.target == expected_target
