"""The rhythm of calibration meetings: the next meeting, and the command scheduling it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.calibration_cadence import (
    SCHEDULER,
    Cadence,
    CalibrationCadenceSet,
    SetCalibrationCadence,
    decide,
    meeting_to_schedule,
    next_meeting_at,
)
from domain.kernel import Invalid, NotAllowed
from tests.unit.test_key_result_decider import CITY_MANAGER, HQ, ORG, OTHER_CITY_MANAGER, REP

FIRST = datetime(2026, 12, 1, 2, tzinfo=UTC)  # 10:00 in Shanghai
FORTNIGHTLY = Cadence("sh", 14, FIRST, 45)
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (FIRST - timedelta(days=30), FIRST),
        (FIRST, FIRST),
        (FIRST + timedelta(seconds=1), FIRST + timedelta(days=14)),
        (FIRST + timedelta(days=14), FIRST + timedelta(days=14)),
        (FIRST + timedelta(days=40), FIRST + timedelta(days=42)),
    ],
)
def test_the_next_meeting_of_the_rhythm(now, expected):
    assert next_meeting_at(FORTNIGHTLY, now) == expected


def test_the_same_unit_and_day_schedule_the_same_meeting():
    first = meeting_to_schedule(FORTNIGHTLY, FIRST - timedelta(days=2), "2026-Q4", SHANGHAI)
    again = meeting_to_schedule(FORTNIGHTLY, FIRST - timedelta(hours=1), "2026-Q4", SHANGHAI)
    assert (first.meeting_id, first.command_id) == (again.meeting_id, again.command_id)
    assert first.meeting_id == "sh-20261201"
    assert (first.starts_at, first.actor, first.duration_minutes) == (FIRST, SCHEDULER, 45)
    later = meeting_to_schedule(FORTNIGHTLY, FIRST + timedelta(days=1), "2026-Q4", SHANGHAI)
    assert later.meeting_id == "sh-20261215" and later.command_id != first.command_id


def _set(actor, unit_id="sh"):
    return SetCalibrationCadence(
        command_id=uuid.uuid4(), actor=actor, at=FIRST, unit_id=unit_id, first_at=FIRST
    )


def test_a_units_managers_or_hq_set_its_rhythm():
    for chair in (CITY_MANAGER, HQ):
        assert decide(None, _set(chair), ORG) == (
            CalibrationCadenceSet(unit_id="sh", every_days=14, first_at=FIRST, duration_minutes=45),
        )
    for outsider in (OTHER_CITY_MANAGER, REP):
        with pytest.raises(NotAllowed):
            decide(None, _set(outsider), ORG)
    with pytest.raises(Invalid, match="unknown org unit"):
        decide(None, _set(HQ, "mars"), ORG)
