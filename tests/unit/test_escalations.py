"""Given events / when command / then events for an escalation's decider."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from domain.escalations import (
    AcknowledgeEscalation,
    EscalationAcknowledged,
    EscalationOpened,
    EscalationResolved,
    EscalationState,
    OpenEscalation,
    ResolveEscalation,
    decide,
    evolve,
)
from domain.event_chain import Stamped
from domain.kernel import Conflict, Invalid, NotAllowed, NotFound
from tests.unit.test_key_result_decider import (
    CITY_MANAGER,
    HQ,
    ORG,
    OTHER_CITY_MANAGER,
    REGION_MANAGER,
    REP,
)

AT = datetime(2026, 11, 27, 9, tzinfo=UTC)


def cmd(cls, actor, **fields):
    return cls(command_id=uuid.uuid4(), escalation_id="m1:kr-1", actor=actor, at=AT, **fields)


def given(*events) -> EscalationState:
    state = EscalationState()
    for event in events:
        state = evolve(state, Stamped(event, "p-sh", AT))
    return state


def opening(**fields):
    base = dict(kr_id="kr-1", to_unit_id="sh", source="calibration", meeting_id="m1")
    return cmd(
        OpenEscalation, CITY_MANAGER, respond_within=timedelta(hours=48), **{**base, **fields}
    )


OPENED = EscalationOpened(
    kr_id="kr-1",
    to_unit_id="sh",
    to_person_id=None,
    note="",
    source="calibration",
    meeting_id="m1",
    due_at=AT + timedelta(hours=48),
)


def test_opened_due_at_the_agreed_response_time():
    assert decide(given(), opening(), ORG) == (OPENED,)


def test_answered_at_the_level_it_names_or_above_or_by_hq():
    for who in (CITY_MANAGER, REGION_MANAGER, HQ):
        assert decide(given(OPENED), cmd(AcknowledgeEscalation, who, note="on it"), ORG) == (
            EscalationAcknowledged(note="on it"),
        )
        assert decide(given(OPENED), cmd(ResolveEscalation, who, note="sorted"), ORG) == (
            EscalationResolved(note="sorted"),
        )
    for outsider in (OTHER_CITY_MANAGER, REP):
        with pytest.raises(NotAllowed, match="at the level it names"):
            decide(given(OPENED), cmd(ResolveEscalation, outsider, note="sorted"), ORG)


@pytest.mark.parametrize(
    ("history", "command", "error", "message"),
    [
        ((OPENED,), opening(), Conflict, "already open"),
        ((), opening(to_unit_id=None), Invalid, "exactly one"),
        ((), opening(to_person_id="p-x"), Invalid, "exactly one"),
        ((), opening(to_unit_id="mars"), Invalid, "unknown org unit"),
        ((), cmd(ResolveEscalation, HQ, note="sorted"), NotFound, "no escalation"),
        (
            (OPENED, EscalationAcknowledged(note="")),
            cmd(AcknowledgeEscalation, HQ),
            Conflict,
            "already acknowledged",
        ),
        (
            (OPENED, EscalationResolved(note="done")),
            cmd(AcknowledgeEscalation, HQ),
            Conflict,
            "already resolved",
        ),
    ],
)
def test_refusals(history, command, error, message):
    with pytest.raises(error, match=message):
        decide(given(*history), command, ORG)
