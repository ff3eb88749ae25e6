"""The key-result decider: decide(state, command, org) -> events, pure. Who may decide on an
adjustment is a rule here, not in the API."""

from __future__ import annotations

from domain.aggregate import Aggregate
from domain.kernel import Actor, Conflict, Invalid, NotAllowed, NotFound
from domain.key_result.commands import (
    ApplyTargetAdjustment,
    ApproveTargetAdjustment,
    CancelTargetAdjustment,
    CommentOnKeyResult,
    DefineKeyResult,
    EscalateBlocker,
    KrCommand,
    RecordCheckIn,
    RecordHealthVerdict,
    RedefineTarget,
    RejectTargetAdjustment,
    RequestTargetAdjustment,
)
from domain.key_result.events import (
    KR_EVENTS,
    BlockerEscalated,
    CheckInRecorded,
    HealthVerdictRecorded,
    KeyResultCommented,
    KeyResultDefined,
    KrEvent,
    TargetAdjustmentApplied,
    TargetAdjustmentApproved,
    TargetAdjustmentCancelled,
    TargetAdjustmentRejected,
    TargetAdjustmentRequested,
    TargetRedefined,
    kr_stream,
)
from domain.key_result.state import KeyResultState, PendingAdjustment, evolve
from domain.okr_governance import GoalContext, definition_refusal
from domain.org_tree import OrgTree


def may_decide(actor: Actor, state: KeyResultState, org: OrgTree) -> str | None:
    """None if `actor` may approve/reject adjustments of this KR, else the reason why not."""
    requested_by = state.pending.requested_by if state.pending else None
    return decision_refusal(actor, state.owner_person_id, state.owner_unit_id, requested_by, org)


def decision_refusal(
    actor: Actor,
    owner_person_id: str,
    owner_unit_id: str,
    requested_by: str | None,
    org: OrgTree,
) -> str | None:
    """None if `actor` may decide on an adjustment request (by `requested_by`) of a KR owned by
    (`owner_person_id`, `owner_unit_id`); else why not. The board's inbox uses the same rule."""
    if requested_by is not None and actor.person_id == requested_by:
        return "nobody may decide on their own adjustment request"
    if actor.person_id == owner_person_id:
        return "the KR's owner may not decide on adjustments of their own KR"
    if actor.role == "hq_admin":
        return None
    if actor.role != "manager":
        return f"role {actor.role!r} may not decide on target adjustments"
    if owner_unit_id not in org.units:
        return f"unknown org unit {owner_unit_id!r}"
    above_owner = org.ancestors_and_self(owner_unit_id)[1:]
    if actor.unit_id not in above_owner:
        return "only a manager above the KR's owner (or HQ) may decide"
    return None


def decide(state: KeyResultState, command: KrCommand, context: GoalContext) -> tuple[KrEvent, ...]:
    """The events a command produces, or a DomainError saying why it is refused."""
    org = context.org
    if isinstance(command, DefineKeyResult):
        return _define(state, command, context)
    if not state.defined:
        raise NotFound(f"key result {command.kr_id!r} does not exist")
    match command:
        case RequestTargetAdjustment():
            return _request(state, command, org)
        case RecordCheckIn():
            return _check_in(state, command, org)
        case EscalateBlocker():
            return _escalate(state, command, org)
        case CommentOnKeyResult():
            above_owner = org.ancestors_and_self(state.owner_unit_id)[1:]
            manages = command.actor.role == "manager" and command.actor.unit_id in above_owner
            if command.actor.role != "hq_admin" and not manages:
                raise NotAllowed("HQ, or a manager above the KR's owner, may comment on it")
            return (KeyResultCommented(comment=command.comment),)
        case RecordHealthVerdict():
            if not _may_report(command.actor, state, org):
                raise NotAllowed("only the KR's owner, their managers or HQ may judge its health")
            return (
                HealthVerdictRecorded(
                    health=command.health, note=command.note, meeting_id=command.meeting_id
                ),
            )
        case ApproveTargetAdjustment() | RejectTargetAdjustment():
            pending = _open_request(state, command)
            if pending.approved:
                raise Conflict(f"adjustment request {pending.request_id!r} was already approved")
            refusal = may_decide(command.actor, state, org)
            if refusal:
                raise NotAllowed(refusal)
            if isinstance(command, ApproveTargetAdjustment):
                return (TargetAdjustmentApproved(request_id=pending.request_id, note=command.note),)
            return (TargetAdjustmentRejected(request_id=pending.request_id, reason=command.reason),)
        case ApplyTargetAdjustment():
            pending = _open_request(state, command)
            if not _may_report(command.actor, state, org):
                raise NotAllowed("only the KR's owner, their managers or HQ may apply a new target")
            if not pending.approved:
                raise Conflict(f"adjustment request {pending.request_id!r} is not approved yet")
            return (
                TargetAdjustmentApplied(
                    request_id=pending.request_id,
                    previous_target=state.target,
                    new_target=pending.proposed_target,
                ),
            )
        case RedefineTarget():
            return _redefine(state, command)
        case CancelTargetAdjustment():
            pending = _open_request(state, command)
            if command.actor.person_id != pending.requested_by:
                raise NotAllowed("only the requester may cancel an adjustment request")
            if pending.approved:
                raise Conflict(
                    f"adjustment request {pending.request_id!r} was approved; it can't be withdrawn"
                )
            return (TargetAdjustmentCancelled(request_id=pending.request_id),)
    raise Invalid(f"unknown command {type(command).__name__}")


def _open_request(
    state: KeyResultState,
    command: ApproveTargetAdjustment
    | RejectTargetAdjustment
    | ApplyTargetAdjustment
    | CancelTargetAdjustment,
) -> PendingAdjustment:
    """The open request the command names, or why there is none."""
    pending = state.pending
    if pending is None or pending.request_id != command.request_id:
        if command.request_id in state.closed_requests:
            raise Conflict(f"adjustment request {command.request_id!r} is already closed")
        raise NotFound(f"no open adjustment request {command.request_id!r} on {command.kr_id!r}")
    return pending


def _define(
    state: KeyResultState, command: DefineKeyResult, context: GoalContext
) -> tuple[KrEvent, ...]:
    org = context.org
    if state.defined:
        raise Conflict(f"key result {command.kr_id!r} already exists")
    if command.owner_unit_id not in org.units:
        raise Invalid(f"owner_unit_id: unknown org unit {command.owner_unit_id!r}")
    refusal = definition_refusal(command.actor, command.owner_unit_id, org, context.governance)
    if refusal:
        raise NotAllowed(refusal)
    if command.actor.role not in ("hq_admin", "manager"):
        raise NotAllowed(f"role {command.actor.role!r} may not define key results")
    if command.actor.role == "manager" and command.actor.unit_id not in org.ancestors_and_self(
        command.owner_unit_id
    ):
        raise NotAllowed("a manager defines key results for the units they manage")
    if command.kind in ("increase", "decrease") and command.start == command.target:
        raise Invalid("target: must differ from start for an increase/decrease KR")
    return (
        KeyResultDefined(
            title=command.title,
            owner_person_id=command.owner_person_id,
            owner_unit_id=command.owner_unit_id,
            kind=command.kind,
            unit=command.unit,
            start=command.start,
            target=command.target,
            binding=command.binding,
        ),
    )


def _redefine(state: KeyResultState, command: RedefineTarget) -> tuple[KrEvent, ...]:
    if command.actor.role != "hq_admin":
        raise NotAllowed("only HQ redefines a target outright; request an adjustment instead")
    if command.new_target == state.target:
        raise Invalid("new_target: equals the current target")
    if state.kind in ("increase", "decrease") and command.new_target == state.start:
        raise Invalid("new_target: must differ from start for an increase/decrease KR")
    return (
        TargetRedefined(
            previous_target=state.target, new_target=command.new_target, reason=command.reason
        ),
    )


def _request(
    state: KeyResultState, command: RequestTargetAdjustment, org: OrgTree
) -> tuple[KrEvent, ...]:
    if command.actor.role == "auditor":
        raise NotAllowed("auditors read; they do not request changes")
    if not _may_report(command.actor, state, org):
        raise NotAllowed("only the KR's owner, their managers or HQ may request a new target")
    if state.pending is not None:
        raise Conflict(f"adjustment request {state.pending.request_id!r} is still open")
    if command.request_id in state.closed_requests:
        raise Conflict(f"request id {command.request_id!r} was used before")
    if command.proposed_target == state.target:
        raise Invalid("proposed_target: equals the current target")
    return (
        TargetAdjustmentRequested(
            request_id=command.request_id,
            current_target=state.target,
            proposed_target=command.proposed_target,
            reason=command.reason,
            evidence=command.evidence,
        ),
    )


def _may_report(actor: Actor, state: KeyResultState, org: OrgTree) -> bool:
    """The owner, a manager above the owner, or HQ may check in on a KR."""
    if actor.person_id == state.owner_person_id or actor.role == "hq_admin":
        return True
    above_owner = org.ancestors_and_self(state.owner_unit_id)[1:]
    return actor.role == "manager" and actor.unit_id in above_owner


def _check_in(state: KeyResultState, command: RecordCheckIn, org: OrgTree) -> tuple[KrEvent, ...]:
    if not _may_report(command.actor, state, org):
        raise NotAllowed("only the KR's owner, their managers or HQ may check in")
    blocker = command.blocker.strip()
    no_blocker = blocker.lower() in ("none", "无", "没有")
    return (
        CheckInRecorded(
            summary=command.summary,
            progress_value=command.progress_value,
            blocker=None if no_blocker else blocker,
        ),
    )


def _escalate(state: KeyResultState, command: EscalateBlocker, org: OrgTree) -> tuple[KrEvent, ...]:
    if not _may_report(command.actor, state, org):
        raise NotAllowed("only the KR's owner, their managers or HQ may escalate its blocker")
    if state.open_blocker is None:
        raise Conflict("there is no open blocker to escalate; check in with one first")
    if state.blocker_escalated:
        raise Conflict("this blocker was already escalated")
    if (command.to_unit_id is None) == (command.to_person_id is None):
        raise Invalid("to_unit_id or to_person_id: name exactly one level or person")
    if command.to_unit_id is not None and command.to_unit_id not in org.units:
        raise Invalid(f"to_unit_id: unknown org unit {command.to_unit_id!r}")
    return (
        BlockerEscalated(
            blocker=state.open_blocker,
            to_unit_id=command.to_unit_id,
            to_person_id=command.to_person_id,
            note=command.note,
        ),
    )


KEY_RESULT: Aggregate[KeyResultState, KrCommand, KrEvent, GoalContext] = Aggregate(
    events=KR_EVENTS,
    initial=KeyResultState,
    evolve=evolve,
    decide=decide,
    stream_of=lambda command: kr_stream(command.kr_id),
)
