from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from domain.cycles import (
    CYCLES,
    CycleDefined,
    DefineCycle,
    NorthStarSet,
    SetNorthStar,
    decide_north_star,
)
from domain.event_chain import RecordedEvent
from domain.kernel import Conflict, Invalid, NotAllowed
from tests.unit.test_key_result_decider import CITY_MANAGER, HQ

AT = datetime(2026, 11, 27, tzinfo=UTC)


def define(actor=HQ, **overrides):
    fields = dict(
        cycle_id="2026-Q4", kind="quarter", starts_on=date(2026, 10, 1), ends_on=date(2026, 12, 31)
    )
    return DefineCycle(command_id=uuid.uuid4(), actor=actor, at=AT, **{**fields, **overrides})


def recorded(event) -> RecordedEvent:
    return RecordedEvent(
        event_id=uuid.uuid4(),
        stream_id="cycles",
        version=1,
        type=event.type,
        schema_version=1,
        payload=event.model_dump(mode="json"),
        actor="x",
        occurred_at=AT,
        recorded_at=AT,
        correlation_id=uuid.uuid4(),
    )


def decided(history, command):
    return CYCLES.decide(CYCLES.fold(history), command, None)


Q4 = CycleDefined(
    cycle_id="2026-Q4", kind="quarter", starts_on=date(2026, 10, 1), ends_on=date(2026, 12, 31)
)


def test_quarters_and_months():
    assert decided([], define()) == (Q4,)
    (nov,) = decided(
        [recorded(Q4)],
        define(
            cycle_id="2026-11",
            kind="month",
            starts_on=date(2026, 11, 1),
            ends_on=date(2026, 11, 30),
        ),
    )
    assert nov.kind == "month"
    (feb,) = decided(
        [],
        define(
            cycle_id="2028-02", kind="month", starts_on=date(2028, 2, 1), ends_on=date(2028, 2, 29)
        ),
    )
    assert feb.ends_on == date(2028, 2, 29)


@pytest.mark.parametrize(
    ("history", "command", "error", "message"),
    [
        ([], define(CITY_MANAGER), NotAllowed, "only HQ"),
        ([Q4], define(), Conflict, "already exists"),
        ([Q4], define(cycle_id="other"), Conflict, "overlaps quarter 2026-Q4"),
        ([], define(starts_on=date(2026, 10, 2)), Invalid, "first day"),
        (
            [],
            define(starts_on=date(2026, 11, 1), ends_on=date(2027, 1, 31)),
            Invalid,
            "January, April",
        ),
        ([], define(ends_on=date(2026, 12, 30)), Invalid, "ends on 2026-12-31"),
    ],
)
def test_refusals(history, command, error, message):
    with pytest.raises(error, match=message):
        decided([recorded(e) for e in history], command)


def test_north_star_is_hqs():
    command = SetNorthStar(
        command_id=uuid.uuid4(),
        actor=HQ,
        at=AT,
        metric="premium-product monthly repeat buyers",
        target=Decimal(12000),
        unit="customers",
        owner_person_id="p-ceo",
    )
    assert decide_north_star(None, command, None) == (
        NorthStarSet(
            metric="premium-product monthly repeat buyers",
            target=Decimal(12000),
            unit="customers",
            comparison=">=",
            owner_person_id="p-ceo",
        ),
    )
    with pytest.raises(NotAllowed):
        decide_north_star(None, command.model_copy(update={"actor": CITY_MANAGER}), None)


def test_the_star_and_its_measuring_kr_have_one_target():
    command = SetNorthStar(
        command_id=uuid.uuid4(), actor=HQ, at=AT, metric="repeat buyers", target=Decimal(12000),
        unit="customers", owner_person_id="p-ceo", measured_by="kr-star",
    )  # fmt: skip
    (event,) = decide_north_star(None, command, Decimal(12000))
    assert event.measured_by == "kr-star"
    with pytest.raises(Invalid, match=r"12000 is not the target of 'kr-star'.*11000"):
        decide_north_star(None, command, Decimal(11000))
    with pytest.raises(Invalid, match="measured_by: no key result 'kr-star'"):
        decide_north_star(None, command, None)
