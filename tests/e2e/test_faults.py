"""Kill -9, rebalances and database restarts while sales stream in: totals stay exact."""

from __future__ import annotations

import asyncio
import random
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import asyncpg
import pytest

from domain.key_result.commands import RecordCheckIn
from handlers.bootstrap import command_handlers
from infra.postgres.cluster import PostgresCluster
from infra.settings import Settings
from projections.reads.org_directory import OrgDirectory
from simulator.okr_seed import person_for
from tests.stack import (
    ARTIFACTS,
    assert_projection_exact,
    define_goal,
    define_quarter,
    eventually,
    group_assignment,
    kill9,
    load_company,
    okr_read_models_caught_up,
    produce_singles,
    register_company_people,
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
    partitions = set(range(env.settings.topic_partitions))

    async def owners(count: int) -> bool:
        owned = await group_assignment(env.settings, "sales")
        return len(owned) == count and all(owned) and set().union(*owned) == partitions

    first = env.worker("worker-a")
    producing = asyncio.create_task(stream_slowly(env.settings, facts, seconds=25))
    await asyncio.sleep(3)
    env.worker("worker-b")  # joins: partitions move while batches are in flight
    await eventually(lambda: owners(2), 30, "the partitions split between two workers")
    assert not producing.done(), "the first rebalance came after the stream"
    first.terminate()  # leaves: its partitions move back to worker-b
    await eventually(lambda: owners(1), 30, "worker-b alone owning every partition")
    assert not producing.done(), "the second rebalance came after the stream"
    await producing
    await assert_projection_exact(env.settings, company, facts)


@pytest.mark.exclusive
@pytest.mark.skipif(
    not PostgresCluster(Settings()).running(),
    reason="restarts the private PostgreSQL cluster; an external database is in use",
)
async def test_postgres_restart_mid_stream(env, stack):
    """PostgreSQL stopped and started while sales stream in and check-ins are recorded: the
    worker meets the outage (it logs its retries), totals stay exact, and no OKR stream is
    parked for a database that was only away."""
    company = small_company()
    await load_company(env.settings, company)
    await define_quarter(env.settings)
    facts = simulated_facts(company, 3000, seed=31)
    handlers = command_handlers(env.settings.okr_events_topic, OrgDirectory().load)
    hq, rep = person_for("hq", "hq"), person_for("rep-east-city1-1", "rep")
    conn = await asyncpg.connect(env.settings.dsn)
    try:
        await register_company_people(handlers, conn, company, datetime.now(UTC))
        await define_goal(handlers, conn, hq, rep, "o-rep", {"kr-pg": 100}, datetime.now(UTC))
    finally:
        await conn.close()

    env.spawn("relay", "relay")
    env.worker()
    producing = asyncio.create_task(stream_slowly(env.settings, facts, seconds=12))
    checking_in = asyncio.create_task(_check_ins_through_outages(env.settings, handlers, rep))
    await asyncio.sleep(3)
    cluster = PostgresCluster(stack)
    await asyncio.to_thread(cluster.stop, "fast")
    await asyncio.sleep(4)
    await asyncio.to_thread(cluster.start)
    await producing
    recorded, refused = await checking_in
    await assert_projection_exact(env.settings, company, facts)
    await okr_read_models_caught_up(env.settings)
    log = (ARTIFACTS / env.name / "worker.log").read_text()
    assert "projection_retry" in log, "the worker never met the outage"
    conn = await asyncpg.connect(env.settings.dsn)
    try:
        assert await conn.fetchval("SELECT count(*) FROM okr_parked_stream") == 0
        applied = await conn.fetchval("SELECT count(*) FROM okr_check_in WHERE kr_id = 'kr-pg'")
        assert applied == recorded > 0
        assert refused > 0, "no check-in met the outage"
    finally:
        await conn.close()


async def _check_ins_through_outages(settings: Settings, handlers, rep) -> tuple[int, int]:
    """Check-ins every 0.2 s for 12 s; one that fails while the database is away is counted
    and not retried. Returns how many were recorded and how many failed."""
    recorded, refused, deadline = 0, 0, asyncio.get_running_loop().time() + 12
    while asyncio.get_running_loop().time() < deadline:
        try:
            conn = await asyncpg.connect(settings.dsn, timeout=2)
            try:
                await handlers.key_results.handle(
                    conn,
                    RecordCheckIn(
                        command_id=uuid.uuid4(), kr_id="kr-pg", actor=rep, at=datetime.now(UTC),
                        summary="weekly", progress_value=Decimal(recorded), blocker="none",
                    ),
                )  # fmt: skip
                recorded += 1
            finally:
                await conn.close()
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError):
            refused += 1
        await asyncio.sleep(0.2)
    return recorded, refused


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
