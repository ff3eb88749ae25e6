"""The organisation as events: org units (HQ -> region -> city -> rep) and the people in them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Literal

from pydantic import Field

from domain.aggregate import Aggregate
from domain.event_chain import EventTypes, Stamped
from domain.kernel import (
    Actor,
    AwareDatetime,
    Conflict,
    Identifier,
    Invalid,
    Message,
    NotAllowed,
    NotFound,
    Role,
)
from domain.org_tree import LEVEL_ORDER, Level, OrgTree, OrgUnit

ORG_STREAM = "org"


class OrgCommand(Message):
    command_id: uuid.UUID
    actor: Actor
    at: AwareDatetime


class CreateOrgUnit(OrgCommand):
    """Add a unit under its parent (HQ has none)."""

    unit_id: Identifier
    name: str = Field(min_length=1, max_length=200)
    level: Level
    parent_id: Identifier | None = None


class RegisterPerson(OrgCommand):
    """Someone joins, in a role, in a unit."""

    person_id: Identifier
    name: str = Field(min_length=1, max_length=200)
    role: Role
    unit_id: Identifier


class ChangePersonRole(OrgCommand):
    """Someone moves to another role or unit."""

    person_id: Identifier
    role: Role
    unit_id: Identifier


class OrgEvent(Message):
    type: str
    schema_version: Literal[1] = 1


class OrgUnitCreated(OrgEvent):
    """A unit exists in the tree."""

    type: Literal["org.unit_created"] = "org.unit_created"
    unit_id: str
    name: str
    level: Level
    parent_id: str | None


class PersonRegistered(OrgEvent):
    """A person works in a unit, in a role."""

    type: Literal["org.person_registered"] = "org.person_registered"
    person_id: str
    name: str
    role: Role
    unit_id: str


class PersonRoleChanged(OrgEvent):
    """A person's role or unit changed."""

    type: Literal["org.person_role_changed"] = "org.person_role_changed"
    person_id: str
    role: Role
    unit_id: str


ORG_EVENTS: EventTypes[OrgEvent] = EventTypes(
    OrgUnitCreated,
    PersonRegistered,
    PersonRoleChanged,
)


org_event_of = ORG_EVENTS.decode


@dataclass
class OrgState:
    units: dict[str, tuple[Level, str | None]] = field(default_factory=dict)  # id -> level, parent
    people: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> role, unit
    names: dict[str, str] = field(default_factory=dict)  # unit or person id -> name

    def tree(self) -> OrgTree | None:
        """The org tree these events built (None before HQ exists)."""
        if not self.units:
            return None
        return OrgTree(
            OrgUnit(id=unit_id, name=self.names[unit_id], level=level, parent_id=parent)
            for unit_id, (level, parent) in self.units.items()
        )


def evolve(state: OrgState, stamped: Stamped[OrgEvent]) -> OrgState:
    """Adds to the state it is given: every fold starts from a fresh OrgState, and copying
    two growing maps per event would make loading the org stream quadratic."""
    match stamped.event:
        case OrgUnitCreated() as e:
            state.units[e.unit_id] = (e.level, e.parent_id)
            state.names[e.unit_id] = e.name
        case PersonRegistered() as e:
            state.people[e.person_id] = (e.role, e.unit_id)
            state.names[e.person_id] = e.name
        case PersonRoleChanged() as e:
            state.people[e.person_id] = (e.role, e.unit_id)
    return state


_ROLE_LEVELS: dict[str, tuple[str, ...]] = {
    "hq_admin": ("hq",),
    "manager": ("hq", "region", "city"),
    "hrbp": ("hq", "region"),
    "rep": ("rep",),
    "auditor": ("hq", "region", "city", "rep"),
}


def _check_placement(state: OrgState, role: str, unit_id: str) -> None:
    if unit_id not in state.units:
        raise NotFound(f"unknown org unit {unit_id!r}")
    level = state.units[unit_id][0]
    if level not in _ROLE_LEVELS[role]:
        raise Invalid(f"role: a {role} cannot sit in a {level} unit ({unit_id})")


def decide(state: OrgState, command: OrgCommand, context: None) -> tuple[OrgEvent, ...]:
    """Org changes are HQ's; every unit and person keeps a valid place in the tree."""
    if command.actor.role != "hq_admin":
        raise NotAllowed("only HQ changes the organisation")
    match command:
        case CreateOrgUnit():
            if command.unit_id in state.units:
                raise Conflict(f"org unit {command.unit_id!r} already exists")
            if command.level == "hq":
                if command.parent_id is not None:
                    raise Invalid("parent_id: HQ has no parent")
                if any(level == "hq" for level, _ in state.units.values()):
                    raise Conflict("there is already an HQ")
            else:
                parent = state.units.get(command.parent_id or "")
                if parent is None:
                    raise NotFound(f"unknown parent unit {command.parent_id!r}")
                if LEVEL_ORDER[parent[0]] != LEVEL_ORDER[command.level] - 1:
                    raise Invalid(f"parent_id: a {command.level} cannot sit under a {parent[0]}")
            return (
                OrgUnitCreated(
                    unit_id=command.unit_id,
                    name=command.name,
                    level=command.level,
                    parent_id=command.parent_id,
                ),
            )
        case RegisterPerson():
            if command.person_id in state.people:
                raise Conflict(f"person {command.person_id!r} is already registered")
            _check_placement(state, command.role, command.unit_id)
            return (
                PersonRegistered(
                    person_id=command.person_id,
                    name=command.name,
                    role=command.role,
                    unit_id=command.unit_id,
                ),
            )
        case ChangePersonRole():
            current = state.people.get(command.person_id)
            if current is None:
                raise NotFound(f"unknown person {command.person_id!r}")
            if current == (command.role, command.unit_id):
                raise Conflict(f"{command.person_id} already has that role in that unit")
            _check_placement(state, command.role, command.unit_id)
            return (
                PersonRoleChanged(
                    person_id=command.person_id, role=command.role, unit_id=command.unit_id
                ),
            )
    raise Invalid(f"unknown command {type(command).__name__}")


ORGANISATION: Aggregate[OrgState, OrgCommand, OrgEvent, None] = Aggregate(
    events=ORG_EVENTS,
    initial=OrgState,
    evolve=evolve,
    decide=decide,
    stream_of=lambda _command: ORG_STREAM,
)
