"""Alerts for downstream services: the published contract, with deterministic ids."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Literal

from domain.health import Health
from domain.kernel import Message

_ALERT_NAMESPACE = uuid.UUID("3d0f6a2e-7c1b-4f61-9a8e-5b2c4d6e8f10")


def health_alert_id(kr_id: str, transition: int) -> uuid.UUID:
    """The n-th health transition of a KR always has the same id, however often it is sent."""
    return uuid.uuid5(_ALERT_NAMESPACE, f"kr-health:{kr_id}:{transition}")


class KrHealthChanged(Message):
    """A KR's health colour changed (or was first established: `old_health` is null). It turns
    worse as soon as its gap (expected - progress, in points) passes a threshold of its cycle;
    it turns better only once the gap clears the threshold by the cycle's hysteresis (2 points
    by default), so a KR hovering at a threshold is alerted once, not at every crossing."""

    type: Literal["alert.kr.health_changed"] = "alert.kr.health_changed"
    schema_version: Literal[1] = 1
    alert_id: uuid.UUID
    kr_id: str
    owner_unit_id: str
    transition: int
    old_health: Health | None
    new_health: Health
    reasons: tuple[str, ...]
    progress_pct: Decimal
    expected_pct: Decimal
    gap_points: Decimal
    actual: Decimal
    target: Decimal
    occurred_at: datetime


def rule_alert_id(rule: str, *subject: str) -> uuid.UUID:
    """A rule fires once per subject (region and week, request, person and cycles): however
    often it is evaluated, the alert keeps this id."""
    return uuid.uuid5(_ALERT_NAMESPACE, ":".join((rule, *subject)))


class RegionLagging(Message):
    """A region's new-customer first-order conversion stayed below the mean of its peer
    regions for three consecutive ISO weeks (sent on the third week)."""

    type: Literal["alert.region.lagging"] = "alert.region.lagging"
    schema_version: Literal[1] = 1
    alert_id: uuid.UUID
    region_id: str
    iso_weeks: tuple[str, ...]  # the three weeks, oldest first, e.g. "2026-W45"
    conversion_pct: tuple[Decimal, ...]  # the region's conversion in each of those weeks
    peer_mean_pct: tuple[Decimal, ...]  # the mean of the peer regions in each of those weeks
    occurred_at: datetime


class AdjustmentOverdue(Message):
    """A target-adjustment request has waited longer than the agreed response time."""

    type: Literal["alert.adjustment.overdue"] = "alert.adjustment.overdue"
    schema_version: Literal[1] = 1
    alert_id: uuid.UUID
    kr_id: str
    request_id: str
    owner_unit_id: str
    requested_by: str
    requested_at: datetime
    waiting_hours: Decimal
    response_time_hours: Decimal
    occurred_at: datetime


class EscalationOverdue(Message):
    """An escalated blocker has waited past its due time without being resolved."""

    type: Literal["alert.escalation.overdue"] = "alert.escalation.overdue"
    schema_version: Literal[1] = 1
    alert_id: uuid.UUID
    escalation_id: str
    kr_id: str
    to_unit_id: str | None
    to_person_id: str | None
    raised_at: datetime
    due_at: datetime
    acknowledged: bool
    waiting_hours: Decimal
    occurred_at: datetime


class CertificationSuggested(Message):
    """A person's best KR on the certification metric was over 100 % (strictly) in two
    calendar-adjacent cycles."""

    type: Literal["alert.person.certification_suggested"] = "alert.person.certification_suggested"
    schema_version: Literal[1] = 1
    alert_id: uuid.UUID
    person_id: str
    cycle_ids: tuple[str, str]
    kr_ids: tuple[str, str]
    progress_pct: tuple[Decimal, Decimal]
    occurred_at: datetime


class CleanupDue(Message):
    """On a quarter's first day the person held more than three objectives in force, or any of
    a cycle that is over (`domain.focus`): they close, merge or carry them forward until they
    hold three or fewer and none of an ended cycle. Once per person and quarter."""

    type: Literal["alert.person.cleanup_due"] = "alert.person.cleanup_due"
    schema_version: Literal[1] = 1
    alert_id: uuid.UUID
    person_id: str
    cycle_id: str  # the quarter
    in_force_at_start: int
    objective_ids: tuple[str, ...]  # in force when the alert was raised
    to_close: tuple[str, ...]  # of these, the ones of a cycle that is over
    occurred_at: datetime


class StreamParked(Message):
    """A projection stopped applying one event stream at an event it cannot apply; the stream's
    later events wait behind it, in order, until an operator retries (after a repair) or skips
    the event. Every other stream goes on."""

    type: Literal["alert.projection.stream_parked"] = "alert.projection.stream_parked"
    schema_version: Literal[1] = 1
    alert_id: uuid.UUID
    projection: str
    stream_id: str
    version: int
    event_id: uuid.UUID
    event_type: str
    reason: str
    detail: str
    occurred_at: datetime


Alert = (
    KrHealthChanged
    | RegionLagging
    | AdjustmentOverdue
    | EscalationOverdue
    | CertificationSuggested
    | CleanupDue
    | StreamParked
)
