"""Kill -9, rebalances and database restarts while sales stream in: totals stay exact."""

from __future__ import annotations

import asyncio
import random

import asyncpg
import pytest

from infra.postgres.cluster import PostgresCluster
from infra.settings import Settings
from tests.stack import (
    ARTIFACTS,
    assert_projection_exact,
    eventually,
    kill9,
    load_company,
    produce_singles,
    simulated_facts,
    small_company,
    stream_slowly,
    wait_caught_up,
)


async def test_worker_killed_repeatedly_at_random_moments(env):
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    company = small_company()
    await load_company(env.settings, company)
    facts = simulated_facts(company, 5000, seed=rng.randrange(1000))

    worker = env.worker("worker-0")
    producing = asyncio.create_task(stream_slowly(env.settings, facts, seconds=20))
    kills = 0
    while kills < 5 or not producing.done():
        await asyncio.sleep(rng.uniform(0.3, 3.5))
        kill9(worker)
        kills += 1
        worker = env.worker(f"worker-{kills}")
    await producing
    assert kills >= 5, f"seed {seed}"
    await assert_projection_exact(env.settings, company, facts)


async def test_two_workers_rebalance_mid_stream(env):
    company = small_company()
    await load_company(env.settings, company)
    facts = simulated_facts(company, 4000, seed=23)

    first = env.worker("worker-a")
    producing = asyncio.create_task(stream_slowly(env.settings, facts, seconds=15))
    await asyncio.sleep(4)
    env.worker("worker-b")  # joins: partitions move while batches are in flight
    await asyncio.sleep(5)
    first.terminate()  # leaves: its partitions move back to worker-b
    await producing
    await assert_projection_exact(env.settings, company, facts)


@pytest.mark.skipif(
    not PostgresCluster(Settings()).running(),
    reason="restarts the private PostgreSQL cluster; an external database is in use",
)
async def test_postgres_restart_mid_stream(env, stack):
    company = small_company()
    await load_company(env.settings, company)
    facts = simulated_facts(company, 3000, seed=31)

    env.worker()
    producing = asyncio.create_task(stream_slowly(env.settings, facts, seconds=12))
    await asyncio.sleep(3)
    cluster = PostgresCluster(stack)
    await asyncio.to_thread(cluster.stop, "fast")
    await asyncio.sleep(4)
    await asyncio.to_thread(cluster.start)
    await producing
    await assert_projection_exact(env.settings, company, facts)


async def test_a_broken_database_waits_for_the_repair_and_resumes_exactly(env):
    """A failure every record would meet (a table renamed away) is neither acked away nor
    blamed on the records (no dead letter): the worker waits, retrying in place, and goes on
    exactly once the table is back."""
    company = small_company()
    await load_company(env.settings, company)
    facts = simulated_facts(company, 1200, seed=41)
    worker = env.worker("worker-1")
    await produce_singles(env.settings, facts[:600])
    await wait_caught_up(env.settings)

    conn = await asyncpg.connect(env.settings.owner_dsn)  # schema work: the owner's
    try:
        await conn.execute("ALTER TABLE sales_rollup_daily RENAME TO sales_rollup_daily_moved")
        await produce_singles(env.settings, facts[600:])
        log = ARTIFACTS / env.name / "worker-1.log"
        await eventually(
            lambda: asyncio.to_thread(lambda: "UndefinedTableError" in log.read_text()),
            60,
            "the worker to meet the missing table",
        )
        await conn.execute("ALTER TABLE sales_rollup_daily_moved RENAME TO sales_rollup_daily")
    finally:
        await conn.close()
    await assert_projection_exact(env.settings, company, facts)
    assert worker.poll() is None
    assert "apply_failed" not in log.read_text()
