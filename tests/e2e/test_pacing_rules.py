"""Two health rules of docs/reference/health-and-alerts.md, on sales-fed KRs through the real
worker: a phased plan (`monthly_pacing`: each calendar month of the window earns its weight spread
evenly over its days) sets the pacing line; and the thresholds are those of the *shortest* cycle
containing the KR's window (a November KR is judged by the month's thresholds, not the quarter's).
Each recorded colour change is checked against the rule worked out here, at its business day."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import asyncpg

from domain.catalog import CompanyCatalog
from domain.key_result.metrics import MetricKeyResult
from tests import expected
from tests.expected import linear_pacing
from tests.stack import (
    QUARTER,
    define_quarter,
    evaluate_at,
    load_company,
    okr_read_models_caught_up,
    produce_singles,
    simulated_facts,
    small_company,
    wait_caught_up,
)

ZONE = ZoneInfo("Asia/Shanghai")
NOVEMBER = (date(2026, 11, 1), date(2026, 11, 30))
PLAN = (Decimal(20), Decimal(30), Decimal(50))  # October, November, December
MONTH_THRESHOLDS = (Decimal(5), Decimal(10), Decimal(2))  # green <= 5, amber <= 10
RANK = {"green": 0, "amber": 1, "red": 2}


def phased(day: date) -> Decimal:
    """The phased plan's line at the end of `day`: months before it whole, its own month by
    the share of its days elapsed (the day itself counted)."""
    earned, month = Decimal(0), QUARTER[0]
    for weight in PLAN:
        following = (month + timedelta(days=32)).replace(day=1)
        days = (following - month).days
        elapsed = min(max((day - month).days + 1, 0), days)
        earned += weight * elapsed / days
        month = following
    return (earned * 100 / sum(PLAN)).quantize(Decimal("0.01"))


def colour(gap: Decimal, green_max: Decimal, amber_max: Decimal) -> str:
    return "green" if gap <= green_max else "amber" if gap <= amber_max else "red"


async def test_a_phased_plan_and_the_shortest_cycles_thresholds_decide_the_colour(env):
    base = small_company()
    facts = simulated_facts(base, 400, seed=28)  # on 2026-11-16, company time
    probe = CompanyCatalog(
        units=base.units,
        key_results=(
            MetricKeyResult(id="probe", title="Revenue", owner_unit_id="hq", metric="revenue",
                            start=Decimal(0), target=Decimal(1), window_start=QUARTER[0],
                            window_end=QUARTER[1]),
        ),
    )  # fmt: skip
    revenue = expected.kr_actuals(probe, facts)["probe"]
    assert revenue > 0
    phased_kr = MetricKeyResult(
        id="kr-phased",
        title="Q4 revenue, back-loaded",
        owner_unit_id="hq",
        metric="revenue",
        start=Decimal(0),
        target=revenue * 100 / 40,
        window_start=QUARTER[0],
        window_end=QUARTER[1],
        monthly_pacing=PLAN,
    )  # fmt: skip  (40 % of it once the sales are in)
    november_kr = MetricKeyResult(
        id="kr-november",
        title="November revenue",
        owner_unit_id="hq",
        metric="revenue",
        start=Decimal(0),
        target=revenue * 2,
        window_start=NOVEMBER[0],
        window_end=NOVEMBER[1],
    )  # fmt: skip  (50 %)
    company = CompanyCatalog(units=base.units, key_results=(phased_kr, november_kr))
    await load_company(env.settings, company)
    await define_quarter(env.settings)  # the quarter's thresholds: green <= 0, amber <= 25
    from northstar_cli.okr_admin import define_cycle

    await define_cycle(env.settings, "2026-11", "month", *NOVEMBER, MONTH_THRESHOLDS)
    env.spawn("relay", "relay")
    env.worker()
    await okr_read_models_caught_up(env.settings)  # the cycles' thresholds are read models
    await produce_singles(env.settings, facts)
    await wait_caught_up(env.settings)
    await evaluate_at(env, "2026-11-22T12:00:00+08:00")

    conn = await asyncpg.connect(env.settings.dsn)
    try:
        history = await conn.fetch(
            "SELECT kr_id, new_health, progress_pct, expected_pct, occurred_at"
            " FROM kr_health_history ORDER BY kr_id, transition"
        )
    finally:
        await conn.close()
    by_kr: dict[str, list] = {"kr-phased": [], "kr-november": []}
    for row in history:
        by_kr[row["kr_id"]].append(row)
    assert all(by_kr.values()), by_kr

    for row in by_kr["kr-phased"]:
        day = row["occurred_at"].astimezone(ZONE).date()
        assert row["expected_pct"] == phased(day), (row, phased(day), linear_pacing(day, QUARTER))
    for row in by_kr["kr-november"]:
        day = row["occurred_at"].astimezone(ZONE).date()
        assert row["expected_pct"] == linear_pacing(day, NOVEMBER), row

    # The last change of each, at the evaluation: the figures and the colour the rule gives.
    last_phased, last_november = by_kr["kr-phased"][-1], by_kr["kr-november"][-1]
    at = datetime.fromisoformat("2026-11-22T12:00:00+08:00")
    assert last_phased["occurred_at"] == at == last_november["occurred_at"]
    assert last_phased["progress_pct"] == 40 and last_november["progress_pct"] == 50
    # phased: 20 + 30 x 22/30 = 42 -> 2 points behind: amber (linear would be 17.6 behind)
    assert last_phased["expected_pct"] == 42 and last_phased["new_health"] == "amber"
    # November, judged by the month's thresholds: 73.33 - 50 = 23.33 > 10: red (the quarter's
    # thresholds, amber up to 25, would say amber)
    gap = last_november["expected_pct"] - last_november["progress_pct"]
    assert gap == Decimal("23.33") and last_november["new_health"] == "red"
    assert colour(gap, *MONTH_THRESHOLDS[:2]) == "red" != colour(gap, Decimal(0), Decimal(25))
    # every recorded change follows the rule with its cycle's thresholds and the hysteresis
    for rows, (green_max, amber_max) in (
        (by_kr["kr-phased"], (Decimal(0), Decimal(25))),
        (by_kr["kr-november"], MONTH_THRESHOLDS[:2]),
    ):
        before = None
        for row in rows:
            gap = row["expected_pct"] - row["progress_pct"]
            want = colour(gap, green_max, amber_max)
            if before is not None and RANK[want] < RANK[before]:  # better: 2 points clear
                want = min(before, colour(gap + 2, green_max, amber_max), key=RANK.__getitem__)
            assert row["new_health"] == want, row
            before = want
