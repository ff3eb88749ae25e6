"""Scorecards on check-ins this test scripts through the command path over Q4 2026: one rep's
KRs ahead of, a little behind and far behind the pacing line at chosen dates. The person's and
the unit's scorecards (green/amber/red now, each week's colours, the weakest KR) must equal
what is worked out here from the documented rule — the gap expected minus progress in points:
0 or less green, up to 25 amber, more red, and at least amber without an update; expected
progress runs linearly over the cycle — and only those in scope may read them."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import asyncpg
import httpx

from domain.key_result.commands import RecordCheckIn
from handlers.bootstrap import command_handlers
from infra.postgres.accounts import create_client
from projections.org_directory import OrgDirectory
from simulator.okr_seed import person_for
from tests.stack import (
    QUARTER,
    bearer,
    define_goal,
    define_quarter,
    load_company,
    okr_read_models_caught_up,
    register_company_people,
    small_company,
    start_api,
)

ZONE = ZoneInfo("Asia/Shanghai")
REP, OTHER_REP, CITY = "rep-east-city1-1", "rep-east-city1-2", "east-city1"
# (KR, day, value): the rep's check-ins, at 10:00 company time
CHECK_INS = [
    ("kr-a", date(2026, 10, 7), 30), ("kr-b", date(2026, 10, 7), 30),
    ("kr-c", date(2026, 10, 7), 0),
    ("kr-c", date(2026, 10, 28), 0), ("kr-b", date(2026, 11, 10), 40),
    ("kr-a", date(2026, 11, 29), 95), ("kr-b", date(2026, 11, 29), 55),
    ("kr-c", date(2026, 11, 29), 20),
]  # fmt: skip
OTHER_CHECK_INS = [("kr-d", date(2026, 11, 29), 90)]


def at(day: date) -> datetime:
    return datetime.combine(day, time(10), ZONE)


def expected_pct(day: date) -> float:
    start, end = QUARTER
    return 100 * (day - start).days / (end - start).days


def colour(day: date, value: float) -> str:
    gap = expected_pct(day) - value
    return "green" if gap <= 0 else "amber" if gap <= 25 else "red"


def expected_trend(check_ins: list, krs: list[str], now: datetime) -> list[dict]:
    """Sundays of the cycle up to now: each KR's colour at its last check-in by then; before
    its first, none (a check-in KR's colour is first recorded at its first check-in)."""
    points, sunday = [], QUARTER[0] + timedelta(days=6 - QUARTER[0].weekday())
    while True:
        cut = min(datetime.combine(sunday + timedelta(days=1), time(0), ZONE), now)
        known: dict[str, str] = {}
        for kr, day, value in sorted(check_ins, key=lambda c: c[1]):
            if at(day) < cut:
                known[kr] = colour(day, value)
        point = {"week_ending": sunday.isoformat(), "green": 0, "amber": 0, "red": 0, "none": 0}
        for kr in krs:
            point[known.get(kr, "none")] += 1
        points.append(point)
        if cut >= now:
            return points
        sunday += timedelta(days=7)


async def test_person_and_unit_scorecards_follow_the_check_ins(env):
    company = small_company()
    await load_company(env.settings, company)
    await define_quarter(env.settings)
    env.spawn("relay", "relay")
    env.worker()
    handlers = command_handlers(env.settings.okr_events_topic, OrgDirectory().load)
    hq, rep, other = (person_for(u, level) for u, level in
                      (("hq", "hq"), (REP, "rep"), (OTHER_REP, "rep")))  # fmt: skip
    start = datetime(2026, 10, 1, 9, tzinfo=ZONE)
    conn = await asyncpg.connect(env.settings.dsn)
    try:
        await register_company_people(handlers, conn, company, start)
        await define_goal(
            handlers, conn, hq, rep, "o-rep", {"kr-a": 40, "kr-b": 30, "kr-c": 30}, start
        )
        await define_goal(handlers, conn, hq, other, "o-other", {"kr-d": 100}, start)
        for owner, check_ins in ((rep, CHECK_INS), (other, OTHER_CHECK_INS)):
            for kr, day, value in check_ins:
                await handlers.key_results.handle(
                    conn,
                    RecordCheckIn(
                        command_id=uuid.uuid4(), kr_id=kr, actor=owner, at=at(day),
                        summary="weekly", progress_value=Decimal(value), blocker="none",
                    ),
                )  # fmt: skip
    finally:
        await conn.close()
    await okr_read_models_caught_up(env.settings)
    now = datetime.now(UTC)
    today = now.astimezone(ZONE).date()
    latest = {kr: value for kr, _, value in sorted(CHECK_INS + OTHER_CHECK_INS, key=lambda c: c[1])}

    base = await start_api(env)
    conn = await asyncpg.connect(env.settings.dsn)
    try:
        tokens = {
            who: await create_client(conn, who, actor.role, actor.person_id, actor.unit_id)
            for who, actor in (
                ("rep", rep),
                ("other", other),
                ("city", person_for(CITY, "city")),
                ("west", person_for("west-city1", "city")),
            )
        }
    finally:
        await conn.close()
    async with httpx.AsyncClient(base_url=f"{base}/v1/okr/scorecards", timeout=30) as http:
        mine = await http.get(f"/people/{rep.person_id}", headers=bearer(tokens["rep"]))
        team = await http.get(f"/units/{CITY}", headers=bearer(tokens["city"]))
        refused = [
            await http.get(f"/people/{rep.person_id}", headers=bearer(tokens["other"])),
            await http.get(f"/people/{rep.person_id}", headers=bearer(tokens["west"])),
            await http.get(f"/units/{CITY}", headers=bearer(tokens["rep"])),
        ]
        unknown = await http.get("/people/p-nobody", headers=bearer(tokens["city"]))
        no_cycle = await http.get(
            f"/people/{rep.person_id}",
            params={"cycle_id": "2031-Q1"},
            headers=bearer(tokens["rep"]),
        )
    assert mine.status_code == 200, mine.text
    assert [r.status_code for r in refused] == [403, 403, 403]
    assert unknown.status_code == 404 and no_cycle.status_code == 404

    card = mine.json()
    now_colours = {kr: colour(today, latest[kr]) for kr in ("kr-a", "kr-b", "kr-c")}
    for name in ("green", "amber", "red"):
        count = sum(1 for c in now_colours.values() if c == name)
        assert card["health"][name] == {"count": count, "share": round(count / 3, 4)}
    behind = {kr: expected_pct(today) - latest[kr] for kr in now_colours}
    weakest = max(behind, key=behind.get)
    assert card["weakest"]["kr_id"] == weakest
    assert abs(float(card["weakest"]["behind_by"]) - behind[weakest]) < 1.5
    assert card["trend"] == expected_trend(CHECK_INS, ["kr-a", "kr-b", "kr-c"], now)

    assert team.status_code == 200, team.text
    unit = team.json()
    both = {**now_colours, "kr-d": colour(today, latest["kr-d"])}
    assert unit["krs"] == 4
    for name in ("green", "amber", "red"):
        assert unit["health"][name]["count"] == sum(1 for c in both.values() if c == name)
    assert unit["trend"] == expected_trend(
        CHECK_INS + OTHER_CHECK_INS, ["kr-a", "kr-b", "kr-c", "kr-d"], now
    )
