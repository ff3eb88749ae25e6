"""Given events / when command / then events (or the refusal) for the KR stream's decider."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from domain.event_chain import Stamped
from domain.kernel import Actor, Conflict, Invalid, NotAllowed, NotFound
from domain.key_result.commands import (
    ApplyTargetAdjustment,
    ApproveTargetAdjustment,
    CancelTargetAdjustment,
    CommentOnKeyResult,
    DefineKeyResult,
    RecordHealthVerdict,
    RedefineTarget,
    RejectTargetAdjustment,
    RequestTargetAdjustment,
)
from domain.key_result.decide import decide
from domain.key_result.events import (
    HealthVerdictRecorded,
    KeyResultCommented,
    KeyResultDefined,
    TargetAdjustmentApplied,
    TargetAdjustmentApproved,
    TargetAdjustmentCancelled,
    TargetAdjustmentRejected,
    TargetAdjustmentRequested,
    TargetRedefined,
)
from domain.key_result.state import fold
from domain.okr_governance import GoalContext
from domain.org_tree import OrgTree, OrgUnit

ORG = OrgTree(
    [
        OrgUnit(id="hq", name="HQ", level="hq"),
        OrgUnit(id="east", name="East", level="region", parent_id="hq"),
        OrgUnit(id="sh", name="Shanghai", level="city", parent_id="east"),
        OrgUnit(id="hz", name="Hangzhou", level="city", parent_id="east"),
        OrgUnit(id="rep-1", name="Rep 1", level="rep", parent_id="sh"),
    ]
)
REP = Actor(person_id="p-rep", role="rep", unit_id="rep-1")
OTHER_REP = Actor(person_id="p-rep-2", role="rep", unit_id="rep-1")
CITY_MANAGER = Actor(person_id="p-sh", role="manager", unit_id="sh")
OTHER_CITY_MANAGER = Actor(person_id="p-hz", role="manager", unit_id="hz")
REGION_MANAGER = Actor(person_id="p-east", role="manager", unit_id="east")
HQ = Actor(person_id="p-hq", role="hq_admin", unit_id="hq")
AUDITOR = Actor(person_id="p-audit", role="auditor", unit_id="hq")
AT = datetime(2026, 11, 27, 9, tzinfo=UTC)
CONTEXT = GoalContext(ORG)  # every region distributed (the default)

DEFINED = KeyResultDefined(
    title="Premium share 35%",
    owner_person_id="p-rep",
    owner_unit_id="rep-1",
    kind="increase",
    unit="%",
    start=Decimal(28),
    target=Decimal(35),
)
REQUESTED = TargetAdjustmentRequested(
    request_id="adj-1",
    current_target=Decimal(35),
    proposed_target=Decimal(32),
    reason="new competitor",
    evidence=("pos-report-w47",),
)
APPROVED = TargetAdjustmentApproved(request_id="adj-1", note="ok")


def given(*events_and_actors):
    return fold(Stamped(e, a.person_id, AT) for e, a in events_and_actors)


def cmd(cls, actor=REP, **fields):
    return cls(command_id=uuid.uuid4(), kr_id="kr-1", actor=actor, at=AT, **fields)


def define(actor=HQ, **overrides):
    fields = dict(
        title="Premium share 35%",
        owner_person_id="p-rep",
        owner_unit_id="rep-1",
        kind="increase",
        unit="%",
        start=Decimal(28),
        target=Decimal(35),
    )
    return cmd(DefineKeyResult, actor, **{**fields, **overrides})


# ---- then events ----------------------------------------------------------------------------


def test_define():
    assert decide(given(), define(), CONTEXT) == (DEFINED,)


def test_request():
    when = cmd(
        RequestTargetAdjustment,
        REP,
        request_id="adj-1",
        proposed_target=Decimal(32),
        reason="new competitor",
        evidence=("pos-report-w47",),
    )
    assert decide(given((DEFINED, HQ)), when, CONTEXT) == (REQUESTED,)


@pytest.mark.parametrize("approver", [CITY_MANAGER, REGION_MANAGER, HQ])
def test_approve_by_a_manager_above_the_owner_or_hq(approver):
    when = cmd(ApproveTargetAdjustment, approver, request_id="adj-1", note="ok")
    assert decide(given((DEFINED, HQ), (REQUESTED, REP)), when, CONTEXT) == (APPROVED,)


def test_reject():
    when = cmd(RejectTargetAdjustment, CITY_MANAGER, request_id="adj-1", reason="hold the line")
    assert decide(given((DEFINED, HQ), (REQUESTED, REP)), when, CONTEXT) == (
        TargetAdjustmentRejected(request_id="adj-1", reason="hold the line"),
    )


def test_apply_after_approval_changes_the_target():
    state = given((DEFINED, HQ), (REQUESTED, REP), (APPROVED, CITY_MANAGER))
    events = decide(state, cmd(ApplyTargetAdjustment, CITY_MANAGER, request_id="adj-1"), CONTEXT)
    assert events == (
        TargetAdjustmentApplied(
            request_id="adj-1", previous_target=Decimal(35), new_target=Decimal(32)
        ),
    )
    after = given((DEFINED, HQ), (REQUESTED, REP), (APPROVED, CITY_MANAGER), (events[0], HQ))
    assert (after.target, after.pending) == (Decimal(32), None)


def test_cancel_by_the_requester():
    when = cmd(CancelTargetAdjustment, REP, request_id="adj-1")
    assert decide(given((DEFINED, HQ), (REQUESTED, REP)), when, CONTEXT) == (
        TargetAdjustmentCancelled(request_id="adj-1"),
    )


# ---- refusals -------------------------------------------------------------------------------

REFUSALS = [
    ("define twice", [(DEFINED, HQ)], define(), Conflict, "already exists"),
    ("define by a rep", [], define(actor=REP), NotAllowed, "role 'rep' may not define"),
    ("define for an unknown unit", [], define(owner_unit_id="mars"), Invalid, "unknown org unit"),
    ("define with start = target", [], define(target=Decimal(28)), Invalid, "must differ"),
    (
        "request on a missing KR",
        [],
        cmd(RequestTargetAdjustment, request_id="a", proposed_target=Decimal(1), reason="why not"),
        NotFound,
        "does not exist",
    ),
    (
        "request while one is open",
        [(DEFINED, HQ), (REQUESTED, REP)],
        cmd(
            RequestTargetAdjustment, request_id="adj-2", proposed_target=Decimal(30), reason="again"
        ),
        Conflict,
        "still open",
    ),
    (
        "request the same target",
        [(DEFINED, HQ)],
        cmd(RequestTargetAdjustment, request_id="a", proposed_target=Decimal(35), reason="same"),
        Invalid,
        "equals the current target",
    ),
    (
        "request by an auditor",
        [(DEFINED, HQ)],
        cmd(
            RequestTargetAdjustment,
            AUDITOR,
            request_id="a",
            proposed_target=Decimal(30),
            reason="audit",
        ),
        NotAllowed,
        "auditors",
    ),
    (
        "reuse a closed request id",
        [(DEFINED, HQ), (REQUESTED, REP), (TargetAdjustmentCancelled(request_id="adj-1"), REP)],
        cmd(
            RequestTargetAdjustment, request_id="adj-1", proposed_target=Decimal(30), reason="again"
        ),
        Conflict,
        "used before",
    ),
    (
        "a rep approves their own request",
        [(DEFINED, HQ), (REQUESTED, REP)],
        cmd(ApproveTargetAdjustment, REP, request_id="adj-1"),
        NotAllowed,
        "their own",
    ),
    (
        "the owner approves a request on their KR",
        [(DEFINED, HQ), (REQUESTED, CITY_MANAGER)],
        cmd(ApproveTargetAdjustment, REP, request_id="adj-1"),
        NotAllowed,
        "owner may not",
    ),
    (
        "another rep approves",
        [(DEFINED, HQ), (REQUESTED, REP)],
        cmd(ApproveTargetAdjustment, OTHER_REP, request_id="adj-1"),
        NotAllowed,
        "role .rep. may not",
    ),
    (
        "a manager of another city approves",
        [(DEFINED, HQ), (REQUESTED, REP)],
        cmd(ApproveTargetAdjustment, OTHER_CITY_MANAGER, request_id="adj-1"),
        NotAllowed,
        "above the KR's owner",
    ),
    (
        "an auditor rejects",
        [(DEFINED, HQ), (REQUESTED, REP)],
        cmd(RejectTargetAdjustment, AUDITOR, request_id="adj-1", reason="nope"),
        NotAllowed,
        "role 'auditor' may not",
    ),
    (
        "approve an unknown request",
        [(DEFINED, HQ), (REQUESTED, REP)],
        cmd(ApproveTargetAdjustment, HQ, request_id="adj-9"),
        NotFound,
        "no open adjustment",
    ),
    (
        "approve twice",
        [(DEFINED, HQ), (REQUESTED, REP), (APPROVED, HQ)],
        cmd(ApproveTargetAdjustment, HQ, request_id="adj-1"),
        Conflict,
        "already approved",
    ),
    (
        "reject after approval",
        [(DEFINED, HQ), (REQUESTED, REP), (APPROVED, HQ)],
        cmd(RejectTargetAdjustment, HQ, request_id="adj-1", reason="changed mind"),
        Conflict,
        "already approved",
    ),
    (
        "decide on a closed request",
        [
            (DEFINED, HQ),
            (REQUESTED, REP),
            (TargetAdjustmentRejected(request_id="adj-1", reason="no"), HQ),
        ],
        cmd(ApproveTargetAdjustment, HQ, request_id="adj-1"),
        Conflict,
        "already closed",
    ),
    (
        "apply before approval",
        [(DEFINED, HQ), (REQUESTED, REP)],
        cmd(ApplyTargetAdjustment, HQ, request_id="adj-1"),
        Conflict,
        "not approved yet",
    ),
    (
        "cancel someone else's request",
        [(DEFINED, HQ), (REQUESTED, REP)],
        cmd(CancelTargetAdjustment, CITY_MANAGER, request_id="adj-1"),
        NotAllowed,
        "only the requester",
    ),
    (
        "cancel after approval",
        [(DEFINED, HQ), (REQUESTED, REP), (APPROVED, HQ)],
        cmd(CancelTargetAdjustment, REP, request_id="adj-1"),
        Conflict,
        "can't be withdrawn",
    ),
]


@pytest.mark.parametrize(
    ("history", "when", "error", "message"), [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS]
)
def test_refusals(history, when, error, message):
    with pytest.raises(error, match=message):
        decide(given(*history), when, CONTEXT)


# ---- check-ins and escalations --------------------------------------------------------------

from domain.key_result.commands import EscalateBlocker, RecordCheckIn  # noqa: E402
from domain.key_result.events import BlockerEscalated, CheckInRecorded  # noqa: E402

BLOCKED = CheckInRecorded(
    summary="2 stores closed", progress_value=Decimal(30), blocker="distributor out of stock"
)


@pytest.mark.parametrize(
    ("blocker", "recorded"), [("none", None), ("无", None), (" out of stock ", "out of stock")]
)
def test_check_in_by_the_owner(blocker, recorded):
    when = cmd(
        RecordCheckIn, REP, summary="2 stores closed", progress_value=Decimal(30), blocker=blocker
    )
    assert decide(given((DEFINED, HQ)), when, CONTEXT) == (
        CheckInRecorded(summary="2 stores closed", progress_value=Decimal(30), blocker=recorded),
    )


def test_escalate_the_open_blocker_to_another_level():
    when = cmd(EscalateBlocker, REP, to_unit_id="east", note="need stock from Hangzhou")
    assert decide(given((DEFINED, HQ), (BLOCKED, REP)), when, CONTEXT) == (
        BlockerEscalated(
            blocker="distributor out of stock",
            to_unit_id="east",
            to_person_id=None,
            note="need stock from Hangzhou",
        ),
    )


CHECK_IN_REFUSALS = [
    (
        "a check-in from another rep",
        [(DEFINED, HQ)],
        cmd(RecordCheckIn, OTHER_REP, summary="s", progress_value=Decimal(1), blocker="none"),
        NotAllowed,
        "only the KR's owner",
    ),
    (
        "escalate without a blocker",
        [(DEFINED, HQ)],
        cmd(EscalateBlocker, REP, to_unit_id="east"),
        Conflict,
        "no open blocker",
    ),
    (
        "escalate twice",
        [
            (DEFINED, HQ),
            (BLOCKED, REP),
            (BlockerEscalated(blocker="x", to_unit_id="east", to_person_id=None, note=""), REP),
        ],
        cmd(EscalateBlocker, REP, to_unit_id="hq"),
        Conflict,
        "already escalated",
    ),
    (
        "escalate to nobody",
        [(DEFINED, HQ), (BLOCKED, REP)],
        cmd(EscalateBlocker, REP),
        Invalid,
        "exactly one",
    ),
    (
        "escalate to an unknown unit",
        [(DEFINED, HQ), (BLOCKED, REP)],
        cmd(EscalateBlocker, REP, to_unit_id="mars"),
        Invalid,
        "unknown org unit",
    ),
]


@pytest.mark.parametrize(
    ("history", "when", "error", "message"),
    [r[1:] for r in CHECK_IN_REFUSALS],
    ids=[r[0] for r in CHECK_IN_REFUSALS],
)
def test_check_in_refusals(history, when, error, message):
    with pytest.raises(error, match=message):
        decide(given(*history), when, CONTEXT)


def test_a_new_blocker_can_be_escalated_again():
    escalated = BlockerEscalated(
        blocker="distributor out of stock", to_unit_id="east", to_person_id=None, note=""
    )
    new_blocker = CheckInRecorded(summary="s", progress_value=Decimal(40), blocker="price war")
    state = given((DEFINED, HQ), (BLOCKED, REP), (escalated, REP), (new_blocker, REP))
    assert (state.open_blocker, state.blocker_escalated) == ("price war", False)


def test_response_times_are_derived_from_the_stream_alone():
    from datetime import timedelta

    from domain.event_chain import RecordedEvent
    from domain.key_result.state import target_changes

    def at(hours, event, version):
        return RecordedEvent(
            event_id=uuid.uuid4(),
            stream_id="kr-1",
            version=version,
            type=event.type,
            schema_version=1,
            payload=event.model_dump(mode="json", exclude={"type", "schema_version"}),
            actor="x",
            occurred_at=AT + timedelta(hours=hours),
            recorded_at=AT,
            correlation_id=uuid.uuid4(),
        )

    applied = TargetAdjustmentApplied(
        request_id="adj-1", previous_target=Decimal(35), new_target=Decimal(32)
    )
    second = REQUESTED.model_copy(update={"request_id": "adj-2"})
    history = [
        at(0, DEFINED, 1),
        at(1, REQUESTED, 2),
        at(32, APPROVED, 3),
        at(33, applied, 4),
        at(40, second, 5),
    ]
    first, pending = target_changes("kr-1", history)
    assert (first.decision, first.to_decision, first.to_applied) == (
        "approved",
        timedelta(hours=31),
        timedelta(hours=32),
    )
    assert (first.current_target, first.proposed_target, first.new_target) == (
        REQUESTED.current_target,
        REQUESTED.proposed_target,
        Decimal(32),
    )
    assert (first.requested_by, first.decided_by, first.reason) == ("x", "x", REQUESTED.reason)
    assert (pending.request_id, pending.decision, pending.to_decision) == ("adj-2", None, None)


# ---- writes stay inside the writer's part of the org tree ----------------------------------


def test_only_the_owner_their_managers_or_hq_request_a_new_target():
    asking = dict(request_id="adj-9", proposed_target=Decimal(30), reason="new rival", evidence=())
    for outsider in (OTHER_CITY_MANAGER, AUDITOR):
        with pytest.raises(NotAllowed):
            decide(given((DEFINED, HQ)), cmd(RequestTargetAdjustment, outsider, **asking), CONTEXT)
    for insider in (REP, CITY_MANAGER, REGION_MANAGER, HQ):
        (event,) = decide(
            given((DEFINED, HQ)), cmd(RequestTargetAdjustment, insider, **asking), CONTEXT
        )
        assert isinstance(event, TargetAdjustmentRequested)


def test_only_the_owner_their_managers_or_hq_apply_an_approved_target():
    history = given((DEFINED, HQ), (REQUESTED, REP), (APPROVED, CITY_MANAGER))
    with pytest.raises(NotAllowed):
        decide(history, cmd(ApplyTargetAdjustment, OTHER_CITY_MANAGER, request_id="adj-1"), CONTEXT)
    (event,) = decide(
        history, cmd(ApplyTargetAdjustment, CITY_MANAGER, request_id="adj-1"), CONTEXT
    )
    assert isinstance(event, TargetAdjustmentApplied)


def test_a_manager_defines_key_results_only_inside_their_subtree():
    with pytest.raises(NotAllowed, match="units they manage"):
        decide(given(), define(OTHER_CITY_MANAGER), CONTEXT)
    assert decide(given(), define(CITY_MANAGER), CONTEXT) == (DEFINED,)


def test_a_calibration_verdict_is_recorded_by_the_owners_managers_or_hq():
    verdict = dict(health="red", note="needs the distributor", meeting_id="m-1")
    for chair in (CITY_MANAGER, REGION_MANAGER, HQ):
        assert decide(
            given((DEFINED, HQ)), cmd(RecordHealthVerdict, chair, **verdict), CONTEXT
        ) == (HealthVerdictRecorded(**verdict),)
    for outsider in (OTHER_CITY_MANAGER, OTHER_REP, AUDITOR):
        with pytest.raises(NotAllowed, match="judge its health"):
            decide(given((DEFINED, HQ)), cmd(RecordHealthVerdict, outsider, **verdict), CONTEXT)
    with pytest.raises(NotFound):
        decide(given(), cmd(RecordHealthVerdict, HQ, **verdict), CONTEXT)


def test_hq_and_managers_above_the_owner_comment_on_a_kr():
    said = dict(comment="tie it to the tasting campaign")
    for commenter in (HQ, CITY_MANAGER, REGION_MANAGER):
        events = decide(given((DEFINED, HQ)), cmd(CommentOnKeyResult, commenter, **said), CONTEXT)
        assert events == (KeyResultCommented(**said),)
    for outsider in (REP, OTHER_CITY_MANAGER, AUDITOR):
        with pytest.raises(NotAllowed):
            decide(given((DEFINED, HQ)), cmd(CommentOnKeyResult, outsider, **said), CONTEXT)


def test_hq_redefines_a_target_outright_with_its_reason_and_it_answers_no_request():
    state = given((DEFINED, HQ))
    (event,) = decide(
        state, cmd(RedefineTarget, HQ, new_target=Decimal(40), reason="new plan"), CONTEXT
    )
    assert event == TargetRedefined(
        previous_target=Decimal(35), new_target=Decimal(40), reason="new plan"
    )
    after = fold([Stamped(DEFINED, "p-hq", AT), Stamped(event, "p-hq", AT)])
    assert after.target == Decimal(40) and after.pending is None
    (change,) = after.requests
    assert (change.kind, change.decision, change.request_id) == ("redefinition", "redefined", "")
    assert (change.current_target, change.new_target, change.reason) == (35, 40, "new plan")
    assert change.requested_at == change.decided_at == change.applied_at == AT


@pytest.mark.parametrize(
    ("actor", "target", "error", "says"),
    [
        (CITY_MANAGER, Decimal(40), NotAllowed, "only HQ"),
        (REP, Decimal(40), NotAllowed, "only HQ"),
        (HQ, Decimal(35), Invalid, "equals the current target"),
        (HQ, Decimal(28), Invalid, "must differ from start"),
    ],
)
def test_a_redefinition_is_hqs_and_changes_the_target(actor, target, error, says):
    state = given((DEFINED, HQ))
    with pytest.raises(error, match=says):
        decide(state, cmd(RedefineTarget, actor, new_target=target, reason="new plan"), CONTEXT)
