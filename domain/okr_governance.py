"""Who sets a region's OKRs — HQ's policy per region, itself an audited event:

- **distributed** (the default): the region's managers define their own objectives and KRs
  under the north star; HQ sees them and may comment;
- **centralised**: HR business partners (HRBP) propose objectives and KRs for the region's units
  and HQ approves them; nobody in the region defines one directly.

HQ may always define goals directly. `definition_refusal` is the one rule both deciders (KR and
objective portfolio) apply to a definition."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Literal

from pydantic import Field

from domain.aggregate import Aggregate
from domain.event_chain import EventTypes, Stamped
from domain.kernel import Actor, AwareDatetime, Identifier, Invalid, Message, NotAllowed
from domain.org_tree import OrgTree

GovernanceMode = Literal["centralised", "distributed"]
GOVERNANCE_STREAM = "policy-governance"


class SetGovernanceMode(Message):
    """HQ decides how a region's OKRs are set."""

    command_id: uuid.UUID
    actor: Actor
    at: AwareDatetime
    region_id: Identifier
    mode: GovernanceMode
    reason: str = Field(default="", max_length=2000)


class GovernanceModeSet(Message):
    """From now on the region's OKRs are set this way (`previous`: the mode before)."""

    type: Literal["okr.policy.governance_set"] = "okr.policy.governance_set"
    schema_version: Literal[1] = 1
    region_id: str
    mode: GovernanceMode
    previous: GovernanceMode
    reason: str = ""


@dataclass(frozen=True)
class Governance:
    """The mode of each region HQ has set; every other region is distributed."""

    modes: tuple[tuple[str, GovernanceMode], ...] = ()

    def mode_of_region(self, region_id: str | None) -> GovernanceMode:
        return dict(self.modes).get(region_id or "", "distributed")

    def mode_of_unit(self, unit_id: str, org: OrgTree) -> GovernanceMode:
        return self.mode_of_region(region_of(unit_id, org))


EVERY_REGION_DISTRIBUTED = Governance()


@dataclass(frozen=True)
class GoalContext:
    """What a decision on goals needs beyond its stream: the org tree and HQ's policy."""

    org: OrgTree
    governance: Governance = EVERY_REGION_DISTRIBUTED


def region_of(unit_id: str, org: OrgTree) -> str | None:
    """The region a unit sits in (itself for a region; None for HQ or an unknown unit)."""
    if unit_id not in org.units:
        return None
    return next(
        (u for u in org.ancestors_and_self(unit_id) if org.units[u].level == "region"), None
    )


def definition_refusal(
    actor: Actor, owner_unit_id: str, org: OrgTree, governance: Governance
) -> str | None:
    """None when the region's policy lets `actor` define a goal for `owner_unit_id` directly;
    else why not (the deciders' other rules — who manages whom — still apply)."""
    if actor.role == "hq_admin":
        return None
    region = region_of(owner_unit_id, org)
    if governance.mode_of_region(region) == "centralised":
        return (
            f"region {region} sets its OKRs centrally: an HRBP proposes them and HQ approves"
            " (POST /v1/okr/proposals/key-results or /objectives)"
        )
    if actor.role == "hrbp":
        return (
            f"region {region or owner_unit_id} sets its own OKRs (distributed): its managers"
            " define them; an HRBP proposes only for centralised regions"
        )
    return None


def _evolve(state: Governance, stamped: Stamped[GovernanceModeSet]) -> Governance:
    event = stamped.event
    others = tuple((r, m) for r, m in state.modes if r != event.region_id)
    return Governance(tuple(sorted((*others, (event.region_id, event.mode)))))


def _decide(
    state: Governance, command: SetGovernanceMode, org: OrgTree
) -> tuple[GovernanceModeSet, ...]:
    if command.actor.role != "hq_admin":
        raise NotAllowed("only HQ decides whether a region's OKRs are centralised or distributed")
    unit = org.units.get(command.region_id)
    if unit is None or unit.level != "region":
        raise Invalid(f"region_id: {command.region_id!r} is not a region of the org tree")
    return (
        GovernanceModeSet(
            region_id=command.region_id,
            mode=command.mode,
            previous=state.mode_of_region(command.region_id),
            reason=command.reason,
        ),
    )


GOVERNANCE: Aggregate[Governance, SetGovernanceMode, GovernanceModeSet, OrgTree] = Aggregate(
    events=EventTypes(GovernanceModeSet),
    initial=Governance,
    evolve=_evolve,
    decide=_decide,
    stream_of=lambda _command: GOVERNANCE_STREAM,
)
