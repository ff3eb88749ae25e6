"""Response-time analytics over a simulated quarter: by region and before/after, equal to the
Kaplan-Meier statistics computed here from the simulator's own log of what it did (whether the
field figures emerge is tests/e2e/test_behaviour_simulation.py's question); the SVG chart."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections import defaultdict
from datetime import datetime, timedelta

import asyncpg

from simulator.company import REGIONS
from tests.expected import kaplan_meier
from tests.stack import eventually, run_cli, seed_simulated_quarter

CITY_REGION = {city: region for region, (_, cities) in REGIONS.items() for city, _ in cities}


def waits(entries: list[dict], step: str, as_of: datetime) -> list[tuple[float, bool]]:
    """(hours waited, done) of each request made by `as_of`; rejected ones never apply."""
    found = []
    for entry in entries:
        requested = datetime.fromisoformat(entry["requested_at"])
        if requested > as_of:
            continue
        decided = entry.get("decided_at") and datetime.fromisoformat(entry["decided_at"])
        if step == "applied_at" and entry.get("decision") == "rejected" and decided <= as_of:
            continue
        at = entry.get(step) and datetime.fromisoformat(entry[step])
        done = bool(at) and at <= as_of
        found.append((((at if done else as_of) - requested).total_seconds() / 3600, done))
    return found


def expected(entries: list[dict], as_of: datetime) -> dict:
    return {
        "hours_to_decision": kaplan_meier(waits(entries, "decided_at", as_of)),
        "hours_to_applied": kaplan_meier(waits(entries, "applied_at", as_of)),
    }


async def test_response_times_reproduce_the_field_result(env, tmp_path):
    _, log = await seed_simulated_quarter(env, tmp_path, adjustments=120)

    # before/after: the boundary is the first request of the second half
    times = sorted(datetime.fromisoformat(e["requested_at"]) for e in log)
    start, boundary = times[0], times[len(times) // 2]
    end = times[-1] + timedelta(seconds=1)
    settled = max(  # every answer given by then (a request whose answer would come after
        # the real now is still waiting: open at that moment, as the oracle counts it)
        datetime.fromisoformat(e.get("applied_at") or e.get("decided_at") or e["requested_at"])
        for e in log
    ) + timedelta(seconds=1)
    chart = tmp_path / "compare.svg"
    done = await run_cli(
        env,
        *("reports", "response-times", "--format", "json", "--chart", str(chart)),
        *("--as-of", settled.isoformat()),
        *("--before", f"{start.isoformat()}..{boundary.isoformat()}"),
        *("--after", f"{boundary.isoformat()}..{end.isoformat()}"),
    )
    assert done.returncode == 0, done.stderr
    comparison = json.loads(done.stdout)["comparison"]
    before = [e for e in log if datetime.fromisoformat(e["requested_at"]) < boundary]
    after = [e for e in log if datetime.fromisoformat(e["requested_at"]) >= boundary]
    for name, entries in (("before", before), ("after", after)):
        got = comparison[name]
        assert {k: got[k] for k in ("hours_to_decision", "hours_to_applied")} == expected(
            entries, settled
        )
    svg = ET.fromstring(chart.read_text())
    assert svg.tag.endswith("svg") and "before" in chart.read_text()

    # by region: needs the read models (owner of each KR)
    env.spawn("relay", "relay")
    env.worker()
    conn = await asyncpg.connect(env.settings.dsn)
    try:

        async def projected() -> bool:
            return (
                not await conn.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL")
                and await conn.fetchval("SELECT count(*) FROM okr_key_result") > 200
            )

        await eventually(projected, 120, "the OKR read models")
    finally:
        await conn.close()
    # by region, as known at the boundary: the requests still open then count as censored
    by_region = await run_cli(
        env,
        *("reports", "response-times", "--by", "region", "--format", "json"),
        *("--as-of", boundary.isoformat()),
    )
    groups = {g["group"]: g for g in json.loads(by_region.stdout)["groups"]}
    per_region: dict[str, list[dict]] = defaultdict(list)
    for entry in log:
        if datetime.fromisoformat(entry["requested_at"]) <= boundary:
            per_region[CITY_REGION[entry["kr_id"].split("-")[2]]].append(entry)
    assert set(groups) == set(per_region)
    assert sum(g["hours_to_decision"]["still_open"] for g in groups.values()) > 0
    for region, entries in per_region.items():
        got = groups[region]
        assert {k: got[k] for k in ("hours_to_decision", "hours_to_applied")} == expected(
            entries, boundary
        )
