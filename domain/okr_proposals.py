"""Proposals: in a region whose OKRs are set centrally (`domain.okr_governance`), an HR
business partner proposes an objective or a KR for a unit and HQ approves or rejects it. An
approval defines the goal, in the same transaction, as HQ (the handler issues the definition)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field

from domain.aggregate import Aggregate, StreamPrefix
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
    changed,
)
from domain.key_result.commands import KeyResultSpec
from domain.objectives import ObjectiveSpec
from domain.okr_governance import GoalContext, region_of

PROPOSAL_STREAMS = StreamPrefix("proposal-")
Goal = Literal["key_result", "objective"]
Status = Literal["pending", "approved", "rejected"]


# ---- commands -------------------------------------------------------------------------------


class ProposalCommand(Message):
    command_id: uuid.UUID
    proposal_id: Identifier
    actor: Actor
    at: AwareDatetime


class ProposeKeyResult(ProposalCommand, KeyResultSpec):
    """An HRBP proposes a KR for a unit of a centralised region; HQ approves it."""

    kr_id: Identifier


class ProposeObjective(ProposalCommand, ObjectiveSpec):
    """An HRBP proposes an objective for a unit of a centralised region; HQ approves it."""


class ApproveProposal(ProposalCommand):
    """HQ agrees: the proposed goal is defined now, as HQ's."""

    note: str = Field(default="", max_length=2000)


class RejectProposal(ProposalCommand):
    """HQ refuses the proposal, saying why."""

    reason: str = Field(min_length=3, max_length=2000)


# ---- events ---------------------------------------------------------------------------------


class ProposalEvent(Message):
    type: str
    schema_version: Literal[1] = 1


class GoalProposed(ProposalEvent):
    """A goal waits for HQ's approval; `definition` holds its fields as the definition
    command takes them (`kr_id` or `objective_id` among them)."""

    type: Literal["okr.proposal.submitted"] = "okr.proposal.submitted"
    goal: Goal
    goal_id: str
    title: str
    owner_unit_id: str
    region_id: str | None
    definition: dict[str, Any]


class ProposalApproved(ProposalEvent):
    type: Literal["okr.proposal.approved"] = "okr.proposal.approved"
    goal: Goal
    goal_id: str
    note: str


class ProposalRejected(ProposalEvent):
    type: Literal["okr.proposal.rejected"] = "okr.proposal.rejected"
    reason: str


PROPOSAL_EVENTS: EventTypes[ProposalEvent] = EventTypes(
    GoalProposed, ProposalApproved, ProposalRejected
)


# ---- state and decide -----------------------------------------------------------------------


@dataclass(frozen=True)
class ProposalState:
    goal: Goal | None = None  # None: nothing proposed under this id
    goal_id: str = ""
    definition: tuple[tuple[str, Any], ...] = ()
    status: Status = "pending"


def evolve(state: ProposalState, stamped: Stamped[ProposalEvent]) -> ProposalState:
    match stamped.event:
        case GoalProposed() as e:
            return ProposalState(e.goal, e.goal_id, tuple(e.definition.items()))
        case ProposalApproved():
            return changed(state, status="approved")
        case ProposalRejected():
            return changed(state, status="rejected")
    return state


def _propose(
    state: ProposalState, command: ProposeKeyResult | ProposeObjective, context: GoalContext
) -> tuple[ProposalEvent, ...]:
    org = context.org
    if state.goal is not None:
        raise Conflict(f"proposal {command.proposal_id!r} already exists")
    if command.actor.role != "hrbp":
        raise NotAllowed("proposals are made by HR business partners (HQ defines goals directly)")
    if command.owner_unit_id not in org.units:
        raise Invalid(f"owner_unit_id: unknown org unit {command.owner_unit_id!r}")
    if command.actor.unit_id not in org.ancestors_and_self(command.owner_unit_id):
        raise NotAllowed("an HRBP proposes goals for the units of their part of the org tree")
    region = region_of(command.owner_unit_id, org)
    if context.governance.mode_of_region(region) != "centralised":
        raise Conflict(
            f"region {region or command.owner_unit_id} sets its own OKRs (distributed): its"
            " managers define them; proposals are for centralised regions"
        )
    if isinstance(command, ProposeKeyResult):
        goal: Goal = "key_result"
        goal_id = command.kr_id
    else:
        goal = "objective"
        goal_id = command.objective_id
    definition = command.model_dump(
        mode="json", exclude={"command_id", "proposal_id", "actor", "at"}
    )
    return (
        GoalProposed(
            goal=goal,
            goal_id=goal_id,
            title=command.title,
            owner_unit_id=command.owner_unit_id,
            region_id=region,
            definition=definition,
        ),
    )


def decide(
    state: ProposalState, command: ProposalCommand, context: GoalContext
) -> tuple[ProposalEvent, ...]:
    if isinstance(command, ProposeKeyResult | ProposeObjective):
        return _propose(state, command, context)
    if state.goal is None:
        raise NotFound(f"no proposal {command.proposal_id!r}")
    if command.actor.role != "hq_admin":
        raise NotAllowed("only HQ approves or rejects a proposal")
    if state.status != "pending":
        raise Conflict(f"proposal {command.proposal_id!r} was already {state.status}")
    match command:
        case ApproveProposal():
            return (ProposalApproved(goal=state.goal, goal_id=state.goal_id, note=command.note),)
        case RejectProposal():
            return (ProposalRejected(reason=command.reason),)
    raise Invalid(f"unknown command {type(command).__name__}")


PROPOSAL: Aggregate[ProposalState, ProposalCommand, ProposalEvent, GoalContext] = Aggregate(
    events=PROPOSAL_EVENTS,
    initial=ProposalState,
    evolve=evolve,
    decide=decide,
    stream_of=lambda command: PROPOSAL_STREAMS.stream(command.proposal_id),
)
