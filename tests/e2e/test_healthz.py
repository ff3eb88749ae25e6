"""`GET /healthz` as docs/how-to/run.md promises it: `ok` while every process beats; a process
killed -9 is `up: false` once its last beat is over 10 s old, and the status `degraded`; with the
database unreachable the API still answers, `degraded`, naming the database."""

from __future__ import annotations

import asyncpg
import httpx

from tests.stack import eventually, kill9, start_api

UP_WITHIN_S = 10  # the documented rule, written out here


async def test_healthz_reports_a_dead_process_and_a_lost_database(env):
    relay = env.spawn("relay", "relay")
    env.worker()
    base = await start_api(env)
    async with httpx.AsyncClient(base_url=base, timeout=10) as http:

        async def health() -> dict:
            answer = await http.get("/healthz")  # no token: it is public
            assert answer.status_code == 200, answer.text
            return answer.json()

        async def all_up() -> bool:
            found = await health()
            names = set(found.get("processes", {}))
            return found["status"] == "ok" and "relay" in names and "worker-sales" in names

        await eventually(all_up, 60, "every process beating")
        kill9(relay)

        async def relay_down() -> bool:
            return not (await health())["processes"]["relay"]["up"]

        await eventually(relay_down, 30, "the dead relay reported down")
        found = await health()
        assert found["status"] == "degraded" and found["database"] == "ok"
        assert found["processes"]["relay"]["beat_age_s"] > UP_WITHIN_S
        assert found["processes"]["worker-sales"]["up"]  # the others are still up

        # The database goes away for this test's database only: no new connections, the
        # API's pooled ones ended.
        database = env.settings.dsn.rsplit("/", 1)[1]
        owner = await asyncpg.connect(env.settings.owner_dsn.rsplit("/", 1)[0] + "/postgres")
        try:
            await owner.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false')
            await owner.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1",
                database,
            )
            lost = await health()
        finally:
            await owner.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true')
            await owner.close()
    assert lost["status"] == "degraded"
    assert lost["database"].startswith("unreachable: "), lost
    assert "processes" not in lost
