"""The org stream's decider."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from domain.kernel import Actor, Conflict, Invalid, NotAllowed, NotFound
from domain.organisation import (
    ChangePersonRole,
    CreateOrgUnit,
    OrgState,
    OrgUnitCreated,
    PersonRegistered,
    PersonRoleChanged,
    RegisterPerson,
    decide,
)

HQ = Actor(person_id="p-hq", role="hq_admin", unit_id="hq")
MANAGER = Actor(person_id="p-m", role="manager", unit_id="east")
AT = datetime(2026, 11, 27, tzinfo=UTC)
STATE = OrgState(
    units={
        "hq": ("hq", None),
        "east": ("region", "hq"),
        "sh": ("city", "east"),
        "rep-1": ("rep", "sh"),
    },
    people={"p-rep": ("rep", "rep-1")},
)


def cmd(cls, actor=HQ, **fields):
    return cls(command_id=uuid.uuid4(), actor=actor, at=AT, **fields)


def test_create_register_and_move():
    assert decide(
        STATE,
        cmd(CreateOrgUnit, unit_id="hz", name="Hangzhou", level="city", parent_id="east"),
        None,
    ) == (OrgUnitCreated(unit_id="hz", name="Hangzhou", level="city", parent_id="east"),)
    assert decide(
        STATE,
        cmd(RegisterPerson, person_id="p-sh", name="Li Na", role="manager", unit_id="sh"),
        None,
    ) == (PersonRegistered(person_id="p-sh", name="Li Na", role="manager", unit_id="sh"),)
    assert decide(
        STATE, cmd(ChangePersonRole, person_id="p-rep", role="manager", unit_id="sh"), None
    ) == (PersonRoleChanged(person_id="p-rep", role="manager", unit_id="sh"),)


@pytest.mark.parametrize(
    ("command", "error", "message"),
    [
        (
            cmd(CreateOrgUnit, MANAGER, unit_id="x", name="x", level="city", parent_id="east"),
            NotAllowed,
            "only HQ",
        ),
        (
            cmd(CreateOrgUnit, unit_id="sh", name="x", level="city", parent_id="east"),
            Conflict,
            "already exists",
        ),
        (cmd(CreateOrgUnit, unit_id="hq2", name="x", level="hq"), Conflict, "already an HQ"),
        (
            cmd(CreateOrgUnit, unit_id="x", name="x", level="city", parent_id="hq"),
            Invalid,
            "a city cannot sit under a hq",
        ),
        (
            cmd(CreateOrgUnit, unit_id="x", name="x", level="rep", parent_id="nowhere"),
            NotFound,
            "unknown parent",
        ),
        (
            cmd(RegisterPerson, person_id="p-rep", name="x", role="rep", unit_id="rep-1"),
            Conflict,
            "already registered",
        ),
        (
            cmd(RegisterPerson, person_id="p-x", name="x", role="rep", unit_id="sh"),
            Invalid,
            "a rep cannot sit in a city unit",
        ),
        (
            cmd(RegisterPerson, person_id="p-x", name="x", role="hq_admin", unit_id="east"),
            Invalid,
            "hq_admin cannot sit in a region",
        ),
        (
            cmd(RegisterPerson, person_id="p-x", name="x", role="rep", unit_id="mars"),
            NotFound,
            "unknown org unit",
        ),
        (
            cmd(ChangePersonRole, person_id="p-nobody", role="rep", unit_id="rep-1"),
            NotFound,
            "unknown person",
        ),
        (
            cmd(ChangePersonRole, person_id="p-rep", role="rep", unit_id="rep-1"),
            Conflict,
            "already has that role",
        ),
    ],
)
def test_refusals(command, error, message):
    with pytest.raises(error, match=message):
        decide(STATE, command, None)
