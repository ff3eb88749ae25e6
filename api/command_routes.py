"""Every command the API takes, as one table: method, path, domain command (its HTTP body is
derived from it), the handler's entry point, the status, the answer. One shared endpoint shape
(`api.commands.command_route`) serves them all: the body, the path's ids and the caller make
the command; the caller's role and scope are the decider's to judge."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.commands import Pick, Respond, appended, command_route, versions
from api.deps import WriterClient
from domain.calibration import RecordCalibrationOutcomes, ScheduleCalibration
from domain.calibration_cadence import SetCalibrationCadence
from domain.certifications import GrantCertification, NominateForCertification
from domain.cycles import DefineCycle, SetNorthStar
from domain.escalations import AcknowledgeEscalation, ResolveEscalation
from domain.key_result.commands import (
    ApplyTargetAdjustment,
    ApproveTargetAdjustment,
    CancelTargetAdjustment,
    CommentOnKeyResult,
    DefineKeyResult,
    EscalateBlocker,
    RecordCheckIn,
    RejectTargetAdjustment,
    RequestTargetAdjustment,
)
from domain.objectives import (
    AlignObjective,
    CloseObjective,
    DefineObjective,
    SetFocusPolicy,
    SetKeyResultWeights,
)
from domain.okr_governance import SetGovernanceMode
from domain.okr_proposals import ApproveProposal, ProposeKeyResult, ProposeObjective, RejectProposal
from domain.practices import AdoptPractice, PublishPractice
from domain.quality_hints import key_result_hints

router = APIRouter()


def with_title_hints(command: DefineKeyResult, result: Any) -> dict[str, Any]:
    """The new KR's versions, and quality hints on its title."""
    return {**appended(result), "hints": [h.model_dump() for h in key_result_hints(command.title)]}


def with_focus_hints(_command: Any, outcome: Any) -> dict[str, Any]:
    """The portfolio's versions, and hints such as a fourth active objective under 'warn'."""
    result, hints = outcome
    return {**appended(result), "hints": [h.model_dump() for h in hints]}


KR: Pick = lambda h: h.key_results.handle  # noqa: E731
PORTFOLIO: Pick = lambda h: h.objectives.handle  # noqa: E731
MEETING: Pick = lambda h: h.calibration.handle  # noqa: E731
PRACTICE: Pick = lambda h: h.practices.handle  # noqa: E731
ESCALATION: Pick = lambda h: h.escalations.handle  # noqa: E731
PROPOSAL: Pick = lambda h: h.proposals.handle  # noqa: E731
ADJUSTMENT = "/v1/okr/key-results/{kr_id}/adjustments/{request_id}"
OBJECTIVE = "/v1/okr/objectives/{objective_id}"
CERTIFICATION = "/v1/okr/certifications/{person_id}/{cycle_id}"

COMMAND_ROUTES: tuple[tuple[str, str, type, str, Pick, int, Respond, str], ...] = (
    # method, path, command, name, handler, status, answer, OpenAPI tag
    ("POST", "/v1/okr/key-results", DefineKeyResult, "define_key_result", KR, 201,
     with_title_hints, "okr"),
    ("POST", "/v1/okr/key-results/{kr_id}/adjustments", RequestTargetAdjustment,
     "request_adjustment", KR, 201, versions, "okr"),
    ("POST", f"{ADJUSTMENT}/approve", ApproveTargetAdjustment, "approve_adjustment", KR, 200,
     versions, "okr"),
    ("POST", f"{ADJUSTMENT}/reject", RejectTargetAdjustment, "reject_adjustment", KR, 200,
     versions, "okr"),
    ("POST", f"{ADJUSTMENT}/apply", ApplyTargetAdjustment, "apply_adjustment", KR, 200,
     versions, "okr"),
    ("POST", f"{ADJUSTMENT}/cancel", CancelTargetAdjustment, "cancel_adjustment", KR, 200,
     versions, "okr"),
    ("POST", "/v1/okr/key-results/{kr_id}/check-ins", RecordCheckIn, "check_in", KR, 201,
     versions, "okr"),
    ("POST", "/v1/okr/key-results/{kr_id}/comments", CommentOnKeyResult, "comment_on_kr", KR,
     201, versions, "okr"),
    ("POST", "/v1/okr/key-results/{kr_id}/blocker/escalate", EscalateBlocker,
     "escalate_blocker", KR, 201, versions, "okr"),
    # At most three active objectives per owner per cycle (or a hint, under HQ's 'warn').
    ("POST", "/v1/okr/objectives", DefineObjective, "define_objective", PORTFOLIO, 201,
     with_focus_hints, "objectives"),
    ("POST", f"{OBJECTIVE}/align", AlignObjective, "align_objective", PORTFOLIO, 200,
     with_focus_hints, "objectives"),
    ("PUT", f"{OBJECTIVE}/kr-weights", SetKeyResultWeights, "set_kr_weights", PORTFOLIO, 200,
     with_focus_hints, "objectives"),
    ("POST", f"{OBJECTIVE}/close", CloseObjective, "close_objective", PORTFOLIO, 200,
     with_focus_hints, "objectives"),
    ("PUT", "/v1/okr/policy/focus", SetFocusPolicy, "set_focus_policy",
     lambda h: h.objectives.set_focus_policy, 200, versions, "objectives"),
    ("POST", "/v1/okr/cycles", DefineCycle, "define_cycle", lambda h: h.hq.define_cycle, 201,
     versions, "cycles"),
    ("PUT", "/v1/okr/north-star", SetNorthStar, "set_north_star",
     lambda h: h.hq.set_north_star, 200, versions, "cycles"),
    ("POST", "/v1/okr/calibration/meetings", ScheduleCalibration, "schedule", MEETING, 201,
     versions, "calibration"),
    ("POST", "/v1/okr/calibration/meetings/{meeting_id}/outcomes", RecordCalibrationOutcomes,
     "outcomes", MEETING, 201, versions, "calibration"),
    ("PUT", "/v1/okr/calibration/cadences/{unit_id}", SetCalibrationCadence, "set_cadence",
     lambda h: h.calibration.set_cadence, 200, versions, "calibration"),
    ("POST", "/v1/okr/practices", PublishPractice, "publish", PRACTICE, 201, versions,
     "practices"),
    ("POST", "/v1/okr/practices/{practice_id}/adopt", AdoptPractice, "adopt", PRACTICE, 201,
     versions, "practices"),
    ("POST", "/v1/okr/escalations/{escalation_id}/acknowledge", AcknowledgeEscalation,
     "acknowledge_escalation", ESCALATION, 200, versions, "escalations"),
    ("POST", "/v1/okr/escalations/{escalation_id}/resolve", ResolveEscalation,
     "resolve_escalation", ESCALATION, 200, versions, "escalations"),
    # Who sets a region's OKRs: centralised (HRBP proposes, HQ approves) or distributed.
    ("PUT", "/v1/okr/policy/governance/{region_id}", SetGovernanceMode, "set_governance",
     lambda h: h.governance.handle, 200, versions, "governance"),
    ("POST", "/v1/okr/proposals/key-results", ProposeKeyResult, "propose_key_result", PROPOSAL,
     201, versions, "governance"),
    ("POST", "/v1/okr/proposals/objectives", ProposeObjective, "propose_objective", PROPOSAL,
     201, versions, "governance"),
    ("POST", "/v1/okr/proposals/{proposal_id}/approve", ApproveProposal, "approve_proposal",
     PROPOSAL, 200, versions, "governance"),
    ("POST", "/v1/okr/proposals/{proposal_id}/reject", RejectProposal, "reject_proposal",
     PROPOSAL, 200, versions, "governance"),
    # Certification: suggested by the evaluation, nominated by a manager, granted by HQ.
    ("POST", f"{CERTIFICATION}/nominate", NominateForCertification, "nominate_for_certification",
     lambda h: h.certifications.handle, 201, versions, "certification"),
    ("POST", f"{CERTIFICATION}/grant", GrantCertification, "grant_certification",
     lambda h: h.certifications.handle, 201, versions, "certification"),
)  # fmt: skip

for method, path, command, name, pick, status, respond, tag in COMMAND_ROUTES:
    command_route(
        router, method, path, command, name=name, handler=pick, client=WriterClient,
        status_code=status, respond=respond, tag=tag,
    )  # fmt: skip
