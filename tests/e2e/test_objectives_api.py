"""Objective portfolios over HTTP: focus rule (block, then warn), weights, alignment."""

from __future__ import annotations

import asyncpg
import httpx

from infra.postgres.accounts import create_client
from tests.stack import define_quarter, load_company, small_company, start_api


async def test_objective_portfolio_over_http(env):
    await load_company(env.settings, small_company())
    await define_quarter(env.settings)
    conn = await asyncpg.connect(env.settings.dsn)
    try:
        rep = await create_client(conn, "rep", "rep", "p-rep", "rep-east-city1-1")
        city = await create_client(conn, "city", "manager", "p-city", "east-city1")
        hq = await create_client(conn, "hq", "hq_admin", "p-hq", "hq")
    finally:
        await conn.close()
    await start_api(env)
    portfolio = {"owner_person_id": "p-rep", "cycle_id": "2026-Q4"}

    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{env.settings.api_port}/v1/okr", timeout=30
    ) as http:

        def send(method, token, path, body):
            return http.request(
                method, path, json=body, headers={"Authorization": f"Bearer {token}"}
            )

        def objective(n):
            return {
                **portfolio,
                "objective_id": f"o-{n}",
                "title": f"Objective {n}",
                "owner_unit_id": "rep-east-city1-1",
                "contributes_to": [{"parent_id": "north-star", "weight": "30"}],
            }

        for n in (1, 2, 3):
            made = await send("POST", rep, "/objectives", objective(n))
            assert made.status_code == 201, made.text
        fourth = await send("POST", rep, "/objectives", objective(4))
        assert fourth.status_code == 409
        assert "at most 3" in fourth.json()["detail"]

        assert (await send("PUT", city, "/policy/focus", {"mode": "warn"})).status_code == 403
        assert (await send("PUT", hq, "/policy/focus", {"mode": "warn"})).status_code == 200
        warned = await send("POST", rep, "/objectives", objective(4))
        assert warned.status_code == 201
        assert [h["code"] for h in warned.json()["hints"]] == ["too_many_objectives"]

        bad = await send(
            "PUT",
            city,
            "/objectives/o-1/kr-weights",
            {**portfolio, "weights": {"kr-a": "60", "kr-b": "30"}},
        )
        assert bad.status_code == 422 and "add up to 90" in bad.json()["detail"]
        good = await send(
            "PUT",
            city,
            "/objectives/o-1/kr-weights",
            {**portfolio, "weights": {"kr-a": "60", "kr-b": "40"}},
        )
        assert good.status_code == 200, good.text
        too_heavy = await send(
            "POST",
            rep,
            "/objectives/o-1/align",
            {**portfolio, "contributes_to": [{"parent_id": "x", "weight": "150"}]},
        )
        assert too_heavy.status_code == 422
        assert too_heavy.json()["errors"][0]["field"] == "body.contributes_to.0.weight"
        closed = await send(
            "POST", rep, "/objectives/o-2/close", {**portfolio, "outcome": "dropped"}
        )
        assert closed.status_code == 200
        again = await send(
            "POST", rep, "/objectives/o-2/close", {**portfolio, "outcome": "dropped"}
        )
        assert again.status_code == 409
        missing = await send(
            "POST", rep, "/objectives/o-9/close", {**portfolio, "outcome": "dropped"}
        )
        assert missing.status_code == 404
