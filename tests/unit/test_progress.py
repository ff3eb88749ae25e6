from datetime import date
from decimal import Decimal

import pytest
from pydantic import ValidationError

from domain.key_result.metrics import (
    MetricKeyResult,
    MetricTotals,
    display_percent,
    metric_value,
    progress_percent,
)

D = Decimal


@pytest.mark.parametrize(
    ("kind", "start", "target", "actual", "expected"),
    [
        ("increase", D(0), D(200), D(50), D("25.00")),
        ("increase", D(100), D(200), D(250), D("150.00")),  # uncapped above 100
        ("increase", D(100), D(200), D(90), D("-10.00")),  # uncapped below 0
        ("decrease", D(50), D(10), D(40), D("25.00")),
        ("stay_above", D(0), D(35), D(35), D(100)),
        ("stay_above", D(0), D(35), D("34.99"), D(0)),
        ("stay_below", D(0), D(5), D(5), D(100)),
        ("stay_below", D(0), D(5), D("5.01"), D(0)),
        ("milestone", D(0), D(1), D(1), D(100)),
    ],
)
def test_progress_by_kind(kind, start, target, actual, expected):
    assert progress_percent(kind, start, target, actual) == expected


def test_display_is_clamped_but_stored_value_is_not():
    assert display_percent(D("150.00")) == 100
    assert display_percent(D("-10.00")) == 0
    assert display_percent(D("42.50")) == D("42.50")


def test_metric_values():
    totals = MetricTotals(revenue_minor=123_456, units=7, premium_revenue_minor=30_864)
    assert metric_value("revenue", totals) == D("1234.56")
    assert metric_value("units", totals) == 7
    assert metric_value("premium_share", totals) == D("25.0000")
    assert metric_value("premium_share", MetricTotals()) == 0


def kr(**overrides):
    fields = dict(
        id="kr-1",
        title="t",
        owner_unit_id="hq",
        metric="revenue",
        start=0,
        target=100,
        window_start=date(2026, 10, 1),
        window_end=date(2026, 12, 31),
    )
    return MetricKeyResult(**{**fields, **overrides})


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"target": 0}, "start and target are equal"),
        ({"start": 200}, "needs target > start"),
        ({"kind": "decrease"}, "needs target < start"),
        ({"window_end": date(2026, 9, 30)}, "window_end is before window_start"),
        ({"metric": "margin"}, "Input should be"),
    ],
)
def test_incoherent_krs_are_refused(overrides, message):
    with pytest.raises(ValidationError, match=message):
        kr(**overrides)
