"""Calibration agenda from data, and the meeting's decider."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from domain.calibration import (
    CalibrationContext,
    CalibrationOutcomesRecorded,
    CalibrationScheduled,
    Escalation,
    KrSnapshot,
    MeetingState,
    ObjectiveOwner,
    RecordCalibrationOutcomes,
    ScheduleCalibration,
    Verdict,
    WeightChange,
    calibration_agenda,
    decide,
    follow_on_commands,
)
from domain.escalations import OpenEscalation
from domain.health import expected_progress, kr_health
from domain.kernel import Conflict, Invalid, NotAllowed, NotFound
from domain.key_result.commands import RecordHealthVerdict
from domain.objectives import CalibrateKeyResultWeights
from tests.unit.test_key_result_decider import CITY_MANAGER, HQ, ORG, OTHER_CITY_MANAGER, REP

NOW = datetime(2026, 11, 16, 12, tzinfo=UTC)  # half-way through Q4
Q4 = (date(2026, 10, 1), date(2026, 12, 31))


def kr(kr_id, current, checked_days_ago=1, blocker=None, request_days_ago=None, auto=False):
    """A KR read the way the board reads it (0..100, so progress = the value)."""
    progress = Decimal(0) if current is None else Decimal(current)
    expected = expected_progress(*Q4, NOW.date())
    checked = None if checked_days_ago is None else NOW - timedelta(days=checked_days_ago)
    reading = kr_health(progress, expected, NOW if auto else checked, NOW, blocker)
    return KrSnapshot(
        kr_id=kr_id,
        title=kr_id,
        owner_person_id="p-rep",
        owner_unit_id="rep-1",
        provenance="auto" if auto else "manual" if current is not None else "none",
        progress=progress,
        expected=expected,
        health=reading.health,
        reasons=reading.reasons,
        last_check_in_at=checked,
        open_blocker=blocker,
        open_request_id=None if request_days_ago is None else "adj-1",
        request_waiting_since=None
        if request_days_ago is None
        else NOW - timedelta(days=request_days_ago),
    )


def test_agenda_sections_in_order():
    agenda = calibration_agenda(
        [
            kr("on-track", 60),
            kr("behind", 40),  # expected ~51%: amber
            kr("far-behind", 5),  # red
            kr("blocked", 70, blocker="out of stock"),
            kr("waiting", 60, request_days_ago=3),
            kr("silent", 70, checked_days_ago=20),
            kr("never", None, checked_days_ago=None),
            kr("sales-fed", 60, checked_days_ago=None, auto=True),  # needs no check-in
        ],
        NOW,
    )
    sections = [(i.section, i.kr_id) for i in agenda]
    assert sections[:5] == [
        ("off_track", "never"),
        ("off_track", "far-behind"),
        ("off_track", "behind"),
        ("off_track", "blocked"),
        ("off_track", "silent"),
    ]
    assert ("blockers", "blocked") in sections
    assert ("pending_adjustments", "waiting") in sections
    assert ("no_check_in", "silent") in sections and ("no_check_in", "never") in sections
    assert ("off_track", "on-track") not in sections
    assert not [s for s in sections if s[1] == "sales-fed"]
    assert {i.question for i in agenda if i.section in ("off_track", "no_check_in")} == {
        "is_progress_healthy"
    }
    assert agenda[0].document()["question"] == "is_progress_healthy"
    waiting = next(i for i in agenda if i.section == "pending_adjustments")
    assert "waiting 3.0 days" in waiting.detail
    assert next(i for i in agenda if i.kr_id == "far-behind").health == "red"


def cmd(cls, actor, **fields):
    return cls(command_id=uuid.uuid4(), meeting_id="cal-1", actor=actor, at=NOW, **fields)


CYCLES = frozenset({"2026-Q4"})
CONTEXT = CalibrationContext(ORG, CYCLES)
SCHEDULE = dict(unit_id="sh", cycle_id="2026-Q4", starts_at=NOW + timedelta(days=1))


def test_schedule_and_record_outcomes():
    (scheduled,) = decide(
        MeetingState(), cmd(ScheduleCalibration, CITY_MANAGER, **SCHEDULE), CONTEXT
    )
    assert scheduled == CalibrationScheduled(
        unit_id="sh", cycle_id="2026-Q4", starts_at=NOW + timedelta(days=1), duration_minutes=45
    )
    outcome = cmd(
        RecordCalibrationOutcomes,
        HQ,
        verdicts=(Verdict(kr_id="kr-1", health="red", note="needs support"),),
        weight_changes=(
            WeightChange(objective_id="o-1", weights={"kr-1": Decimal(70), "kr-2": Decimal(30)}),
        ),
        decisions=("east region lends two merchandisers",),
    )
    (recorded,) = decide(MeetingState(unit_id="sh"), outcome, CONTEXT)
    assert isinstance(recorded, CalibrationOutcomesRecorded)
    assert recorded.decisions == ("east region lends two merchandisers",)


def test_a_meeting_needs_a_defined_cycle():
    command = cmd(ScheduleCalibration, CITY_MANAGER, **{**SCHEDULE, "cycle_id": "q4"})
    with pytest.raises(Invalid, match="no cycle 'q4' is defined"):
        decide(MeetingState(), command, CONTEXT)


@pytest.mark.parametrize(
    ("state", "command", "error", "message"),
    [
        (
            MeetingState(unit_id="sh"),
            cmd(ScheduleCalibration, HQ, **SCHEDULE),
            Conflict,
            "already scheduled",
        ),
        (MeetingState(), cmd(ScheduleCalibration, REP, **SCHEDULE), NotAllowed, "manager"),
        (
            MeetingState(),
            cmd(ScheduleCalibration, OTHER_CITY_MANAGER, **SCHEDULE),
            NotAllowed,
            "manager",
        ),
        (
            MeetingState(),
            cmd(ScheduleCalibration, HQ, **{**SCHEDULE, "unit_id": "mars"}),
            NotFound,
            "unknown org unit",
        ),
        (MeetingState(), cmd(RecordCalibrationOutcomes, HQ), NotFound, "no calibration meeting"),
        (
            MeetingState(unit_id="sh", concluded=True),
            cmd(RecordCalibrationOutcomes, HQ),
            Conflict,
            "already recorded",
        ),
        (
            MeetingState(unit_id="sh"),
            cmd(
                RecordCalibrationOutcomes,
                HQ,
                weight_changes=(WeightChange(objective_id="o-1", weights={"kr-1": Decimal(50)}),),
            ),
            Conflict,
            "add up to 50",
        ),
    ],
)
def test_refusals(state, command, error, message):
    with pytest.raises(error, match=message):
        decide(state, command, CONTEXT)


def test_outcomes_issue_a_command_per_weight_change_verdict_and_escalation():
    outcomes = cmd(
        RecordCalibrationOutcomes,
        CITY_MANAGER,
        verdicts=(Verdict(kr_id="kr-1", health="amber", note="watch"),),
        weight_changes=(
            WeightChange(objective_id="o-1", weights={"kr-1": Decimal(70), "kr-2": Decimal(30)}),
        ),
        escalations=(Escalation(kr_id="kr-1", to_unit_id="east", note="stock"),),
    )
    owners = {"o-1": ObjectiveOwner(owner_person_id="p-sh", cycle_id="2026-Q4")}
    weights, verdict, opened = follow_on_commands(outcomes, owners, timedelta(hours=36))
    assert isinstance(weights, CalibrateKeyResultWeights)
    assert (weights.owner_person_id, weights.cycle_id, weights.meeting_id) == (
        "p-sh",
        "2026-Q4",
        "cal-1",
    )
    assert weights.weights == {"kr-1": Decimal(70), "kr-2": Decimal(30)}
    assert isinstance(verdict, RecordHealthVerdict)
    assert (verdict.kr_id, verdict.health, verdict.note) == ("kr-1", "amber", "watch")
    assert isinstance(opened, OpenEscalation)
    assert (opened.escalation_id, opened.to_unit_id, opened.source) == (
        "cal-1:kr-1",
        "east",
        "calibration",
    )
    assert opened.respond_within == timedelta(hours=36)
    assert {weights.actor, verdict.actor, opened.actor} == {CITY_MANAGER}
    # A retried meeting issues the very same commands (so the store answers them).
    again = follow_on_commands(outcomes, owners, timedelta(hours=36))
    assert [c.command_id for c in again] == [c.command_id for c in (weights, verdict, opened)]
    assert weights.command_id != verdict.command_id != outcomes.command_id


def test_a_weight_change_for_an_unknown_objective_is_refused():
    outcomes = cmd(
        RecordCalibrationOutcomes,
        CITY_MANAGER,
        weight_changes=(WeightChange(objective_id="o-9", weights={"kr-1": Decimal(100)}),),
    )
    with pytest.raises(NotFound, match="no objective 'o-9'"):
        follow_on_commands(outcomes, {}, timedelta(hours=36))
