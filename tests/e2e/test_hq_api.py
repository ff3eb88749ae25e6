"""Cycles and the north star over HTTP, projected into read models."""

from __future__ import annotations

import asyncpg
import httpx

from infra.postgres.accounts import create_client
from tests.stack import eventually, load_company, small_company, start_api


async def test_cycles_and_north_star(env):
    await load_company(env.settings, small_company())
    conn = await asyncpg.connect(env.settings.dsn)
    try:
        hq = await create_client(conn, "hq", "hq_admin", "p-ceo", "hq")
        city = await create_client(conn, "city", "manager", "p-city", "east-city1")
    finally:
        await conn.close()
    env.spawn("relay", "relay")
    env.worker()
    await start_api(env)
    q4 = {
        "cycle_id": "2026-Q4",
        "kind": "quarter",
        "starts_on": "2026-10-01",
        "ends_on": "2026-12-31",
    }
    star = {
        "metric": "premium-product monthly repeat buyers",
        "target": "12000",
        "unit": "customers",
        "owner_person_id": "p-ceo",
    }
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{env.settings.api_port}/v1/okr", timeout=30
    ) as http:

        def as_(token):
            return {"Authorization": f"Bearer {token}"}

        assert (await http.post("/cycles", json=q4, headers=as_(city))).status_code == 403
        bad = await http.post("/cycles", json={**q4, "ends_on": "2026-12-30"}, headers=as_(hq))
        assert bad.status_code == 422 and "ends on 2026-12-31" in bad.json()["detail"]
        assert (await http.post("/cycles", json=q4, headers=as_(hq))).status_code == 201
        assert (await http.post("/cycles", json=q4, headers=as_(hq))).status_code == 409
        assert (await http.put("/north-star", json=star, headers=as_(city))).status_code == 403
        assert (await http.put("/north-star", json=star, headers=as_(hq))).status_code == 200

        async def projected() -> bool:
            reply = await http.get("/north-star", headers=as_(city))
            return reply.status_code == 200

        await eventually(projected, 60, "the north star read model")
        current = (await http.get("/north-star", headers=as_(city))).json()
        cycles = (await http.get("/cycles", headers=as_(city))).json()
    assert (current["metric"], current["target"], current["comparison"]) == (
        "premium-product monthly repeat buyers",
        "12000",
        ">=",
    )
    assert cycles == [
        {
            "cycle_id": "2026-Q4",
            "kind": "quarter",
            "starts_on": "2026-10-01",
            "ends_on": "2026-12-31",
            "green_max_gap": "0",
            "amber_max_gap": "25",
            "hysteresis_points": "2",
        }
    ]


async def test_admin_cli_uses_the_same_rules(env):
    from tests.stack import run_cli

    await load_company(env.settings, small_company())
    month = [
        "okr",
        "define-cycle",
        "2026-11",
        "--kind",
        "month",
        "--start",
        "2026-11-01",
        "--end",
        "2026-11-30",
    ]
    first = await run_cli(env, *month)
    assert first.returncode == 0 and "cycles v1" in first.stdout, first.stderr
    again = await run_cli(env, *month)
    assert again.returncode == 1 and "already exists" in again.stderr
    short = await run_cli(
        env,
        "okr",
        "define-cycle",
        "2026-12",
        "--kind",
        "month",
        "--start",
        "2026-12-01",
        "--end",
        "2026-12-30",
    )
    assert short.returncode == 1 and "ends on 2026-12-31" in short.stderr
    policy = await run_cli(env, "okr", "focus-policy", "warn")
    assert "policy-focus v1" in policy.stdout
    star = await run_cli(
        env,
        "okr",
        "set-north-star",
        "--metric",
        "premium repeat buyers",
        "--target",
        "12000",
        "--unit",
        "customers",
        "--owner",
        "p-ceo",
    )
    assert "north-star v1" in star.stdout
