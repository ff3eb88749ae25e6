"""Objective portfolios over HTTP: focus rule (block, then warn), weights, alignment."""

from __future__ import annotations

from datetime import date

import asyncpg
import httpx

from infra.postgres.accounts import create_client
from tests.stack import define_quarter, load_company, run_cli, small_company, start_api


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

        for kr_id, unit in (
            ("kr-a", "rep-east-city1-1"),
            ("kr-b", "rep-east-city1-1"),
            ("kr-other", "rep-east-city1-2"),
        ):
            kr = {"kr_id": kr_id, "title": f"Sign-ups {kr_id}", "owner_person_id": "p-rep",
                  "owner_unit_id": unit, "kind": "increase", "unit": "%", "start": "0",
                  "target": "100"}  # fmt: skip
            assert (await send("POST", hq, "/key-results", kr)).status_code == 201
        bad = await send(
            "PUT",
            city,
            "/objectives/o-1/kr-weights",
            {**portfolio, "weights": {"kr-a": "60", "kr-b": "30"}},
        )
        assert bad.status_code == 422 and "add up to 90" in bad.json()["detail"]
        for weights, detail in (
            ({"kr-a": "60", "kr-nowhere": "40"}, "weights: key result 'kr-nowhere' does not exist"),
            ({"kr-a": "60", "kr-other": "40"},
             "weights: key result 'kr-other' is owned in 'rep-east-city1-2', outside"
             " 'rep-east-city1-1' where objective 'o-1' is"),
        ):  # fmt: skip
            refused = await send(
                "PUT", city, "/objectives/o-1/kr-weights", {**portfolio, "weights": weights}
            )
            assert (refused.status_code, refused.json()["detail"]) == (422, detail)
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


async def _events(settings) -> int:
    conn = await asyncpg.connect(settings.dsn)
    try:
        return await conn.fetchval("SELECT count(*) FROM event_store")
    finally:
        await conn.close()


async def test_alignment_refusals_over_http_and_the_cli(env):
    """Each rule once over HTTP and once from the CLI; a refusal records nothing. The chain:
    o-hq -> north star, o-city -> o-hq, o-1 -> o-city (2026-Q4); o-next in 2027-Q1."""
    await load_company(env.settings, small_company())
    await define_quarter(env.settings)
    await define_quarter(env.settings, "2027-Q1", (date(2027, 1, 1), date(2027, 3, 31)))
    conn = await asyncpg.connect(env.settings.dsn)
    try:
        hq = await create_client(conn, "hq", "hq_admin", "p-hq", "hq")
    finally:
        await conn.close()
    base = await start_api(env)

    def body(objective_id, owner, unit, parent, cycle_id="2026-Q4"):
        return {
            "objective_id": objective_id, "title": objective_id, "owner_person_id": owner,
            "owner_unit_id": unit, "cycle_id": cycle_id,
            "contributes_to": [{"parent_id": parent, "weight": "100"}],
        }  # fmt: skip

    async with httpx.AsyncClient(
        base_url=f"{base}/v1/okr", headers={"Authorization": f"Bearer {hq}"}, timeout=30
    ) as http:
        for made in (
            body("o-hq", "p-hq", "hq", "north-star"),
            body("o-city", "p-city", "east-city1", "o-hq"),
            body("o-1", "p-rep", "rep-east-city1-1", "o-city"),
            body("o-next", "p-city", "east-city1", "north-star", "2027-Q1"),
        ):
            answer = await http.post("/objectives", json=made)
            assert answer.status_code == 201, answer.text

        refusals = {
            "an unknown parent": (
                "POST", "/objectives", body("o-2", "p-rep", "rep-east-city1-1", "o-nowhere"),
                "contributes_to: objective 'o-nowhere' does not exist",
            ),
            "a parent in a later cycle": (
                "POST", "/objectives", body("o-3", "p-rep", "rep-east-city1-1", "o-next"),
                "contributes_to: objective 'o-next' is in cycle '2027-Q1', which does not"
                " contain '2026-Q4'; a parent is in the same cycle or one that encloses it",
            ),
            "a loop": (
                "POST", "/objectives/o-hq/align",
                {"owner_person_id": "p-hq", "cycle_id": "2026-Q4",
                 "contributes_to": [{"parent_id": "o-1", "weight": "100"}]},
                "contributes_to: o-hq -> o-1 -> o-city -> o-hq would be a loop",
            ),
        }  # fmt: skip
        for rule, (method, path, sent, detail) in refusals.items():
            before = await _events(env.settings)
            answer = await http.request(method, path, json=sent)
            assert (answer.status_code, answer.json()["detail"]) == (422, detail), rule
            assert await _events(env.settings) == before, rule

    cli = {
        "an unknown parent": (
            ["define-objective", "o-4", "--title", "t", "--owner", "p-rep",
             "--unit", "rep-east-city1-1", "--cycle", "2026-Q4",
             "--contributes-to", "o-nowhere:100"],
            "contributes_to: objective 'o-nowhere' does not exist",
        ),
        "a parent in a later cycle": (
            ["define-objective", "o-5", "--title", "t", "--owner", "p-rep",
             "--unit", "rep-east-city1-1", "--cycle", "2026-Q4", "--contributes-to", "o-next:100"],
            "objective 'o-next' is in cycle '2027-Q1', which does not contain '2026-Q4'",
        ),
        "a loop": (
            ["align-objective", "o-city", "--owner", "p-city", "--cycle", "2026-Q4",
             "--contributes-to", "o-1:100"],
            "contributes_to: o-city -> o-1 -> o-city would be a loop",
        ),
    }  # fmt: skip
    for rule, (args, detail) in cli.items():
        before = await _events(env.settings)
        done = await run_cli(env, "okr", *args)
        assert done.returncode != 0 and detail in done.stderr, (rule, done.stderr)
        assert await _events(env.settings) == before, rule
    realigned = await run_cli(
        env, "okr", "align-objective", "o-1", "--owner", "p-rep", "--cycle", "2026-Q4",
        "--contributes-to", "o-hq:100",
    )  # fmt: skip
    assert realigned.returncode == 0, realigned.stderr
