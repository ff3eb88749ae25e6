"""Random sequences of OKR commands over the API (ids reused across people, cycles and kinds,
odd but valid strings) against the live stack: the worker never exits, nothing is parked, the
API never answers 5xx, and every accepted command's effect reaches the read models."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date

import asyncpg
import httpx

from tests.stack import (
    define_quarter,
    hq_token,
    load_company,
    okr_read_models_caught_up,
    small_company,
    start_api,
)

IDS = ("o-1", "kr-1", "kr-kr-1", "A.b:c_-", "0", "x" * 128, "o:1", "ö-1")  # ö: refused (422)
OWNERS = (
    ("p-rep-1", "rep-east-city1-1"),
    ("p-rep-2", "rep-east-city1-2"),
    ("p-west", "west"),
    ("p.x:y", "east-city2"),
)
CYCLES = ("2026-Q4", "2027-Q1", "2026-q4")  # the last is not defined (422)
PARENTS = ("north-star", "o-1", "A.b:c_-", "missing")


def _command(rng: random.Random, n: int) -> tuple[str, str, dict]:
    owner, unit = rng.choice(OWNERS)
    some_id = rng.choice(IDS)
    kind = rng.randrange(6)
    if kind == 0:
        return (
            "POST",
            "/objectives",
            {
                "objective_id": some_id,
                "title": f"Objective {n}",
                "owner_person_id": owner,
                "owner_unit_id": unit,
                "cycle_id": rng.choice(CYCLES),
                "contributes_to": [{"parent_id": rng.choice(PARENTS), "weight": "50"}]
                if rng.random() < 0.5
                else [],
            },
        )
    if kind == 1:
        return (
            "POST",
            "/key-results",
            {
                "kr_id": some_id,
                "title": f"Key accounts {n}",
                "owner_person_id": owner,
                "owner_unit_id": unit,
                "kind": rng.choice(("increase", "decrease", "milestone")),
                "unit": "accounts",
                "start": "0",
                "target": str(rng.randrange(1, 50)),
            },
        )
    if kind == 2:
        return (
            "POST",
            f"/key-results/{some_id}/check-ins",
            {
                "summary": f"check-in {n}",
                "progress_value": str(rng.randrange(0, 60)),
                "blocker": rng.choice(("none", "stock-out")),
            },
        )
    if kind == 3:
        return (
            "POST",
            f"/key-results/{some_id}/adjustments",
            {
                "request_id": rng.choice(("r-1", "r-2", "R:3")),
                "proposed_target": str(rng.randrange(51, 90)),
                "reason": "the market moved",
            },
        )
    if kind == 4:
        return (
            "PUT",
            f"/objectives/{some_id}/kr-weights",
            {
                "owner_person_id": owner,
                "cycle_id": rng.choice(CYCLES),
                "weights": {rng.choice(IDS): "100"},
            },
        )
    return (
        "POST",
        f"/objectives/{some_id}/close",
        {
            "owner_person_id": owner,
            "cycle_id": rng.choice(CYCLES),
            "outcome": rng.choice(("achieved", "dropped")),
        },
    )


async def test_random_commands_never_stop_the_pipeline(env):
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    company = small_company()
    await load_company(env.settings, company)
    await define_quarter(env.settings)
    await define_quarter(env.settings, "2027-Q1", (date(2027, 1, 1), date(2027, 3, 31)))
    hq = await hq_token(env.settings)
    base = await start_api(env)
    env.spawn("relay", "relay")
    worker = env.worker()
    answers: Counter[int] = Counter()
    objectives: dict[str, tuple[str, str]] = {}
    krs = {kr.id for kr in company.key_results}  # the plan's, defined when it was loaded
    check_ins: Counter[str] = Counter()
    requests: set[tuple[str, str]] = set()
    closed: dict[str, str] = {}
    async with httpx.AsyncClient(
        base_url=f"{base}/v1/okr", headers={"Authorization": f"Bearer {hq}"}, timeout=30
    ) as http:
        for n in range(300):
            method, path, body = _command(rng, n)
            reply = await http.request(method, path, json=body)
            answers[reply.status_code] += 1
            assert reply.status_code < 500, (seed, path, reply.text)
            if reply.status_code >= 300:
                continue
            if path == "/objectives":
                objectives[body["objective_id"]] = (body["owner_person_id"], body["cycle_id"])
            elif path == "/key-results":
                krs.add(body["kr_id"])
            elif path.endswith("/check-ins"):
                check_ins[path.split("/")[2]] += 1
            elif path.endswith("/adjustments"):
                requests.add((path.split("/")[2], body["request_id"]))
            elif path.endswith("/close"):
                closed[path.split("/")[2]] = body["outcome"]
    assert answers[201] + answers[200] >= 30, (seed, answers)  # the walk did real work
    assert answers[409] and answers[422], (seed, answers)  # and met the guards

    conn = await asyncpg.connect(env.settings.dsn)
    try:
        await okr_read_models_caught_up(env.settings)
        assert await conn.fetchval("SELECT count(*) FROM okr_parked_stream") == 0, seed
        rows = await conn.fetch(
            "SELECT objective_id, owner_person_id, cycle_id, status FROM okr_objective"
        )
        assert {r[0]: (r[1], r[2]) for r in rows} == objectives, seed
        assert {r[0]: r[3] for r in rows if r[3] != "active"} == closed, seed
        assert {r[0] for r in await conn.fetch("SELECT kr_id FROM okr_key_result")} == krs, seed
        counted = await conn.fetch("SELECT kr_id, count(*) FROM okr_check_in GROUP BY kr_id")
        assert dict(counted) == dict(check_ins), seed
        stored = await conn.fetch("SELECT kr_id, request_id FROM okr_adjustment")
        assert {(r[0], r[1]) for r in stored} == requests, seed
    finally:
        await conn.close()
    assert worker.poll() is None, seed
