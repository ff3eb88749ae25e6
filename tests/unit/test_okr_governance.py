"""Centralised or distributed OKRs: HQ's policy per region, the definition rule both deciders
apply, and HRBP proposals that HQ approves."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from domain.event_chain import Stamped
from domain.kernel import Actor, Conflict, Invalid, NotAllowed
from domain.key_result.decide import decide as decide_kr
from domain.key_result.events import KeyResultDefined
from domain.key_result.state import fold
from domain.objectives import DefineObjective, PortfolioContext, PortfolioState
from domain.objectives import decide as decide_portfolio
from domain.okr_governance import (
    GOVERNANCE,
    GoalContext,
    Governance,
    GovernanceModeSet,
    SetGovernanceMode,
    definition_refusal,
)
from domain.okr_proposals import (
    PROPOSAL,
    ApproveProposal,
    GoalProposed,
    ProposalApproved,
    ProposalState,
    ProposeKeyResult,
    ProposeObjective,
    RejectProposal,
)
from tests.unit.test_key_result_decider import (
    AUDITOR,
    CITY_MANAGER,
    HQ,
    ORG,
    REGION_MANAGER,
    REP,
    define,
)

AT = datetime(2026, 11, 30, 9, tzinfo=UTC)
HRBP = Actor(person_id="p-hrbp", role="hrbp", unit_id="east")
HQ_HRBP = Actor(person_id="p-hrbp-hq", role="hrbp", unit_id="hq")
CENTRALISED = Governance((("east", "centralised"),))
DISTRIBUTED = Governance()


def test_who_may_define_directly_under_each_mode():
    for actor in (REP, CITY_MANAGER, REGION_MANAGER, HRBP):
        assert definition_refusal(actor, "rep-1", ORG, CENTRALISED) is not None, actor.role
    assert definition_refusal(HQ, "rep-1", ORG, CENTRALISED) is None
    for actor in (REP, CITY_MANAGER, REGION_MANAGER, HQ):
        assert definition_refusal(actor, "rep-1", ORG, DISTRIBUTED) is None, actor.role
    assert "distributed" in (definition_refusal(HRBP, "rep-1", ORG, DISTRIBUTED) or "")
    assert definition_refusal(CITY_MANAGER, "hq", ORG, CENTRALISED) is None  # HQ is no region


def test_the_kr_decider_applies_the_policy():
    with pytest.raises(NotAllowed, match="centrally"):
        decide_kr(fold([]), define(CITY_MANAGER), GoalContext(ORG, CENTRALISED))
    (event,) = decide_kr(fold([]), define(CITY_MANAGER), GoalContext(ORG, DISTRIBUTED))
    assert isinstance(event, KeyResultDefined)
    (event,) = decide_kr(fold([]), define(HQ), GoalContext(ORG, CENTRALISED))
    assert isinstance(event, KeyResultDefined)


def test_the_portfolio_decider_applies_the_policy():
    own = DefineObjective(
        command_id=uuid.uuid4(),
        owner_person_id="p-rep",
        cycle_id="2026-Q4",
        actor=REP,
        at=AT,
        objective_id="o-rep",
        title="Grow premium",
        owner_unit_id="rep-1",
    )
    cycles = frozenset({"2026-Q4"})
    with pytest.raises(NotAllowed, match="centrally"):
        decide_portfolio(PortfolioState(), own, PortfolioContext(ORG, cycles, "block", CENTRALISED))
    assert decide_portfolio(PortfolioState(), own, PortfolioContext(ORG, cycles))


def set_mode(actor: Actor, region: str, mode: str) -> SetGovernanceMode:
    return SetGovernanceMode(
        command_id=uuid.uuid4(), actor=actor, at=AT, region_id=region, mode=mode
    )


def test_only_hq_sets_a_regions_mode_and_the_event_keeps_the_previous_one():
    with pytest.raises(NotAllowed):
        GOVERNANCE.decide(Governance(), set_mode(REGION_MANAGER, "east", "centralised"), ORG)
    with pytest.raises(Invalid, match="not a region"):
        GOVERNANCE.decide(Governance(), set_mode(HQ, "sh", "centralised"), ORG)
    (event,) = GOVERNANCE.decide(Governance(), set_mode(HQ, "east", "centralised"), ORG)
    assert event == GovernanceModeSet(region_id="east", mode="centralised", previous="distributed")
    state = GOVERNANCE.evolve(Governance(), Stamped(event, "p-hq", AT))
    assert state.mode_of_unit("rep-1", ORG) == "centralised"
    (back,) = GOVERNANCE.decide(state, set_mode(HQ, "east", "distributed"), ORG)
    assert back.previous == "centralised"


def propose(actor: Actor = HRBP, proposal_id: str = "pr-1") -> ProposeKeyResult:
    return ProposeKeyResult(
        command_id=uuid.uuid4(),
        proposal_id=proposal_id,
        actor=actor,
        at=AT,
        kr_id="kr-proposed",
        title="Tasting conversion 30%",
        owner_person_id="p-rep",
        owner_unit_id="rep-1",
        kind="increase",
        unit="%",
        start="18",
        target="30",
    )


def test_an_hrbp_proposes_only_for_centralised_regions_in_their_part_of_the_tree():
    centralised = GoalContext(ORG, CENTRALISED)
    (event,) = PROPOSAL.decide(ProposalState(), propose(), centralised)
    assert isinstance(event, GoalProposed)
    assert (event.goal, event.goal_id, event.region_id) == ("key_result", "kr-proposed", "east")
    assert event.definition["target"] == "30" and "actor" not in event.definition
    assert PROPOSAL.decide(ProposalState(), propose(HQ_HRBP), centralised)
    with pytest.raises(Conflict, match="distributed"):
        PROPOSAL.decide(ProposalState(), propose(), GoalContext(ORG, DISTRIBUTED))
    for outsider in (REGION_MANAGER, HQ, AUDITOR):
        with pytest.raises(NotAllowed):
            PROPOSAL.decide(ProposalState(), propose(outsider), centralised)
    city_hrbp = Actor(person_id="p-hrbp-hz", role="hrbp", unit_id="hz")
    with pytest.raises(NotAllowed, match="their part"):
        PROPOSAL.decide(ProposalState(), propose(city_hrbp), centralised)


def test_objectives_are_proposed_with_their_owner_and_cycle():
    proposal = ProposeObjective(
        command_id=uuid.uuid4(),
        proposal_id="pr-o",
        actor=HRBP,
        at=AT,
        objective_id="o-rep",
        owner_person_id="p-rep",
        cycle_id="2026-Q4",
        title="Grow premium",
        owner_unit_id="rep-1",
    )
    (event,) = PROPOSAL.decide(ProposalState(), proposal, GoalContext(ORG, CENTRALISED))
    assert event.goal == "objective" and event.definition["cycle_id"] == "2026-Q4"


def test_hq_decides_a_pending_proposal_once():
    (proposed,) = PROPOSAL.decide(ProposalState(), propose(), GoalContext(ORG, CENTRALISED))
    pending = PROPOSAL.evolve(ProposalState(), Stamped(proposed, "p-hrbp", AT))
    approve = ApproveProposal(command_id=uuid.uuid4(), proposal_id="pr-1", actor=HQ, at=AT)
    for not_hq in (HRBP, REGION_MANAGER):
        with pytest.raises(NotAllowed):
            PROPOSAL.decide(pending, approve.model_copy(update={"actor": not_hq}), GoalContext(ORG))
    (approved,) = PROPOSAL.decide(pending, approve, GoalContext(ORG))
    assert approved == ProposalApproved(goal="key_result", goal_id="kr-proposed", note="")
    done = PROPOSAL.evolve(pending, Stamped(approved, "p-hq", AT))
    reject = RejectProposal(
        command_id=uuid.uuid4(), proposal_id="pr-1", actor=HQ, at=AT, reason="too late"
    )
    with pytest.raises(Conflict, match="already approved"):
        PROPOSAL.decide(done, reject, GoalContext(ORG))
