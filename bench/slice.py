"""Benchmark of the first slice: bulk ingest, single-record drain rate, freshness at a steady
rate, and the raw aiokafka decode+aggregate ceiling of the same topic, all in one run.

    .venv/bin/python -m bench.slice [--sales 1000000] [--rate 2000] [--seconds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from tqdm import tqdm

from handlers.catalog_import import load_plan_now
from infra.settings import REPO_ROOT, Settings
from projections.sales.kr_progress import applied_through
from simulator.company import company_catalog
from simulator.sales import SalesSimulator
from tests.isolation import drop_isolated, environ_for, isolated_settings

RESULTS = REPO_ROOT / "bench" / "results"


def write_results(name: str, results: dict) -> Path:
    """The benchmark's figures as JSON in bench/results/NAME-<UTC time>.json."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"{name}-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    out.write_text(json.dumps(results, indent=2, default=str))
    return out


CACHE = REPO_ROOT / "var" / "bench"
# The simulated sales happen yesterday from 02:00 UTC: in the past, as facts must be
# (`NORTHSTAR_SALES_FUTURE_TOLERANCE_S`), whenever the benchmark runs.
TODAY = datetime.now(UTC).replace(hour=2, minute=0, second=0, microsecond=0) - timedelta(days=1)


def sales_file(count: int) -> Path:
    """A JSONL file of `count` simulated sales (plus the facts they imply), cached on disk."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"sales-{count}-{TODAY.date()}.jsonl"
    if path.exists():
        return path
    simulator = SalesSimulator(company_catalog(TODAY.date()), seed=1, source="bench")
    spacing = timedelta(seconds=3600 / max(count, 1))
    with open(path.with_suffix(".tmp"), "wb") as out:
        for i in tqdm(range(count), desc="writing sales file", unit="sale", mininterval=5):
            for fact in simulator.facts_at(TODAY + i * spacing):
                out.write(fact.model_dump_json().encode() + b"\n")
    path.with_suffix(".tmp").rename(path)
    return path


class Stack:
    """An isolated database/topic set with its own workers."""

    def __init__(self, base: Settings, label: str) -> None:
        self.base, self.label = base, label
        self.settings: Settings
        self.workers: list[subprocess.Popen[bytes]] = []

    async def __aenter__(self) -> Stack:
        self.settings = await isolated_settings(self.base, self.label)
        conn = await asyncpg.connect(self.settings.dsn)
        try:
            await load_plan_now(self.settings, conn, company_catalog(TODAY.date()))
        finally:
            await conn.close()
        return self

    async def __aexit__(self, *exc: object) -> None:
        for worker in self.workers:
            worker.terminate()
        for worker in self.workers:
            worker.wait(timeout=30)
        await drop_isolated(self.base, self.settings)

    def environ(self) -> dict[str, str]:
        return {**os.environ, **environ_for(self.settings), "NORTHSTAR_LOG_LEVEL": "warning"}

    def spawn(self, *args: str, extra_env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        """`northstar ARGS` on this stack's settings, its output discarded."""
        return subprocess.Popen(
            [sys.executable, "-m", "northstar_cli.main", *args],
            env={**self.environ(), **(extra_env or {})},
            cwd=REPO_ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def start_workers(self, count: int) -> None:
        CACHE.mkdir(parents=True, exist_ok=True)
        for n in range(count):
            log = open(CACHE / f"{self.label}-worker-{n}.log", "wb")
            self.workers.append(
                subprocess.Popen(
                    [sys.executable, "-m", "northstar_cli.main", "worker"],
                    env=self.environ(),
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    cwd=REPO_ROOT,
                )
            )

    async def end_offsets(self) -> dict[int, int]:
        consumer = AIOKafkaConsumer(bootstrap_servers=self.settings.kafka_bootstrap)
        await consumer.start()
        try:
            parts = [
                TopicPartition(self.settings.sales_topic, p)
                for p in range(self.settings.topic_partitions)
            ]
            return {tp.partition: o for tp, o in (await consumer.end_offsets(parts)).items()}
        finally:
            await consumer.stop()

    async def wait_caught_up(self, timeout: float = 900) -> float:
        ends = await self.end_offsets()
        conn = await asyncpg.connect(self.settings.dsn)
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                done = await applied_through(conn, self.settings.sales_topic)
                if all(done.get(p, 0) >= end for p, end in ends.items() if end):
                    return time.monotonic()
                await asyncio.sleep(0.05)
        finally:
            await conn.close()
        raise TimeoutError("projection did not catch up")

    async def facts_projected(self) -> int:
        conn = await asyncpg.connect(self.settings.dsn)
        try:
            return int(await conn.fetchval("SELECT count(*) FROM sales_fact_seen"))
        finally:
            await conn.close()


async def raw_ceiling(settings: Settings) -> dict[str, float]:
    """What a bare aiokafka consumer does on the same topic: decode JSON, sum revenue per rep."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap,
        enable_auto_commit=False,
        max_partition_fetch_bytes=8 * 1024 * 1024,
        fetch_max_bytes=64 * 1024 * 1024,
    )
    await consumer.start()
    partitions = [TopicPartition(settings.sales_topic, p) for p in range(settings.topic_partitions)]
    consumer.assign(partitions)
    await consumer.seek_to_beginning(*partitions)
    remaining = sum((await consumer.end_offsets(partitions)).values())
    revenue: dict[str, int] = defaultdict(int)
    records = facts = 0
    started = time.perf_counter()
    try:
        while records < remaining:
            batch = await consumer.getmany(timeout_ms=200, max_records=10_000)
            for messages in batch.values():
                for message in messages:
                    records += 1
                    body = orjson.loads(message.value)
                    for event in body["events"] if body.get("type") == "sales.batch" else [body]:
                        facts += 1
                        if event["type"] == "sales.sale_recorded":
                            revenue[event["rep_id"]] += event["amount_minor"]
    finally:
        await consumer.stop()
    elapsed = time.perf_counter() - started
    return {
        "records": records,
        "facts": facts,
        "seconds": elapsed,
        "facts_per_s": facts / elapsed,
        "records_per_s": records / elapsed,
    }


async def bulk(base: Settings, count: int, workers: int) -> dict[str, object]:
    path = sales_file(count)
    lines = sum(1 for _ in open(path, "rb"))
    async with Stack(base, "bulk") as stack:
        stack.start_workers(workers)
        await _warm_up(stack, SalesSimulator(company_catalog(TODAY.date()), seed=9, source="warm"))
        started = time.monotonic()
        ingest = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "northstar_cli.main", "ingest", str(path), "--quiet"],
            env=stack.environ(),
            capture_output=True,
            text=True,
            check=True,
        )
        ingested = time.monotonic()
        finished = await stack.wait_caught_up()
        projected = await stack.facts_projected()
        ceiling = await raw_ceiling(stack.settings)
    total = finished - started
    return {
        "sales": count,
        "facts": lines,
        "facts_projected": projected,
        "workers": workers,
        "ingest_seconds": ingested - started,
        "end_to_end_seconds": total,
        "sales_per_s_end_to_end": count / total,
        "facts_per_s_end_to_end": lines / total,
        "ingest_output": ingest.stdout.strip(),
        "raw_aiokafka_ceiling": ceiling,
    }


async def singles_drain(base: Settings, count: int, workers: int) -> dict[str, object]:
    """Facts produced one record each (the plain contract form), then drained by the worker."""
    simulator = SalesSimulator(company_catalog(TODAY.date()), seed=2, source="drain")
    async with Stack(base, "drain") as stack:
        facts = await produce_backlog(stack, simulator, count)
        started = time.monotonic()
        stack.start_workers(workers)
        finished = await stack.wait_caught_up()
        ceiling = await raw_ceiling(stack.settings)
    elapsed = finished - started
    return {
        "facts": facts,
        "workers": workers,
        "seconds_including_worker_start": elapsed,
        "facts_per_s": facts / elapsed,
        "raw_aiokafka_ceiling": ceiling,
    }


async def produce_backlog(stack: Stack, simulator: SalesSimulator, sales: int) -> int:
    """`sales` simulated sales, one record per fact (the plain contract form); returns the
    number of facts."""
    producer = AIOKafkaProducer(
        bootstrap_servers=stack.settings.kafka_bootstrap, linger_ms=5, acks="all"
    )
    await producer.start()
    facts = 0
    try:
        for i in range(sales):
            for fact in simulator.facts_at(TODAY + timedelta(milliseconds=i)):
                await producer.send(
                    stack.settings.sales_topic,
                    fact.model_dump_json().encode(),
                    key=fact.customer_id.encode(),
                )
                facts += 1
        await producer.flush()
    finally:
        await producer.stop()
    return facts


Records = list[tuple[bytes, bytes | None]]  # (value, key) of the Kafka records to send


async def steady_send(
    stack: Stack, rate: float, seconds: float, next_records: Callable[[], tuple[Records, int]]
) -> dict[str, float]:
    """Send at a steady `rate` units/s for `seconds` (`next_records` gives the records to send
    and how many units they are: facts, sales...); latency of each record = send -> the
    first poll (every `POLL_S`) that finds both stages past its offset (`applied_through`)."""
    watcher = await asyncpg.connect(stack.settings.dsn)
    committed: list[tuple[float, dict[int, int]]] = []
    watching = asyncio.create_task(_watch(watcher, stack.settings.sales_topic, committed))
    producer = AIOKafkaProducer(
        bootstrap_servers=stack.settings.kafka_bootstrap, acks="all", linger_ms=2
    )
    await producer.start()
    sent: list[tuple[float, asyncio.Future]] = []
    tick = 0.01
    started = time.monotonic()
    budget = 0.0
    units = 0
    while time.monotonic() - started < seconds:
        budget += rate * tick
        while budget >= 1:
            records, size = next_records()
            for value, key in records:
                at = time.monotonic()
                sent.append((at, await producer.send(stack.settings.sales_topic, value, key=key)))
            budget -= size
            units += size
        next_tick = started + tick * (1 + int((time.monotonic() - started) / tick))
        await asyncio.sleep(max(0.0, next_tick - time.monotonic()))
    achieved = units / (time.monotonic() - started)
    await producer.flush()
    metadata = [(at, await future) for at, future in sent]
    await producer.stop()
    await stack.wait_caught_up()
    await asyncio.sleep(0.2)
    watching.cancel()
    await asyncio.gather(watching, return_exceptions=True)
    await watcher.close()
    latencies = sorted(_latencies(metadata, committed))
    return {
        "achieved_rate": achieved,
        "records": len(latencies),
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * latencies[int(0.99 * (len(latencies) - 1))],
        "max_ms": 1000 * latencies[-1],
    }


POLL_S = 0.005


async def _watch(
    conn: asyncpg.Connection, topic: str, committed: list[tuple[float, dict[int, int]]]
) -> None:
    """Polls (a NOTIFY per commit would serialise the workers' commits on PostgreSQL's
    notification queue lock, which is what the bench measures)."""
    while True:
        seen = await applied_through(conn, topic)
        if not committed or committed[-1][1] != seen:
            committed.append((time.monotonic(), seen))
        await asyncio.sleep(POLL_S)


async def freshness(base: Settings, rate: int, seconds: float, workers: int) -> dict[str, object]:
    """Produce single records at a steady rate of facts/s; latency = send -> commit."""
    simulator = SalesSimulator(company_catalog(TODAY.date()), seed=3, source="fresh")

    def one_sale() -> tuple[Records, int]:
        facts = simulator.facts_at(datetime.now(UTC))
        return [(f.model_dump_json().encode(), f.customer_id.encode()) for f in facts], len(facts)

    async with Stack(base, "fresh") as stack:
        stack.start_workers(workers)
        await _warm_up(stack, simulator)
        measured = await steady_send(stack, rate, seconds, one_sale)
    return {"target_rate": rate, "workers": workers, **measured}


async def _warm_up(stack: Stack, simulator: SalesSimulator) -> None:
    """A few records through every partition, so worker start-up and group join are not timed."""
    producer = AIOKafkaProducer(bootstrap_servers=stack.settings.kafka_bootstrap, acks="all")
    await producer.start()
    try:
        for partition in range(stack.settings.topic_partitions):
            for fact in simulator.facts_at(TODAY):
                await producer.send_and_wait(
                    stack.settings.sales_topic,
                    fact.model_dump_json().encode(),
                    partition=partition,
                )
    finally:
        await producer.stop()
    await stack.wait_caught_up(timeout=120)


def _latencies(metadata: list, committed: list[tuple[float, dict[int, int]]]) -> list[float]:
    out = []
    by_partition: dict[int, list[tuple[float, int]]] = defaultdict(list)
    for at, positions in committed:
        for partition, next_offset in positions.items():
            by_partition[partition].append((at, next_offset))
    for sent_at, meta in metadata:
        for done_at, next_offset in by_partition[meta.partition]:
            if next_offset > meta.offset and done_at >= sent_at:
                out.append(done_at - sent_at)
                break
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sales", type=int, default=1_000_000)
    parser.add_argument("--singles", type=int, default=50_000)
    parser.add_argument("--rate", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    base = Settings()

    async def run() -> dict[str, object]:
        return {
            "when": datetime.now(UTC).isoformat(),
            "machine": {"cpus": os.cpu_count()},
            "freshness": await freshness(base, args.rate, args.seconds, 1),
            "singles_drain": await singles_drain(base, args.singles, args.workers),
            "bulk": await bulk(base, args.sales, args.workers),
        }

    results = asyncio.run(run())
    out = write_results("slice", results)
    f, s, b = results["freshness"], results["singles_drain"], results["bulk"]
    print(f"""
freshness @ {f["achieved_rate"]:,.0f} facts/s (target {f["target_rate"]}): p50 {f["p50_ms"]:.1f} ms, p99 {f["p99_ms"]:.1f} ms, max {f["max_ms"]:.1f} ms   [target p99 <= 250 ms]
single-record drain: {s["facts_per_s"]:,.0f} facts/s with {s["workers"]} workers   | raw aiokafka ceiling {s["raw_aiokafka_ceiling"]["facts_per_s"]:,.0f} facts/s
bulk file: {b["sales"]:,} sales ({b["facts"]:,} facts) in {b["end_to_end_seconds"]:.1f}s = {b["sales_per_s_end_to_end"]:,.0f} sales/s end to end   [target >= 50,000]
           ingest alone {b["ingest_seconds"]:.1f}s; raw aiokafka ceiling {b["raw_aiokafka_ceiling"]["facts_per_s"]:,.0f} facts/s
results: {out}""")


if __name__ == "__main__":
    main()
