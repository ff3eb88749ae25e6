"""Rebuilding the KR-progress projection from the sales topic while the worker and the API
keep serving: the rebuilt tables equal the live ones row for row, no alert is published
during the rebuild, the API answers throughout, and the worker carries on exactly after it."""

from __future__ import annotations

import asyncio

import asyncpg
import httpx

from infra.postgres.accounts import create_client
from projections.rebuild import OkrRebuild
from tests.stack import (
    assert_projection_exact,
    eventually,
    load_company,
    produce_singles,
    run_cli,
    seed_simulated_quarter,
    simulated_facts,
    small_company,
    start_api,
    wait_caught_up,
)

TABLES = {
    "sales_fact_seen": "SELECT * FROM sales_fact_seen ORDER BY 1",
    "sales_rollup_daily": "SELECT * FROM sales_rollup_daily"
    " ORDER BY unit_id, day, category, sku, channel, source_partition",
    "sales_customer_month": "SELECT * FROM sales_customer_month"
    " ORDER BY unit_id, month, customer_id, source_partition",
    "sales_purchase": "SELECT * FROM sales_purchase ORDER BY 1",
    "sales_refund_pending": "SELECT * FROM sales_refund_pending ORDER BY 1",
    "sales_clock": "SELECT * FROM sales_clock ORDER BY source_partition",
    # values; as_of and updated_at say when a row was last written, which a replay changes
    "kr_progress": "SELECT kr_id, actual, progress_pct, progress_display, provenance,"
    " counted_from, counted_to, revenue_minor, units, premium_revenue_minor, payments_minor,"
    " leads, first_orders FROM kr_progress ORDER BY 1",
    "checkpoints": "SELECT projection, topic, partition, next_offset FROM projection_checkpoint"
    " ORDER BY 1, 2, 3",
}


async def rebuild_while_polling(env, name: str, token: str, path: str) -> list[int]:
    """Run the rebuild while a client reads `path` every 20 ms; returns the status codes."""
    base = await start_api(env)
    answers: list[int] = []
    stop = asyncio.Event()

    async def poll() -> None:
        async with httpx.AsyncClient(
            base_url=base, timeout=10, headers={"Authorization": f"Bearer {token}"}
        ) as http:
            while not stop.is_set():
                answers.append((await http.get(path)).status_code)
                await asyncio.sleep(0.02)

    polling = asyncio.create_task(poll())
    done = await run_cli(env, "projections", "rebuild", name, "--quiet")
    stop.set()
    await polling
    assert done.returncode == 0, done.stderr
    assert f"rebuilt {name}" in done.stdout
    return answers


async def snapshot(conn) -> dict[str, list[tuple]]:
    return {name: [tuple(r) for r in await conn.fetch(sql)] for name, sql in TABLES.items()}


async def test_rebuild_swaps_in_identical_tables_without_alerts_or_downtime(env):
    company = small_company()
    await load_company(env.settings, company)
    facts = simulated_facts(company, 2500, seed=21)
    env.spawn("relay", "relay")
    env.worker()
    await produce_singles(env.settings, facts)
    await assert_projection_exact(env.settings, company, facts)
    conn = await asyncpg.connect(env.settings.dsn)
    try:
        reader = await create_client(conn, "reader", "reader")

        async def relayed() -> bool:
            return not await conn.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL")

        await eventually(relayed, 60, "the health alerts to be relayed")
        live = await snapshot(conn)
        alerts_before = await conn.fetchval("SELECT count(*) FROM outbox")
        history_before = await conn.fetchval("SELECT count(*) FROM kr_health_history")
    finally:
        await conn.close()
    assert live["sales_fact_seen"] and live["kr_progress"]

    answers = await rebuild_while_polling(env, "kr_progress", reader, "/v1/key-results")
    assert answers and set(answers) == {200}, set(answers)

    conn = await asyncpg.connect(env.settings.dsn)
    try:
        rebuilt = await snapshot(conn)
        assert await conn.fetchval("SELECT count(*) FROM outbox") == alerts_before
        assert await conn.fetchval("SELECT count(*) FROM kr_health_history") == history_before
        schemas = await conn.fetch(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'rebuild_%'"
            " OR nspname LIKE 'replaced_%'"
        )
    finally:
        await conn.close()
    for name in TABLES:
        assert rebuilt[name] == live[name], name
    assert schemas == []

    # the live worker carries on from the rebuilt checkpoints: more sales, still exact
    more = simulated_facts(company, 800, seed=22)
    await produce_singles(env.settings, more)
    await wait_caught_up(env.settings)
    await assert_projection_exact(env.settings, company, facts + more)


async def test_rebuild_catches_up_with_sales_arriving_meanwhile(env):
    """Sales keep arriving during the replay, so the live projection is ahead when the swap
    comes: the swap must bring the rebuilt tables up to it (the rebuild says how many records
    that took, and the test insists there were some)."""
    company = small_company()
    await load_company(env.settings, company)
    first = simulated_facts(company, 8000, seed=31)
    later = simulated_facts(company, 1500, seed=32)
    env.worker()
    await produce_singles(env.settings, first)
    await wait_caught_up(env.settings)
    rebuilding = asyncio.create_task(
        run_cli(env, "projections", "rebuild", "kr_progress", "--quiet")
    )
    for start in range(0, len(later), 50):
        await produce_singles(env.settings, later[start : start + 50])
        await asyncio.sleep(0.1)
    done = await rebuilding
    assert done.returncode == 0, done.stderr
    caught_up = int(done.stdout.rsplit("caught up ", 1)[1].split()[0])
    assert caught_up > 0, done.stdout
    await assert_projection_exact(env.settings, company, first + later)


# The OKR read models, listed here (not read from the rebuild): every `okr_` table of the
# schema, less the check-in KRs' alerted colours, which only a live evaluation writes (a
# rebuild alerts nothing, so it keeps them).
OKR_TABLES = (
    "okr_key_result", "okr_adjustment", "okr_check_in", "okr_objective", "okr_alignment",
    "okr_kr_weight", "okr_policy", "okr_cycle", "okr_north_star", "okr_stream_position",
    "okr_parked_stream", "okr_calibration_meeting", "okr_calibration_change",
    "okr_health_verdict", "okr_escalation", "okr_calibration_cadence", "okr_practice",
    "okr_practice_adoption", "okr_kr_comment", "okr_governance", "okr_proposal",
    "okr_certification",
)  # fmt: skip
KEPT_BY_A_REBUILD = ("okr_kr_health", "okr_kr_health_history")


async def okr_snapshot(conn) -> dict[str, list[tuple]]:
    return {
        table: sorted(tuple(str(v) for v in r) for r in await conn.fetch(f"SELECT * FROM {table}"))
        for table in (*OKR_TABLES, "key_result", "org_unit", "person")
    }


async def test_rebuilding_the_okr_read_models_leaves_them_identical(env, tmp_path):
    await seed_simulated_quarter(env, tmp_path)
    env.spawn("relay", "relay")
    env.worker()
    conn = await asyncpg.connect(env.settings.dsn)
    try:
        events = await conn.fetchval("SELECT count(*) FROM event_store")

        async def projected() -> bool:
            applied = await conn.fetchval("SELECT sum(version) FROM okr_stream_position")
            return applied == events

        await eventually(projected, 120, "the OKR read models")
        live = await okr_snapshot(conn)
        auditor = await create_client(conn, "auditor", "auditor", "p-audit", "hq")
        in_schema = await conn.fetch(
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = 'public' AND table_name LIKE 'okr\\_%'"
        )
    finally:
        await conn.close()
    assert {r["table_name"] for r in in_schema} == {*OKR_TABLES, *KEPT_BY_A_REBUILD}
    assert set(OkrRebuild.rebuilt) == set(OKR_TABLES)  # the rebuild makes every one afresh
    assert len(live["okr_key_result"]) > 200 and live["okr_adjustment"]

    answers = await rebuild_while_polling(
        env, "okr_read_models", auditor, "/v1/okr/objectives/o-hq/progress"
    )
    assert answers and set(answers) == {200}, set(answers)
    conn = await asyncpg.connect(env.settings.dsn)
    try:
        rebuilt = await okr_snapshot(conn)
        for table in live:
            assert rebuilt[table] == live[table], table
        # the live worker carries on: a new command lands in the swapped-in tables
        defined = await run_cli(
            env,
            *("okr", "define-cycle", "2031-01", "--kind", "month"),
            *("--start", "2031-01-01", "--end", "2031-01-31"),
        )
        assert defined.returncode == 0, defined.stderr

        async def landed() -> bool:
            return bool(await conn.fetchval("SELECT 1 FROM okr_cycle WHERE cycle_id = '2031-01'"))

        await eventually(landed, 60, "the new cycle in the rebuilt read model")
    finally:
        await conn.close()
