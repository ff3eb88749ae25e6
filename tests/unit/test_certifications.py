"""The certification workflow's decisions: a manager above the person nominates a suggested
person, HQ grants with known strategic projects, each step once and in order."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from domain.certifications import (
    CertificationContext,
    CertificationGranted,
    CertificationState,
    GrantCertification,
    NominatedForCertification,
    NominateForCertification,
    decide,
    evolve,
)
from domain.event_chain import Stamped
from domain.kernel import Actor, Conflict, Invalid, NotAllowed, NotFound
from domain.org_tree import OrgTree, OrgUnit

AT = datetime(2026, 11, 30, 9, tzinfo=UTC)
ORG = OrgTree(
    [
        OrgUnit(id="hq", name="HQ", level="hq"),
        OrgUnit(id="east", name="East", level="region", parent_id="hq"),
        OrgUnit(id="sh", name="Shanghai", level="city", parent_id="east"),
        OrgUnit(id="hz", name="Hangzhou", level="city", parent_id="east"),
        OrgUnit(id="rep-sh", name="Rep", level="rep", parent_id="sh"),
    ]
)
REP = Actor(person_id="p-rep", role="rep", unit_id="rep-sh")
SH = Actor(person_id="p-sh", role="manager", unit_id="sh")
EAST = Actor(person_id="p-east", role="manager", unit_id="east")
HZ = Actor(person_id="p-hz", role="manager", unit_id="hz")
HQ = Actor(person_id="p-hq", role="hq_admin", unit_id="hq")
SUGGESTED = CertificationContext(ORG, "rep-sh", True, frozenset({"sp-campus"}))


def nominate(actor: Actor) -> NominateForCertification:
    return NominateForCertification(
        command_id=uuid.uuid4(), person_id="p-rep", cycle_id="2026-Q3", actor=actor, at=AT
    )


def grant(*projects: str) -> GrantCertification:
    return GrantCertification(
        command_id=uuid.uuid4(), person_id="p-rep", cycle_id="2026-Q3", actor=HQ, at=AT,
        recommended_projects=projects,
    )  # fmt: skip


def after(state: CertificationState, *events: object) -> CertificationState:
    for event in events:
        state = evolve(state, Stamped(event, "x", AT))  # type: ignore[arg-type]
    return state


def test_a_manager_above_nominates_then_hq_grants():
    for manager in (SH, EAST):
        (nominated,) = decide(CertificationState(), nominate(manager), SUGGESTED)
        assert isinstance(nominated, NominatedForCertification)
    state = after(CertificationState(), nominated)
    (granted,) = decide(state, grant("sp-campus"), SUGGESTED)
    assert isinstance(granted, CertificationGranted)
    assert granted.recommended_projects == ("sp-campus",)
    assert after(state, granted).status == "granted"


def test_who_may_not_and_what_comes_first():
    for actor in (REP, HZ, HQ):
        with pytest.raises(NotAllowed):
            decide(CertificationState(), nominate(actor), SUGGESTED)
    unsuggested = CertificationContext(ORG, "rep-sh", False, frozenset({"sp-campus"}))
    with pytest.raises(Conflict, match="was not suggested"):
        decide(CertificationState(), nominate(SH), unsuggested)
    with pytest.raises(Conflict, match="nominates them first"):
        decide(CertificationState(), grant("sp-campus"), SUGGESTED)
    nominated = after(CertificationState(), *decide(CertificationState(), nominate(SH), SUGGESTED))
    with pytest.raises(Conflict, match="already nominated"):
        decide(nominated, nominate(EAST), SUGGESTED)
    with pytest.raises(Invalid, match="sp-nowhere"):
        decide(nominated, grant("sp-nowhere"), SUGGESTED)
    with pytest.raises(NotAllowed):
        decide(nominated, grant("sp-campus").model_copy(update={"actor": SH}), SUGGESTED)
    granted = after(nominated, *decide(nominated, grant("sp-campus"), SUGGESTED))
    with pytest.raises(Conflict, match="already certified"):
        decide(granted, grant("sp-campus"), SUGGESTED)
    with pytest.raises(NotFound):
        decide(
            CertificationState(), nominate(SH), CertificationContext(ORG, None, True, frozenset())
        )
