"""Adoption analytics on events this test makes itself, through the command path: reps and city
managers own KRs and check in (or not) week by week; people read their goals, some of them
again and again. `reports adoption` (CLI and API) must give check-in usage per week by role and
by unit, with a 7- and a 14-day cadence, and the before/after figures, equal to what is counted
here from the test's own schedule; the forms' burden matches the board's check-in form."""

from __future__ import annotations

import json
import math
import random
import re
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import asyncpg
import httpx

from domain.key_result.commands import RecordCheckIn
from handlers.bootstrap import command_handlers
from infra.settings import REPO_ROOT
from projections.reads.okr_reads import record_goal_view
from projections.reads.org_directory import OrgDirectory
from simulator.company import person_for
from tests.stack import (
    define_goal,
    define_quarter,
    hq_token,
    load_company,
    okr_read_models_caught_up,
    register_company_people,
    run_cli,
    small_company,
    start_api,
)

ZONE = ZoneInfo("Asia/Shanghai")
WEEKS = [date(2026, 10, 5) + timedelta(weeks=n) for n in range(6)]  # Mondays in Q4
LATE_OWNER = "rep-west-city2-3"  # their objective is set in the fourth week only


def company_time(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=ZONE)


async def _seed(env, rng: random.Random) -> tuple[dict, list[tuple[str, datetime]]]:
    """People, one objective with one KR per rep and city manager, and the check-ins the test
    scheduled; returns {person: (role, unit, expected from)} and the check-ins (person, when)."""
    company = small_company()
    handlers = command_handlers(env.settings.okr_events_topic, OrgDirectory().load)
    krs = handlers.key_results
    owners_units = [u for u in company.units if u.level in ("rep", "city")]
    hq = person_for("hq", "hq")
    start = company_time(WEEKS[0], 8)
    conn = await asyncpg.connect(env.settings.dsn)
    owners, check_ins = {}, []
    try:
        await register_company_people(handlers, conn, company, start)
        for unit in owners_units:
            owner = person_for(unit.id, unit.level)
            late = unit.id == LATE_OWNER
            defined = company_time(WEEKS[3], 10) if late else start
            kr_id = f"kr-{unit.id}"
            await define_goal(handlers, conn, hq, owner, f"o-{unit.id}", {kr_id: 100}, defined)
            owners[owner.person_id] = (owner.role, unit.id, WEEKS[3] if late else WEEKS[0])
            for week in WEEKS:
                if week < owners[owner.person_id][2] or rng.random() < 0.4:
                    continue
                times = sorted(  # some check in twice a week
                    company_time(week + timedelta(days=rng.randrange(7)), rng.randrange(8, 20))
                    for _ in range(rng.choice([1, 1, 2]))
                )
                for at in (t for t in times if t > defined):
                    await krs.handle(
                        conn,
                        RecordCheckIn(
                            command_id=uuid.uuid4(), kr_id=kr_id, actor=owner, at=at,
                            summary="visited the campus accounts",
                            progress_value=Decimal(rng.randrange(0, 100)), blocker="none",
                        ),
                    )  # fmt: skip
                    check_ins.append((owner.person_id, at))
    finally:
        await conn.close()
    return owners, check_ins


def expected_usage(owners: dict, check_ins: list, cadence_days: int, key: str) -> dict:
    """(week, role or unit) -> (owners, checked in), counted from the schedule."""
    counted: dict[tuple[str, str], list[int]] = {}
    for week in WEEKS:
        week_end = company_time(week + timedelta(days=7), 0)
        window_start = week_end - timedelta(days=cadence_days)
        for person, (role, unit, expected_from) in owners.items():
            if expected_from > week:
                continue
            did = any(p == person and window_start <= at < week_end for p, at in check_ins)
            tally = counted.setdefault((week.isoformat(), role if key == "role" else unit), [0, 0])
            tally[0] += 1
            tally[1] += did
    return {k: tuple(v) for k, v in counted.items()}


def visits(reads: list[tuple[str, str, datetime]]) -> dict[str, int]:
    """Per person: reads of one goal more than 30 minutes after their previous read of it."""
    last: dict[tuple[str, str], datetime] = {}
    found: dict[str, int] = {}
    for person, goal, at in sorted(reads, key=lambda r: r[2]):
        previous = last.get((person, goal))
        if previous is None or at - previous > timedelta(minutes=30):
            found[person] = found.get(person, 0) + 1
        last[(person, goal)] = at
    return found


async def test_check_in_usage_and_views_equal_an_independent_count(env):
    rng = random.Random(16)
    await load_company(env.settings, small_company())
    await define_quarter(env.settings)
    env.spawn("relay", "relay")
    env.worker()
    owners, check_ins = await _seed(env, rng)
    await okr_read_models_caught_up(env.settings)

    # goal views in two periods: weeks 1-3 ("before") and 4-6 ("after"), some read repeatedly
    reads = []
    for person, (_, unit, _) in owners.items():
        for n in range(rng.randrange(0, 4)):
            at = company_time(WEEKS[rng.randrange(6)] + timedelta(days=rng.randrange(7)), 9)
            for minutes in rng.choice([[0], [0, 5, 20], [0, 10, 45], [0, 31]]):
                reads.append((person, f"kr-{unit}", at + timedelta(minutes=minutes + n)))
    conn = await asyncpg.connect(env.settings.dsn)
    try:
        for person, goal, at in reads:
            role, unit, _ = owners[person]
            await record_goal_view(conn, person, role, unit, "key_result", goal, at)
        everyone = dict(await conn.fetch("SELECT person_id, role FROM person"))
    finally:
        await conn.close()

    between = f"{WEEKS[0]}..{WEEKS[-1] + timedelta(days=7)}"
    before = f"{WEEKS[0]}..{WEEKS[3]}"
    after = f"{WEEKS[3]}..{WEEKS[-1] + timedelta(days=7)}"
    for cadence in (7, 14):
        done = await run_cli(
            env,
            *("reports", "adoption", "--between", between, "--cadence-days", str(cadence)),
            *("--before", before, "--after", after, "--format", "json"),
        )
        assert done.returncode == 0, done.stderr
        report = json.loads(done.stdout)
        for key, section in (("role", "by_role"), ("unit_id", "by_unit")):
            got = {
                (row["week"], row[key]): (row["owners"], row["checked_in"])
                for row in report["check_in_usage"][section]
            }
            assert got == expected_usage(owners, check_ins, cadence, key.split("_")[0])
        for row in report["check_in_usage"]["by_role"]:
            interval = row["usage"]
            assert interval["low"] <= interval["value"] <= interval["high"]
            assert interval["value"] == round(row["checked_in"] / row["owners"], 4)

    # before/after (the 14-day cadence's report): owner-weeks pooled, views per person per week
    for side, weeks in (("before", WEEKS[:3]), ("after", WEEKS[3:])):
        figures = report[side]
        tallies = expected_usage(owners, check_ins, 14, "role")
        pooled = [v for (week, _), v in tallies.items() if date.fromisoformat(week) in weeks]
        assert figures["check_in_usage"]["all"]["n"] == sum(n for n, _ in pooled)
        assert figures["check_in_usage"]["all"]["value"] == round(
            sum(c for _, c in pooled) / sum(n for n, _ in pooled), 4
        )
        start, end = company_time(weeks[0], 0), company_time(weeks[-1] + timedelta(days=7), 0)
        seen = visits([r for r in reads if start <= r[2] < end])
        rates = [seen.get(person, 0) / 3 for person in everyone]
        views = figures["views_per_person_per_week"]["all"]
        assert views["n"] == len(everyone)
        assert math.isclose(views["value"], sum(rates) / len(rates), abs_tol=0.001)

    # the forms' burden: the check-in asks what the board's check-in form asks
    board = (REPO_ROOT / "api" / "board" / "index.html").read_text()
    form = re.search(r'<form id="check-in-form".*?</form>', board, re.DOTALL).group(0)
    asked = sorted(re.findall(r'name="(\w+)"[^>]*required', form))
    assert report["forms"]["check_in"]["required_fields"] == asked
    assert report["forms"]["check_in"]["required"] == 3

    # the API gives the same report to HQ; a period that ends before it starts is refused
    base = await start_api(env)
    headers = {"Authorization": f"Bearer {await hq_token(env.settings)}"}
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        reply = await http.get(
            "/v1/reports/adoption",
            params={"between": between, "before": before, "after": after, "cadence_days": 14},
            headers=headers,
        )
        assert reply.status_code == 200, reply.text
        answered = reply.json()
        for document in (answered, report):  # each read as of its own now
            document["response_times"].pop("as_of")
        assert answered == report
        wrong = await http.get(
            "/v1/reports/adoption", params={"between": "2026-11-01..2026-10-01"}, headers=headers
        )
        assert wrong.status_code == 422 and "ends before it starts" in wrong.text
