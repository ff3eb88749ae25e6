from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from domain.health import Thresholds, expected_progress, kr_health, worst

NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)
FRESH = NOW - timedelta(days=1)


def test_linear_pacing_over_a_quarter():
    q_start, q_end = date(2026, 10, 1), date(2026, 12, 31)
    assert expected_progress(q_start, q_end, date(2026, 9, 1)) == 0
    assert expected_progress(q_start, q_end, date(2026, 10, 1)) == Decimal("1.09")
    assert expected_progress(q_start, q_end, date(2026, 12, 31)) == 100
    assert expected_progress(q_start, q_end, date(2027, 2, 1)) == 100


def test_thresholds_are_exact():
    assert kr_health(Decimal(50), Decimal(50), FRESH, NOW, None).health == "green"
    assert kr_health(Decimal("49.99"), Decimal(50), FRESH, NOW, None).health == "amber"
    assert kr_health(Decimal(25), Decimal(50), FRESH, NOW, None).health == "amber"
    assert kr_health(Decimal("24.99"), Decimal(50), FRESH, NOW, None).health == "red"


def test_stale_or_blocked_is_at_least_amber():
    stale = kr_health(Decimal(90), Decimal(50), NOW - timedelta(days=15), NOW, None)
    assert stale.health == "amber" and "no update for 14 days" in stale.reasons
    blocked = kr_health(Decimal(90), Decimal(50), FRESH, NOW, "out of stock")
    assert blocked.health == "amber"
    assert kr_health(Decimal(0), Decimal(50), None, NOW, "x").health == "red"


@given(st.decimals(-50, 200, places=2), st.decimals(0, 100, places=2))
def test_health_follows_the_gap(progress, expected):
    verdict = kr_health(progress, expected, FRESH, NOW, None)
    gap = expected - progress
    assert verdict.health == ("green" if gap <= 0 else "amber" if gap <= 25 else "red")
    assert worst(verdict.health, "green") == verdict.health


def test_objective_progress_is_the_weighted_mean_and_its_health_the_weakest():
    from domain.health import WeightedKr, objective_progress

    krs = [
        WeightedKr("a", Decimal(60), Decimal(50), "green"),
        WeightedKr("b", Decimal(40), Decimal(100), "amber"),
    ]
    assert objective_progress(krs) == (Decimal("70.00"), "amber")
    assert objective_progress([]) == (Decimal(0), None)
    red = WeightedKr("c", Decimal(1), Decimal(0), "red")
    assert objective_progress([*krs, red])[1] == "red"


def _walk(progresses: list[str], expected: str = "50") -> list[str]:
    """The alerted colour after each evaluation, each evaluation given the last alerted one."""
    recorded, out = None, []
    for progress in progresses:
        verdict = kr_health(
            Decimal(progress), Decimal(expected), FRESH, NOW, None, recorded=recorded
        )
        recorded = verdict.health
        out.append(recorded)
    return out


def test_a_kr_hovering_at_a_threshold_changes_colour_once():
    # gap = 50 - progress; green <= 0 < amber; improving needs 2 points of clearance
    assert _walk(["51", "49.5", "50.5", "49.5", "50.5", "51.9", "52"]) == [
        "green",
        "amber",
        "amber",
        "amber",
        "amber",
        "amber",
        "green",
    ]


def test_getting_worse_is_alerted_at_the_threshold_itself():
    assert _walk(["60", "49.99", "24.99"]) == ["green", "amber", "red"]
    # leaving red needs the gap 2 points inside amber (<= 23), then amber 2 points inside green
    assert _walk(["20", "26", "27", "60"]) == ["red", "red", "amber", "green"]


def test_the_raw_colour_says_what_one_evaluation_alone_says():
    held = kr_health(Decimal("50.5"), Decimal(50), FRESH, NOW, None, recorded="amber")
    assert (held.health, held.raw) == ("amber", "green")
    assert "stays amber until 2 points clear of the threshold" in held.reasons
    none = kr_health(
        Decimal("50.5"), Decimal(50), FRESH, NOW, None, Thresholds(hysteresis=Decimal(0)), "amber"
    )
    assert (none.health, none.raw) == ("green", "green")
