"""Experience sharing: publish once, adopt once per other unit."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from domain.event_chain import RecordedEvent
from domain.kernel import Actor, Conflict, Invalid, NotAllowed, NotFound
from domain.practices import (
    PRACTICE,
    AdoptPractice,
    PracticeAdopted,
    PracticePublished,
    PublishPractice,
)
from tests.unit.test_key_result_decider import AUDITOR, CITY_MANAGER, HQ, ORG

AT = datetime(2026, 11, 27, tzinfo=UTC)
HZ_MANAGER = Actor(person_id="p-hz", role="manager", unit_id="hz")


def recorded(version: int, event) -> RecordedEvent:
    return RecordedEvent(
        event_id=uuid.uuid4(),
        stream_id="practice-campus",
        version=version,
        type=event.type,
        schema_version=1,
        payload=event.model_dump(mode="json", exclude={"type", "schema_version"}),
        actor="x",
        occurred_at=AT,
        recorded_at=AT,
        correlation_id=uuid.uuid4(),
    )


def decided(history, command):
    return PRACTICE.decide(PRACTICE.fold(history), command, ORG)


PUBLISHED = PracticePublished(
    kr_id="kr-conv",
    unit_id="sh",
    title="Campus tasting days",
    description="Tasting booths at three campuses each Friday",
    evidence="first-order conversion 27% vs 14% peer mean",
)


def publish(actor=CITY_MANAGER, **overrides):
    fields = dict(
        practice_id="campus",
        kr_id="kr-conv",
        unit_id="sh",
        title="Campus tasting days",
        description="Tasting booths at three campuses each Friday",
        evidence="first-order conversion 27% vs 14% peer mean",
    )
    return PublishPractice(command_id=uuid.uuid4(), actor=actor, at=AT, **{**fields, **overrides})


def adopt(actor=HZ_MANAGER, unit_id="hz"):
    return AdoptPractice(
        command_id=uuid.uuid4(),
        practice_id="campus",
        unit_id=unit_id,
        actor=actor,
        at=AT,
        note="trying it in Hangzhou",
    )


def test_publish_then_adopt():
    assert decided([], publish()) == (PUBLISHED,)
    assert decided([recorded(1, PUBLISHED)], adopt()) == (
        PracticeAdopted(unit_id="hz", note="trying it in Hangzhou"),
    )


@pytest.mark.parametrize(
    ("history", "command", "error", "message"),
    [
        ([PUBLISHED], publish(), Conflict, "already published"),
        ([], adopt(), NotFound, "no practice"),
        ([PUBLISHED], adopt(CITY_MANAGER, "sh"), Conflict, "its own practice"),
        ([PUBLISHED, PracticeAdopted(unit_id="hz", note="")], adopt(), Conflict, "already adopted"),
        ([PUBLISHED], adopt(CITY_MANAGER, "hz"), NotAllowed, "their own unit"),
        ([], publish(AUDITOR), NotAllowed, "auditors"),
        ([], publish(HQ, unit_id="mars"), Invalid, "unknown org unit"),
    ],
)
def test_refusals(history, command, error, message):
    with pytest.raises(error, match=message):
        decided([recorded(i + 1, e) for i, e in enumerate(history)], command)
