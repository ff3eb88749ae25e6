"""Scale-out by partitions (issue 12, ADR 0008): sales workers share the partitions, each stage
1 writes only its partitions' rows, stage 2 takes KR shards without waiting for anyone; kill -9
of workers with 2 and then 4 running leaves every total and KR value exact."""

from __future__ import annotations

import asyncio
import random
import time
from collections import defaultdict

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition

from domain.alerts import health_alert_id
from domain.sales import SaleFact
from infra.kafka.codec import decode_record
from tests.stack import (
    TestEnv,
    assert_projection_exact,
    eventually,
    expected_unit_totals,
    group_assignment,
    kill9,
    load_company,
    produce_singles,
    simulated_facts,
    small_company,
    stream_slowly,
    wait_caught_up,
)


def sales_worker(env: TestEnv, label: str):
    """The sales agent alone in a process (both stages), as `northstar worker --only sales`; a
    replica of its own name, as systemd and compose run them (its own heartbeat row)."""
    return env.spawn(
        label, "worker", "--only", "sales", extra_env={"NORTHSTAR_PROCESS_INSTANCE": label}
    )


async def assert_alerts_once(settings) -> None:
    """Each KR's health transitions are numbered 1..n with no gap or repeat, and each has the
    one deterministic alert id of its (KR, transition) in the outbox, once."""
    conn = await asyncpg.connect(settings.dsn)
    try:
        history = await conn.fetch(
            "SELECT kr_id, transition, alert_id FROM kr_health_history ORDER BY kr_id, transition"
        )
        outbox = await conn.fetch(
            "SELECT event_id, alert_kr_id FROM outbox WHERE topic = $1", settings.alerts_topic
        )
    finally:
        await conn.close()
    by_kr: dict[str, list[int]] = defaultdict(list)
    for row in history:
        by_kr[row["kr_id"]].append(row["transition"])
        assert row["alert_id"] == health_alert_id(row["kr_id"], row["transition"])
    for kr_id, transitions in by_kr.items():
        assert transitions == list(range(1, len(transitions) + 1)), kr_id
    sent = [str(r["event_id"]) for r in outbox if r["alert_kr_id"] is not None]
    assert sorted(sent) == sorted(str(r["alert_id"]) for r in history)


async def test_workers_killed_with_two_then_four_running_stay_exact(env):
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    company = small_company()
    await load_company(env.settings, company)
    facts = simulated_facts(company, 8000, seed=rng.randrange(1000))
    workers = [sales_worker(env, f"w{i}") for i in range(2)]
    producing = asyncio.create_task(stream_slowly(env.settings, facts, seconds=50, chunks=80))
    kills = 0
    while kills < 10 or not producing.done():
        if kills == 5:
            workers += [sales_worker(env, f"w{i}") for i in (2, 3)]  # now four: rebalance
        await asyncio.sleep(rng.uniform(0.5, 4.0))
        victim = rng.randrange(len(workers))
        kill9(workers[victim])
        kills += 1
        workers[victim] = sales_worker(env, f"w-{kills}")
    await producing
    assert len(workers) == 4, f"seed {seed}"
    await assert_projection_exact(env.settings, company, facts)
    await assert_alerts_once(env.settings)


async def one_partition_each(settings) -> bool:
    owned = await group_assignment(settings, "sales")
    return (
        len(owned) == settings.topic_partitions == 4
        and sorted(map(len, owned)) == [1] * 4
        and (set().union(*owned) == set(range(settings.topic_partitions)))
    )


async def _lock_waits(dsn: str, stop: asyncio.Event) -> tuple[int, list[str]]:
    """Samples every 20 ms: sessions of this database waiting for a lock another holds."""
    conn = await asyncpg.connect(dsn)
    samples, waits = 0, []
    try:
        while not stop.is_set():
            rows = await conn.fetch(
                "SELECT a.pid, a.wait_event, l.locktype, l.objid, left(a.query, 120) AS query"
                " FROM pg_stat_activity a JOIN pg_locks l ON l.pid = a.pid AND NOT l.granted"
                " WHERE a.datname = current_database() AND a.wait_event_type = 'Lock'"
            )
            samples += 1
            waits += [f"{r['locktype']}/{r['objid']}: {r['query']}" for r in rows]
            await asyncio.sleep(0.02)
    finally:
        await conn.close()
    return samples, waits


async def _facts_by_partition(settings) -> dict[int, list[SaleFact]]:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap, enable_auto_commit=False
    )
    await consumer.start()
    found: dict[int, list[SaleFact]] = defaultdict(list)
    try:
        partitions = [
            TopicPartition(settings.sales_topic, p) for p in range(settings.topic_partitions)
        ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        while any([await consumer.position(tp) < end for tp, end in ends.items()]):
            for tp, records in (await consumer.getmany(timeout_ms=500)).items():
                for record in records:
                    found[tp.partition] += decode_record(record.value, 1 << 20).facts
    finally:
        await consumer.stop()
    return found


async def test_four_workers_never_wait_for_each_other_and_keep_to_their_partitions(env):
    company = small_company()
    await load_company(env.settings, company)
    warm_up = simulated_facts(company, 400, seed=61)
    facts = simulated_facts(company, 6000, seed=62)
    for i in range(4):
        sales_worker(env, f"w{i}")
    await produce_singles(env.settings, warm_up)
    await wait_caught_up(env.settings, timeout=120)
    # The fault this test is about needs four members owning one partition each: wait until
    # the group coordinator says so, then sample, then check nothing moved meanwhile.
    await eventually(lambda: one_partition_each(env.settings), 60, "four members, one each")
    stop = asyncio.Event()
    sampling = asyncio.create_task(_lock_waits(env.settings.dsn, stop))
    started = time.monotonic()
    await stream_slowly(env.settings, facts, seconds=20, chunks=80)
    await wait_caught_up(env.settings, timeout=120)
    stop.set()
    samples, waits = await sampling
    assert samples >= 100 and time.monotonic() - started > 15, samples
    assert await one_partition_each(env.settings), "the group changed while sampling"
    assert waits == [], waits[:10]
    await assert_projection_exact(env.settings, company, warm_up + facts)

    # Each partition's roll-up rows hold exactly the facts that came in on it.
    by_partition = await _facts_by_partition(env.settings)
    conn = await asyncpg.connect(env.settings.dsn)
    try:
        rows = await conn.fetch(
            "SELECT source_partition, unit_id, sum(revenue_minor)::bigint AS revenue_minor,"
            " sum(units)::bigint AS units,"
            " sum(premium_revenue_minor)::bigint AS premium_revenue_minor"
            " FROM sales_rollup_daily WHERE sku <> '' GROUP BY 1, 2"
        )
    finally:
        await conn.close()
    stored: dict[int, dict[str, dict]] = defaultdict(dict)
    for r in rows:
        stored[r["source_partition"]][r["unit_id"]] = {
            k: r[k] for k in ("revenue_minor", "units", "premium_revenue_minor")
        }
    assert set(stored) == set(by_partition) and len(stored) == env.settings.topic_partitions
    for partition, mine in by_partition.items():
        assert stored[partition] == expected_unit_totals(company, mine), partition
