"""The behavioural simulation (simulator/behaviour.py) over the demo company's twelve weeks up to
now: the field notes' figures must emerge from what people did, and the reports that measure
them must equal counts made here from the raw events and reads — the event store's check-ins,
KR definitions, weights, objectives and cycles; the goal_view rows — never from the
simulator's settings. Nothing is dated after now."""

from __future__ import annotations

import json
import math
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import asyncpg
import yaml

from domain.key_result.events import kr_of_stream
from simulator.company import company_catalog
from tests import expected
from tests.stack import okr_read_models_caught_up, run_cli

ZONE = ZoneInfo("Asia/Shanghai")


async def _events(conn: asyncpg.Connection, *types: str) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT stream_id, event_type, payload, actor, occurred_at FROM event_store"
        " WHERE event_type = ANY($1::text[]) ORDER BY position",
        list(types),
    )


async def usage_from_events(
    conn: asyncpg.Connection, start: datetime, end: datetime, cadence_days: int = 7
) -> tuple[int, int]:
    """(owner-weeks expected, of which checked in) for the Mondays from `start`'s week to
    before `end`, by the documented rule, folded from the events themselves."""
    cycles = {
        e["payload"]["cycle_id"]: (
            date.fromisoformat(e["payload"]["starts_on"]),
            date.fromisoformat(e["payload"]["ends_on"]),
        )
        for e in map(_decoded, await _events(conn, "okr.cycle.defined"))
    }
    objective_cycle, dropped = {}, set()
    for e in map(_decoded, await _events(conn, "okr.objective.defined", "okr.objective.closed")):
        if e["event_type"] == "okr.objective.defined":
            objective_cycle[e["payload"]["objective_id"]] = e["payload"]["cycle_id"]
        elif e["payload"].get("outcome") == "dropped":
            dropped.add(e["payload"]["objective_id"])
    kr_objectives: dict[str, set[str]] = defaultdict(set)
    for e in map(_decoded, await _events(conn, "okr.objective.kr_weights_set")):
        for kr in e["payload"]["weights"]:
            kr_objectives[kr].add(e["payload"]["objective_id"])
    krs = {  # kr -> (owner, defined at)
        kr_of_stream(e["stream_id"]): (e["payload"]["owner_person_id"], e["occurred_at"])
        for e in map(_decoded, await _events(conn, "okr.kr.defined"))
    }
    check_ins = [
        (e["actor"], kr_of_stream(e["stream_id"]), e["occurred_at"])
        for e in await _events(conn, "okr.kr.check_in_recorded")
    ]
    owner_weeks = checked = 0
    monday = start.astimezone(ZONE).date()
    monday -= timedelta(days=monday.weekday())
    while datetime.combine(monday, time(0), ZONE) < end:
        week_end = datetime.combine(monday + timedelta(days=7), time(0), ZONE)
        expected_owners = set()
        for kr, (owner, defined_at) in krs.items():
            for objective in kr_objectives[kr] - dropped:
                first, last = cycles[objective_cycle[objective]]
                if defined_at < week_end and first < monday + timedelta(days=7) and last >= monday:
                    expected_owners.add(owner)
        since = week_end - timedelta(days=cadence_days)
        did = {
            who
            for who, kr, at in check_ins
            if since <= at < week_end and krs.get(kr, (None,))[0] == who
        }
        owner_weeks += len(expected_owners)
        checked += len(expected_owners & did)
        monday += timedelta(days=7)
    return owner_weeks, checked


def _decoded(row: asyncpg.Record) -> dict:
    payload = row["payload"]
    return {**dict(row), "payload": json.loads(payload) if isinstance(payload, str) else payload}


def visits_per_person_week(
    reads: list[asyncpg.Record], people: int, start: datetime, end: datetime
) -> float:
    """Visits (a person's reads of one goal more than 30 minutes apart start a new one) per
    person of the directory per week."""
    last: dict[tuple[str, str], datetime] = {}
    visits = 0
    for read in sorted(reads, key=lambda r: r["viewed_at"]):
        if not start <= read["viewed_at"] < end:
            continue
        key = (read["person_id"], read["subject_id"])
        if key not in last or read["viewed_at"] - last[key] > timedelta(minutes=30):
            visits += 1
        last[key] = read["viewed_at"]
    return visits / people / ((end - start) / timedelta(weeks=1))


async def waits_from_events(
    conn: asyncpg.Connection, start: datetime, end: datetime, as_of: datetime
) -> list[tuple[float, bool]]:
    """(hours, decided) of each target request made in the period, from the events."""
    made, decided = {}, {}
    for e in map(
        _decoded,
        await _events(
            conn,
            "okr.kr.target_adjustment_requested",
            "okr.kr.target_adjustment_approved",
            "okr.kr.target_adjustment_rejected",
            "okr.kr.target_adjustment_cancelled",
        ),
    ):
        request = (e["stream_id"], e["payload"]["request_id"])
        if e["event_type"].endswith("requested"):
            made[request] = e["occurred_at"]
        else:
            decided.setdefault(request, e["occurred_at"])
    waits = []
    for request, at in made.items():
        if start <= at < end:
            done = request in decided and decided[request] <= as_of
            until = decided[request] if done else as_of
            waits.append(((until - at).total_seconds() / 3600, done))
    return waits


async def test_the_field_figures_emerge_and_the_reports_count_them_right(env, tmp_path):
    now = datetime.now(UTC)
    company = company_catalog(now.date())
    company_file = tmp_path / "company.yaml"
    company_file.write_text(yaml.safe_dump(company.model_dump(mode="json"), allow_unicode=True))
    seeded = await run_cli(
        env,
        *("simulate", "okrs", "--company", str(company_file), "--adjustments", "0"),
        *("--behaviour-weeks", "12"),
    )
    assert seeded.returncode == 0, seeded.stderr
    finished = datetime.now(UTC)
    env.spawn("relay", "relay")
    env.worker()
    await okr_read_models_caught_up(env.settings, timeout=300)

    today = finished.astimezone(ZONE).date()  # whole weeks before the running one
    this_week = datetime.combine(today - timedelta(days=today.weekday()), time(0), ZONE)
    start, middle = this_week - timedelta(weeks=12), this_week - timedelta(weeks=6)
    periods = {"before": (start, middle), "after": (middle, this_week)}
    done = await run_cli(
        env,
        *("reports", "adoption", "--format", "json"),
        *("--between", f"{start.isoformat()}..{this_week.isoformat()}"),
        *("--before", f"{start.isoformat()}..{middle.isoformat()}"),
        *("--after", f"{middle.isoformat()}..{this_week.isoformat()}"),
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)

    conn = await asyncpg.connect(env.settings.dsn)
    try:
        latest = await conn.fetchval("SELECT max(occurred_at) FROM event_store")
        latest_read = await conn.fetchval("SELECT max(viewed_at) FROM goal_view")
        reads = await conn.fetch("SELECT person_id, subject_id, viewed_at FROM goal_view")
        people = await conn.fetchval("SELECT count(*) FROM person")
        figures = {}
        for side, (first, last) in periods.items():
            owner_weeks, checked = await usage_from_events(conn, first, last)
            usage = report[side]["check_in_usage"]["all"]
            assert (usage["n"], round(checked / owner_weeks, 4)) == (owner_weeks, usage["value"])
            views = visits_per_person_week(reads, people, first, last)
            got = report[side]["views_per_person_per_week"]["all"]
            assert got["n"] == people and math.isclose(got["value"], views, abs_tol=0.001)
            waits = await waits_from_events(conn, first, last, finished)
            times = report["response_times"][side]["hours_to_decision"]
            assert {k: times[k] for k in ("count", "done", "still_open", "median", "p90")} == {
                k: expected.kaplan_meier(waits)[k]
                for k in ("count", "done", "still_open", "median", "p90")
            }
            figures[side] = (usage["value"], got["value"], times["median"])
    finally:
        await conn.close()
    assert latest <= finished and latest_read <= finished  # nothing after the simulated now

    # the figures the notes report emerge from behaviour: more check-ins and views, faster answers
    (usage_before, views_before, hours_before), (usage_after, views_after, hours_after) = (
        figures["before"],
        figures["after"],
    )
    assert usage_before < 0.6 < 0.75 < usage_after
    assert views_before < 1 < 2.5 < views_after
    assert hours_before / 24 > 3 * hours_after / 24
