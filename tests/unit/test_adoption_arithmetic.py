"""Shares and means with their 95 % intervals, and the forms' burden."""

from __future__ import annotations

import math
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.adoption import Interval, form_burden, mean_interval, wilson_interval
from reports.customer_churn import months_between, parse_month


def test_wilson_interval_of_known_values():
    # 89 of 100 (the notes' check-in usage): centre (0.89 + z²/200) / (1 + z²/100) = 0.8756,
    # half-width z·sqrt(0.89·0.11/100 + z²/40000) / (1 + z²/100) = 0.0619
    got = wilson_interval(89, 100)
    assert (got.value, got.n) == (0.89, 100)
    assert math.isclose(got.low, 0.8137, abs_tol=1e-4)
    assert math.isclose(got.high, 0.9375, abs_tol=1e-4)
    assert wilson_interval(0, 0) == Interval(None, None, None, 0)
    nobody = wilson_interval(0, 10)
    assert nobody.low == 0 and 0 < nobody.high < 0.31  # never below 0, never the point 0


@given(st.integers(min_value=1, max_value=5000), st.data())
def test_wilson_interval_holds_the_share_within_0_and_1(n, data):
    successes = data.draw(st.integers(min_value=0, max_value=n))
    got = wilson_interval(successes, n)
    assert 0 <= got.low <= got.value <= got.high <= 1


def test_mean_interval():
    got = mean_interval([2.0, 4.0, 6.0, 8.0])
    sd = math.sqrt(sum((v - 5) ** 2 for v in [2, 4, 6, 8]) / 3)
    assert got.value == 5.0
    assert math.isclose(got.high - 5, 1.959964 * sd / 2, abs_tol=1e-3)
    assert mean_interval([3.0]) == Interval(3.0, 3.0, 3.0, 1)
    assert mean_interval([]) == Interval(None, None, None, 0)


def test_the_check_in_form_asks_three_fields():
    forms = form_burden()
    assert forms["check_in"]["required_fields"] == ["blocker", "progress_value", "summary"]
    assert forms["check_in"] == {**forms["check_in"], "required": 3, "optional": 0}
    assert forms["target_adjustment"]["required_fields"] == ["proposed_target", "reason"]


def test_months():
    assert months_between(date(2026, 11, 20), date(2027, 1, 3)) == [
        date(2026, 11, 1), date(2026, 12, 1), date(2027, 1, 1)
    ]  # fmt: skip
    assert parse_month("2026-11") == date(2026, 11, 1)
    for wrong in ("2026-13", "0000-01", "26-11", "2026-1", "3000-01"):
        with pytest.raises(ValueError, match="is not a month"):
            parse_month(wrong)
