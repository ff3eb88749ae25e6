"""The field analytics have one home: `/v1/reports/...` and `northstar reports ...`. The paths
and commands they had before still answer: each old path a 308 to its new one with the same
query (and, followed, the same document), each old command the same output."""

from __future__ import annotations

import asyncpg
import httpx

from api.report_aliases import ALIASES
from infra.postgres.accounts import create_client
from tests.stack import load_company, run_cli, small_company, start_api

QUERIES = {
    "/v1/reports/churn": {"unit_id": "east", "from": "2026-10", "to": "2026-11"},
    "/v1/reports/scenarios": {"unit_id": "east", "from": "2026-11-01", "to": "2026-11-30"},
    # fixed periods: by default they end at the clock's moment, which moves between two reads
    "/v1/reports/adoption": {"between": "2026-10-01..2026-12-01"},
    "/v1/reports/manual-vs-system": {"between": "2026-10-01..2026-12-01"},
}


async def test_old_report_paths_redirect_and_old_commands_answer_the_same(env):
    await load_company(env.settings, small_company())
    conn = await asyncpg.connect(env.settings.dsn)
    try:
        token = await create_client(conn, "auditor", "auditor", "p-audit", "hq")
    finally:
        await conn.close()
    base = await start_api(env)
    async with httpx.AsyncClient(
        base_url=base, timeout=30, headers={"Authorization": f"Bearer {token}"}
    ) as http:
        documented = set((await http.get("/openapi.json")).json()["paths"])
        for old, new in ALIASES.items():
            query = QUERIES.get(new, {})
            moved = await http.get(old, params=query)
            assert moved.status_code == 308, (old, moved.status_code)
            assert moved.headers["location"] == str(httpx.URL(new, params=query)), old
            direct = await http.get(new, params=query)
            followed = await http.get(old, params=query, follow_redirects=True)
            assert direct.status_code == followed.status_code == 200, (new, direct.text)
            if not new.endswith(".svg"):  # charts are drawn at the clock's moment
                assert followed.json() == direct.json(), new
            assert new in documented and old not in documented

    for args in (["churn", "--unit", "east", "--from", "2026-10", "--to", "2026-11"],
                 ["views", "--per", "week"], ["escalation-times"]):  # fmt: skip
        now = await run_cli(env, "reports", *args)
        before = await run_cli(env, "audit", *args)
        assert now.returncode == before.returncode == 0, (args, now.stderr, before.stderr)
        assert now.stdout == before.stdout, args
