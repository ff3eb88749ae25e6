"""Response-time analytics over a simulated quarter: by region and before/after the board's
adoption, equal to statistics computed here from the simulator's own log; the SVG chart."""

from __future__ import annotations

import json
import math
import statistics
import xml.etree.ElementTree as ET
from collections import defaultdict
from datetime import datetime, timedelta

import asyncpg

from simulator.company import REGIONS
from tests.stack import eventually, run_cli, seed_simulated_quarter

CITY_REGION = {city: region for region, (_, cities) in REGIONS.items() for city, _ in cities}


def stats(hours: list[float]) -> dict:
    ordered = sorted(hours)
    if not ordered:
        return {"count": 0, "median": None, "mean": None, "p90": None}
    return {
        "count": len(ordered),
        "median": round(statistics.median(ordered), 2),
        "mean": round(statistics.fmean(ordered), 2),
        "p90": round(ordered[math.ceil(0.9 * len(ordered)) - 1], 2),
    }


def hours(entry: dict, step: str) -> float | None:
    if not entry.get(step):
        return None
    delta = datetime.fromisoformat(entry[step]) - datetime.fromisoformat(entry["requested_at"])
    return delta.total_seconds() / 3600


def expected(entries: list[dict]) -> dict:
    return {
        "hours_to_decision": stats([h for e in entries if (h := hours(e, "decided_at"))]),
        "hours_to_applied": stats([h for e in entries if (h := hours(e, "applied_at"))]),
    }


async def test_response_times_reproduce_the_field_result(env, tmp_path):
    _, log = await seed_simulated_quarter(env, tmp_path, adjustments=120)

    # before/after: the boundary is the first request of the second half
    times = sorted(datetime.fromisoformat(e["requested_at"]) for e in log)
    start, boundary = times[0], times[len(times) // 2]
    end = times[-1] + timedelta(seconds=1)
    chart = tmp_path / "compare.svg"
    done = await run_cli(
        env,
        *("audit", "response-times", "--format", "json", "--chart", str(chart)),
        *("--before", f"{start.isoformat()}..{boundary.isoformat()}"),
        *("--after", f"{boundary.isoformat()}..{end.isoformat()}"),
    )
    assert done.returncode == 0, done.stderr
    comparison = json.loads(done.stdout)["comparison"]
    before = [e for e in log if datetime.fromisoformat(e["requested_at"]) < boundary]
    after = [e for e in log if datetime.fromisoformat(e["requested_at"]) >= boundary]
    for name, entries in (("before", before), ("after", after)):
        got = comparison[name]
        assert {k: got[k] for k in ("hours_to_decision", "hours_to_applied")} == expected(entries)
    # the field result: about 7.2 days before, 1.3 days after
    assert comparison["before"]["hours_to_decision"]["mean"] / 24 > 5
    assert comparison["after"]["hours_to_decision"]["mean"] / 24 < 2
    assert comparison["change"]["to_decision_mean"] < -0.6
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
    by_region = await run_cli(env, "audit", "response-times", "--by", "region", "--format", "json")
    groups = {g["group"]: g for g in json.loads(by_region.stdout)["groups"]}
    per_region: dict[str, list[dict]] = defaultdict(list)
    for entry in log:
        per_region[CITY_REGION[entry["kr_id"].split("-")[2]]].append(entry)
    assert set(groups) == set(per_region)
    for region, entries in per_region.items():
        got = groups[region]
        assert {k: got[k] for k in ("hours_to_decision", "hours_to_applied")} == expected(entries)
