"""What people ask of a key result: define it, adjust its target, check in, escalate."""

from __future__ import annotations

import uuid
from decimal import Decimal

from pydantic import Field

from domain.health import Health
from domain.kernel import Actor, AwareDatetime, Identifier, Message
from domain.key_result.metrics import KrKind, MetricScope


class KrCommand(Message):
    command_id: uuid.UUID
    kr_id: Identifier
    actor: Actor
    at: AwareDatetime


class KeyResultSpec(Message):
    """What defines a KR (directly, or in an HRBP's proposal)."""

    title: str = Field(min_length=1, max_length=300)
    owner_person_id: Identifier
    owner_unit_id: Identifier
    kind: KrKind
    unit: str = Field(min_length=1, max_length=40)
    start: Decimal
    target: Decimal
    binding: MetricScope | None = Field(
        default=None,
        description="binds the KR to a sales metric over the owner's org subtree: its value"
        " updates itself",
    )


class DefineKeyResult(KrCommand, KeyResultSpec):
    """Create a KR owned by a person in an org unit (manual, or bound to a sales metric)."""


class RequestTargetAdjustment(KrCommand):
    """Ask to move a KR's target, with a reason and evidence."""

    request_id: Identifier
    proposed_target: Decimal
    reason: str = Field(min_length=3, max_length=2000)
    evidence: tuple[str, ...] = Field(default=(), max_length=20)


class ApproveTargetAdjustment(KrCommand):
    """The owner's manager or HQ agrees to the requested target."""

    request_id: Identifier
    note: str = Field(default="", max_length=2000)


class RejectTargetAdjustment(KrCommand):
    """The owner's manager or HQ refuses the request, saying why."""

    request_id: Identifier
    reason: str = Field(min_length=3, max_length=2000)


class ApplyTargetAdjustment(KrCommand):
    """Put an approved target into effect."""

    request_id: Identifier


class RedefineTarget(KrCommand):
    """HQ sets a KR's target outright, without a request: a company plan (the catalog file)
    changed. Recorded with its reason; it answers no request, so it waits for nothing."""

    new_target: Decimal
    reason: str = Field(min_length=3, max_length=2000)


class CancelTargetAdjustment(KrCommand):
    """The requester withdraws a request that has not been decided or applied."""

    request_id: Identifier


class CommentOnKeyResult(KrCommand):
    """HQ, or a manager above the KR's owner, comments on it (how HQ follows the KRs a
    distributed region sets for itself)."""

    comment: str = Field(min_length=1, max_length=2000)


class RecordCheckIn(KrCommand):
    """The three-field check-in: what happened, where the number stands, what blocks it."""

    summary: str = Field(min_length=1, max_length=2000)
    progress_value: Decimal
    blocker: str = Field(min_length=1, max_length=2000, description='text, or "none"')


class EscalateBlocker(KrCommand):
    """Ask another level (an org unit or a named person) for help with the open blocker."""

    to_unit_id: Identifier | None = None
    to_person_id: Identifier | None = None
    note: str = Field(default="", max_length=2000)


class RecordHealthVerdict(KrCommand):
    """A calibration meeting's judgement of the KR's health, kept in its health history."""

    health: Health
    note: str = Field(default="", max_length=1000)
    meeting_id: Identifier
