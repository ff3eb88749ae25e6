"""Goal views: every read of a KR or an objective by a person is recorded; the report gives
views per person by role and period. Service tokens reading progress are not people."""

from __future__ import annotations

import json

import asyncpg
import httpx

from infra.postgres.accounts import create_client
from tests.stack import (
    define_quarter,
    eventually,
    heads_of,
    load_company,
    run_cli,
    small_company,
    start_api,
)

KR = {
    "kr_id": "kr-rep-q4",
    "title": "Q4 revenue 500k",
    "owner_person_id": "p-rep-1",
    "owner_unit_id": "rep-east-city1-1",
    "kind": "increase",
    "unit": "CNY",
    "start": "0",
    "target": "500000",
}
OBJECTIVE = {
    "objective_id": "o-rep",
    "title": "Grow premium in my territory",
    "owner_person_id": "p-rep-1",
    "owner_unit_id": "rep-east-city1-1",
    "cycle_id": "2026-Q4",
}


async def test_reads_by_people_are_counted_per_role_and_period(env):
    await load_company(env.settings, small_company())
    await define_quarter(env.settings)
    conn = await asyncpg.connect(env.settings.dsn)
    try:
        tokens = {
            "hq": await create_client(conn, "hq", "hq_admin", "p-hq", "hq"),
            "rep1": await create_client(conn, "rep1", "rep", "p-rep-1", "rep-east-city1-1"),
            "rep2": await create_client(conn, "rep2", "rep", "p-rep-2", "rep-east-city1-2"),
            "city": await create_client(conn, "city", "manager", "p-city", "east-city1"),
            "reader": await create_client(conn, "service", "reader"),
        }
    finally:
        await conn.close()
    env.spawn("relay", "relay")
    env.worker()
    base = await start_api(env)

    def auth(who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens[who]}"}

    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        made = await http.post("/v1/okr/key-results", json=KR, headers=auth("hq"))
        assert made.status_code == 201, made.text
        made = await http.post("/v1/okr/objectives", json=OBJECTIVE, headers=auth("hq"))
        assert made.status_code == 201, made.text
        theirs = {**KR, "kr_id": "kr-rep2-q4", "owner_person_id": "p-rep-2"}
        theirs["owner_unit_id"] = "rep-east-city1-2"
        made = await http.post("/v1/okr/key-results", json=theirs, headers=auth("hq"))
        assert made.status_code == 201, made.text

        async def projected() -> bool:
            reply = await http.get("/v1/okr/objectives/o-rep/progress", headers=auth("hq"))
            kr = await http.get("/v1/okr/key-results/kr-rep-q4", headers=auth("hq"))
            kr2 = await http.get("/v1/okr/key-results/kr-rep2-q4", headers=auth("hq"))
            return {reply.status_code, kr.status_code, kr2.status_code} == {200}

        await eventually(projected, 60, "the read models")
        conn = await asyncpg.connect(env.settings.dsn)
        try:
            await conn.execute("DELETE FROM goal_view")  # the waiting above read them too
        finally:
            await conn.close()
        reads = [("rep1", "/v1/okr/key-results/kr-rep-q4")] * 3 + [
            ("rep2", "/v1/okr/key-results/kr-rep2-q4"),
            ("rep1", "/v1/okr/objectives/o-rep/progress"),
            ("city", "/v1/okr/objectives/o-rep/chain"),
            ("city", "/v1/okr/objectives/o-rep/progress"),
            ("reader", "/v1/key-results"),  # a service, not a person
        ]
        for who, path in reads:
            reply = await http.get(path, headers=auth(who))
            assert reply.status_code == 200, (who, path, reply.text)
        missing = await http.get("/v1/okr/key-results/kr-nope", headers=auth("rep1"))
        assert missing.status_code == 404  # nothing read, nothing counted
        refused = await http.get("/v1/okr/key-results/kr-rep-q4", headers=auth("rep2"))
        assert refused.status_code == 403  # not theirs: refused, not counted

    for per in ("week", "month"):
        done = await run_cli(env, "reports", "views", "--per", per, "--format", "json")
        assert done.returncode == 0, done.stderr
        rows = json.loads(done.stdout)
        # a visit counts in the period it began, so a run straddling a week or month boundary
        # splits the counts between two periods; their sums are what the reads make
        assert {r["role"] for r in rows} == {"rep", "manager"}
        # a view is a visit: a person's reads of one goal within 30 minutes count once (all of
        # these were), so it is the distinct (person, goal) pairs the people read
        role = {"rep1": "rep", "rep2": "rep", "city": "manager"}
        goals = {(who, path.split("/")[4]) for who, path in reads if who in role}
        for name in ("rep", "manager"):
            mine = [(who, goal) for who, goal in goals if role[who] == name]
            people = {who for who, _ in mine}
            got = [r for r in rows if r["role"] == name]
            assert sum(r["views"] for r in got) == len(mine)
            assert sum(r["reads"] for r in got) == sum(
                1 for who, _ in reads if role.get(who) == name
            )
            viewers = [r["viewers"] for r in got]
            assert max(viewers) <= len(people) <= sum(viewers)
            if len(got) == 1:
                assert got[0]["viewers"] == len(people)
                # per person of the role in the directory (the plan's heads), else per viewer
                registered = sum(1 for p in heads_of(small_company().units) if p.role == name)
                per = registered or len(people)
                assert got[0]["views_per_person"] == round(len(mine) / per, 2)


async def test_opening_the_board_is_one_view_however_many_goals_it_lists(env):
    """The board lists all of a person's goals on one page: opening it is one view (of the
    board), not one per objective; opening one objective on its own is a view of that goal."""
    await load_company(env.settings, small_company())
    await define_quarter(env.settings)
    conn = await asyncpg.connect(env.settings.dsn)
    try:
        hq = await create_client(conn, "hq", "hq_admin", "p-hq", "hq")
        rep = await create_client(conn, "rep1", "rep", "p-rep-1", "rep-east-city1-1")
    finally:
        await conn.close()
    env.spawn("relay", "relay")
    env.worker()
    base = await start_api(env)
    objectives = [{**OBJECTIVE, "objective_id": f"o-rep-{n}", "title": f"goal {n}"} for n in (1, 2)]
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        for objective in objectives:
            made = await http.post(
                "/v1/okr/objectives", json=objective, headers={"Authorization": f"Bearer {hq}"}
            )
            assert made.status_code == 201, made.text
        reader = {"Authorization": f"Bearer {rep}"}

        async def listed() -> bool:
            board = (await http.get("/v1/board", headers={"Authorization": f"Bearer {hq}"})).json()
            return {o["objective_id"] for o in board["objectives"]} >= {"o-rep-1", "o-rep-2"}

        await eventually(listed, 60, "both objectives on the board")
        conn = await asyncpg.connect(env.settings.dsn)
        try:
            await conn.execute("DELETE FROM goal_view")  # the waiting above read them too
            for _ in range(2):
                board = (await http.get("/v1/board", headers=reader)).json()
                assert sum(o["mine"] for o in board["objectives"]) == 2
            opened = await http.get("/v1/okr/objectives/o-rep-1/progress", headers=reader)
            assert opened.status_code == 200, opened.text
            rows = await conn.fetch("SELECT subject, subject_id FROM goal_view ORDER BY id")
        finally:
            await conn.close()
    assert [tuple(r) for r in rows] == [
        ("board", "p-rep-1"),
        ("board", "p-rep-1"),
        ("objective", "o-rep-1"),
    ]
    done = await run_cli(env, "reports", "views", "--format", "json")
    assert done.returncode == 0, done.stderr
    rep_rows = [r for r in json.loads(done.stdout) if r["role"] == "rep"]
    # two board reads within 30 minutes are one visit; the objective opened is another
    assert sum(r["views"] for r in rep_rows) == 2 and sum(r["reads"] for r in rep_rows) == 3
