"""KR health crosses thresholds while the worker is killed -9: every transition is alerted
at least once, never under two ids, and a plain consumer validates each against the contract."""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from decimal import Decimal
from itertools import pairwise

import asyncpg
import jsonschema

from domain.alerts import health_alert_id
from domain.catalog import CompanyCatalog
from infra.kafka.contracts import CONTRACTS_ROOT
from simulator.company import window_kr
from tests.stack import (
    QUARTER,
    assert_projection_exact,
    eventually,
    expected_unit_totals,
    kill9,
    load_company,
    produce_singles,
    published_alerts,
    read_sse,
    simulated_facts,
    small_company,
    wait_caught_up,
)

HEALTH_SCHEMA = json.loads(
    (CONTRACTS_ROOT / "alerts" / "alert.kr.health_changed.v1.schema.json").read_text()
)


async def test_health_transitions_are_alerted_once_per_id_across_kills(env):
    base = small_company()
    facts = simulated_facts(base, 2000, seed=13)
    east_revenue = Decimal(expected_unit_totals(base, facts)["east"]["revenue_minor"]) / 100
    target = (east_revenue / Decimal("0.6")).quantize(Decimal(1))  # ends at 60%: green
    company = CompanyCatalog(
        units=base.units,
        key_results=(
            *base.key_results,
            window_kr("kr-east-watch", "East revenue", "east", "revenue", int(target), QUARTER),
        ),
    )
    await load_company(env.settings, company)
    env.spawn("relay", "relay")
    worker = env.worker("worker-0")

    await produce_singles(env.settings, facts[:500])  # ~15%: far behind the ~51% pacing line
    # Health is evaluated as often as stage 2 runs: wait for the first evaluation to see these
    # alone, or a worker starting late folds the next chunks in and starts at amber.
    await wait_caught_up(env.settings)
    producing = asyncio.create_task(produce_slowly(env.settings, facts[500:]))
    for kill in range(1, 4):
        await asyncio.sleep(1.5)
        kill9(worker)
        worker = env.worker(f"worker-{kill}")
    await producing
    await assert_projection_exact(env.settings, company, facts)

    conn = await asyncpg.connect(env.settings.dsn)
    try:

        async def relayed() -> bool:
            return (
                await conn.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0
            )

        await eventually(relayed, 60, "alerts to be relayed")
        history = [
            dict(r)
            for r in await conn.fetch(
                "SELECT transition, alert_id, old_health, new_health FROM kr_health_history"
                " WHERE kr_id = 'kr-east-watch' ORDER BY transition"
            )
        ]
    finally:
        await conn.close()

    alerts = await published_alerts(env.settings)
    ids_per_transition: dict[tuple[str, int], set[str]] = defaultdict(set)
    for alert in alerts:
        ids_per_transition[(alert["kr_id"], alert["transition"])].add(alert["alert_id"])
    assert all(len(ids) == 1 for ids in ids_per_transition.values())
    mine = sorted(
        {a["alert_id"]: a for a in alerts if a["kr_id"] == "kr-east-watch"}.values(),
        key=lambda a: a["transition"],
    )
    assert [a["transition"] for a in mine] == list(range(1, len(mine) + 1))
    assert mine[0]["old_health"] is None and mine[0]["new_health"] == "red"
    for before, after in pairwise(mine):
        assert after["old_health"] == before["new_health"] != after["new_health"]
    assert mine[-1]["new_health"] == "green"
    assert all(
        a["alert_id"] == str(health_alert_id("kr-east-watch", a["transition"])) for a in mine
    )
    assert [
        (h["transition"], str(h["alert_id"]), h["old_health"], h["new_health"]) for h in history
    ] == [(a["transition"], a["alert_id"], a["old_health"], a["new_health"]) for a in mine]


async def produce_slowly(settings, facts, chunks: int = 40) -> None:
    size = max(1, len(facts) // chunks)
    for start in range(0, len(facts), size):
        await produce_singles(settings, facts[start : start + size])
        await asyncio.sleep(0.15)


async def test_sse_subscribers_get_the_same_alerts(env):
    import httpx

    from infra.postgres.accounts import create_client
    from tests.stack import start_api

    base = small_company()
    facts = simulated_facts(base, 1200, seed=17)
    east_revenue = Decimal(expected_unit_totals(base, facts)["east"]["revenue_minor"]) / 100
    company = CompanyCatalog(
        units=base.units,
        key_results=(
            *base.key_results,
            window_kr(
                "kr-east-watch",
                "East revenue",
                "east",
                "revenue",
                int(east_revenue / Decimal("0.6")),
                QUARTER,
            ),
        ),
    )
    await load_company(env.settings, company)
    conn = await asyncpg.connect(env.settings.dsn)
    try:
        token = await create_client(conn, "subscriber", "reader")
    finally:
        await conn.close()
    env.worker()
    url = await start_api(env)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=None) as http:
        async with http.stream(
            "GET", "/v1/alerts/stream", params={"kr_id": "kr-east-watch"}
        ) as live:
            assert live.headers["content-type"].startswith("text/event-stream")
            producing = asyncio.create_task(produce_slowly(env.settings, facts, chunks=20))
            received = await read_sse(live, want=2, timeout=60)
            await producing
        await assert_projection_exact(env.settings, company, facts)
        conn = await asyncpg.connect(env.settings.dsn)
        try:
            history = [
                str(r["alert_id"])
                for r in await conn.fetch(
                    "SELECT alert_id FROM kr_health_history WHERE kr_id = 'kr-east-watch'"
                    " ORDER BY transition"
                )
            ]
        finally:
            await conn.close()
        async with http.stream(
            "GET",
            "/v1/alerts/stream",
            params={"kr_id": "kr-east-watch", "since": "2000-01-01T00:00:00Z"},
        ) as replay:
            replayed = await read_sse(replay, want=len(history), timeout=30)
    assert len(received) >= 2
    assert [e["id"] for e in received] == history[: len(received)]
    assert received[0]["data"]["old_health"] is None
    for event in received:  # the same alert document as on the topic
        jsonschema.validate(event["data"], HEALTH_SCHEMA)
    assert [e["id"] for e in replayed] == history
