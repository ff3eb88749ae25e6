"""`northstar observe` on the real stack: Debian's Prometheus scrapes the API, the relay and
Debian's PostgreSQL exporter (connected as the monitor role) at the ports the settings give,
with every alert rule loaded; the exporter reports this test's database, as the monitor sees
it, next to what the owner reads from the same statistics."""

from __future__ import annotations

import asyncpg
import httpx

from tests.stack import eventually, metrics_ports, start_api


async def _query(http: httpx.AsyncClient, prometheus: str, expr: str) -> list[dict]:
    try:
        reply = await http.get(f"{prometheus}/api/v1/query", params={"query": expr})
    except httpx.HTTPError:
        return []
    return reply.json()["data"]["result"] if reply.status_code == 200 else []


async def test_prometheus_scrapes_every_process_and_the_database_as_the_monitor(env, tmp_path):
    base = metrics_ports()
    ports = metrics_ports()
    prometheus, exporter = f"http://127.0.0.1:{ports}", f"http://127.0.0.1:{ports + 1}"
    metrics_env = {"NORTHSTAR_METRICS_PORT": str(base)}
    env.spawn("relay", "relay", extra_env=metrics_env)
    await start_api(env)
    env.spawn(
        "observe",
        *("observe", "--port", str(ports), "--exporter-port", str(ports + 1)),
        *("--scrape-every", "1", "--storage", str(tmp_path)),
        extra_env=metrics_env,
    )
    async with httpx.AsyncClient(timeout=10) as http:

        async def all_up() -> bool:
            up = {
                r["metric"]["job"]: r["value"][1]
                for r in await _query(http, prometheus, "up")
            }  # fmt: skip
            wanted = ("northstar-api", "northstar-relay", "postgres")
            return all(up.get(job) == "1" for job in wanted)

        await eventually(all_up, 90, "Prometheus to scrape the API, the relay and the exporter")
        assert [r["value"][1] for r in await _query(http, prometheus, "pg_up")] == ["1"]
        backlog = await _query(http, prometheus, "northstar_outbox_backlog_events")
        assert [r["metric"]["job"] for r in backlog] == ["northstar-api"]

        rules = (await http.get(f"{prometheus}/api/v1/rules")).json()["data"]["groups"]
        loaded = {rule["name"] for group in rules for rule in group["rules"]}
        assert len(loaded) == 7 and "NorthstarDatabaseDown" in loaded

        database = env.settings.dsn.rsplit("/", 1)[1]
        exported = (await http.get(f"{exporter}/metrics")).text
        commits = [
            float(line.rsplit(" ", 1)[1])
            for line in exported.splitlines()
            if line.startswith("pg_stat_database_xact_commit{") and f'datname="{database}"' in line
        ]
    owner = await asyncpg.connect(env.settings.owner_dsn)
    try:
        now = await owner.fetchval(
            "SELECT xact_commit FROM pg_stat_database WHERE datname = $1", database
        )
    finally:
        await owner.close()
    assert len(commits) == 1 and 0 < commits[0] <= now
