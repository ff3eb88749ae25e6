"""The three-field KR form stands for a full definition with defaults."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from pydantic import ValidationError

from domain.key_result.three_fields import ThreeFieldKeyResult, defined_from
from tests.unit.test_key_result_decider import CITY_MANAGER

Q4 = (date(2026, 10, 1), date(2026, 12, 31))
AT = datetime(2026, 11, 30, tzinfo=UTC)


def test_a_metric_kr_from_three_fields():
    form = ThreeFieldKeyResult(
        description="新客首单转化率提升到30%", metric="first_order_conversion", target=Decimal(30)
    )
    command_id = uuid.uuid4()
    define = defined_from(form, command_id, CITY_MANAGER, AT, Q4)
    assert define.kr_id == f"kr-{command_id.hex[:12]}"
    assert (define.owner_person_id, define.owner_unit_id) == ("p-sh", "sh")
    assert (define.kind, define.start, define.target, define.unit) == (
        "increase",
        Decimal(0),
        Decimal(30),
        "%",
    )
    assert define.binding is not None
    assert (define.binding.metric, define.binding.window_start, define.binding.window_end) == (
        "first_order_conversion",
        *Q4,
    )
    assert defined_from(form, command_id, CITY_MANAGER, AT, Q4).kr_id == define.kr_id


def test_a_manual_kr_from_two_fields():
    form = ThreeFieldKeyResult(description="校园签约门店 40 家", target=Decimal(40))
    define = defined_from(form, uuid.uuid4(), CITY_MANAGER, AT, Q4)
    assert (define.binding, define.unit) == (None, "%")


def test_an_unknown_metric_is_refused():
    with pytest.raises(ValidationError, match="metric"):
        ThreeFieldKeyResult(description="x", metric="happiness", target=Decimal(1))
