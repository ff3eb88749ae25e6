from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from domain.alert_rules import (
    CycleResult,
    certification_suggested,
    lagging_regions,
    overdue_adjustments,
)

D = Decimal
WEEKS = ["2026-W44", "2026-W45", "2026-W46", "2026-W47", "2026-W48"]


def test_lagging_fires_on_the_third_consecutive_week_and_not_earlier():
    conversion = {
        "east": dict(zip(WEEKS, [D(20), D(20), D(21), D(22), D(20)], strict=True)),
        "south": dict(zip(WEEKS, [D(22), D(21), D(22), D(20), D(21)], strict=True)),
        "west": dict(zip(WEEKS, [D(10), D(12), D(30), D(11), D(12)], strict=True)),
    }
    fired = lagging_regions(conversion, WEEKS)
    # west lags W44, W45, recovers W46, lags W47, W48: no three in a row -> nothing.
    assert fired == []
    conversion["west"] = dict(zip(WEEKS, [D(10), D(12), D(11), D(11), D(30)], strict=True))
    (alert,) = lagging_regions(conversion, WEEKS)
    assert (alert.region_id, alert.iso_week) == ("west", "2026-W46")
    assert lagging_regions(conversion, WEEKS[:2]) == []  # a week earlier: nothing yet
    assert lagging_regions(conversion, WEEKS[:3]) == [alert]  # ... and on that very week
    assert alert.iso_weeks == ("2026-W44", "2026-W45", "2026-W46")
    assert alert.conversion == (D(10), D(12), D(11))
    assert alert.peer_mean == (D(21), D("20.50"), D("21.50"))


def test_a_week_without_figures_breaks_the_streak():
    conversion = {
        "east": {w: D(20) for w in WEEKS},
        "west": {"2026-W44": D(1), "2026-W45": D(1), "2026-W47": D(1), "2026-W48": D(1)},
    }
    assert lagging_regions(conversion, WEEKS) == []


def test_iso_weeks_follow_the_iso_calendar():
    from datetime import date

    from domain.alert_rules import iso_week

    assert iso_week(date(2026, 11, 27)) == "2026-W48"
    assert iso_week(date(2027, 1, 1)) == "2026-W53"


def test_a_region_alone_has_no_peers():
    assert lagging_regions({"east": {w: D(1) for w in WEEKS}}, WEEKS) == []


def _quarters(*progress: int | D, year: int = 2026) -> list[CycleResult]:
    starts = [date(year, m, 1) for m in (1, 4, 7, 10)] + [date(year + 1, 1, 1)]
    return [
        CycleResult(f"Q{n + 1}", starts[n], starts[n + 1] - timedelta(days=1), D(p))
        for n, p in enumerate(progress)
    ]


def test_certification_after_two_adjacent_cycles_over_100():
    assert certification_suggested(_quarters(101, 120)) == ["Q2"]
    assert certification_suggested(_quarters(100, 120)) == []  # 100 % is met, not over
    assert certification_suggested(_quarters(101, 99, 101)) == []
    assert certification_suggested(_quarters(101, 101, 101, 101)) == ["Q2", "Q4"]
    exactly, just_over = D("100.00"), D("100.01")
    assert certification_suggested(_quarters(exactly, exactly)) == []
    assert certification_suggested(_quarters(just_over, just_over)) == ["Q2"]
    assert certification_suggested(_quarters(130)) == []  # one cycle is not two


def test_cycles_with_a_gap_between_them_are_not_consecutive():
    q1, _, q3 = _quarters(120, 0, 120)
    assert certification_suggested([q1, q3]) == []  # Q2 has no result: not adjacent
    assert certification_suggested([q3, q1]) == []  # order of the rows does not matter
    q1, q2 = _quarters(120, 110)
    assert certification_suggested([q2, q1]) == ["Q2"]


def test_overdue_adjustments_longest_waiting_first():
    now = datetime(2026, 11, 27, 12, tzinfo=UTC)
    pending = {
        "a": now - timedelta(hours=30),
        "b": now - timedelta(hours=50),
        "c": now - timedelta(hours=2),
    }
    assert overdue_adjustments(pending, now, timedelta(hours=24)) == ["b", "a"]
