"""Northstar's sales worker and its peers on ONE topic of simulated sales, each contender with one
and with two processes, in one run: facts/s from the first record to the last one applied, CPU
seconds per million facts of the contender's processes, of PostgreSQL and of the Kafka broker
(from /proc), and the per-unit totals of every contender checked against Northstar's.

    .venv/bin/python -m bench.peers [--sales 1000000] [--faust-seconds 60]

Quix Streams pins an older pydantic than Northstar's, so its peer runs from its own virtual
environment, made on first use in var/bench/quix-venv (Quix Streams, asyncpg, orjson from PyPI).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition

from bench.peers.rollup import TABLE, totals
from bench.scale import cpu_seconds
from bench.slice import CACHE, TODAY, sales_file, write_results
from handlers.catalog_import import load_plan_now
from infra.settings import REPO_ROOT, Settings
from projections.sales.kr_progress import applied_through
from simulator.company import company_catalog
from tests.isolation import drop_isolated, environ_for, isolated_settings

QUIX_VENV = CACHE / "quix-venv"
QUIX_PACKAGES = ["quixstreams==3.28.1", "asyncpg>=0.29", "orjson>=3.10"]
PEERS = {
    "aiokafka+asyncpg": "bench.peers.handrolled",
    "quix-streams": "bench.peers.quix_sink",
    "faust per event": "bench.peers.faust_agent",
}


def pids_of(match: Callable[[str, str], bool]) -> list[int]:
    """Processes whose (owner's uid, command line) match."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            uid = (entry / "status").read_text().split("Uid:")[1].split()[0]
        except (OSError, IndexError):
            continue
        if match(uid, cmdline):
            found.append(int(entry.name))
    return found


def cpu_of(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            total += cpu_seconds(pid)
        except OSError:
            pass  # ended
    return total


def postgres_cpu() -> float:
    """Every PostgreSQL process, and the backends that ended (counted in the postmaster's
    children's time)."""
    live = pids_of(lambda uid, cmd: cmd.startswith("postgres"))
    total = cpu_of(live)
    for pid in pids_of(lambda uid, cmd: "/bin/postgres " in cmd):
        total += cpu_seconds(pid, ended_children=True)
    return total


def kafka_cpu() -> float:
    return cpu_of(pids_of(lambda uid, cmd: "kafka.Kafka " in cmd))


async def end_offsets(settings: Settings) -> dict[int, int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap)
    await consumer.start()
    try:
        tps = [TopicPartition(settings.sales_topic, p) for p in range(settings.topic_partitions)]
        return {tp.partition: o for tp, o in (await consumer.end_offsets(tps)).items()}
    finally:
        await consumer.stop()


async def kafka_committed(settings: Settings, group: str) -> dict[int, int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, group_id=group)
    await consumer.start()
    try:
        out = {}
        for p in range(settings.topic_partitions):
            out[p] = await consumer.committed(TopicPartition(settings.sales_topic, p)) or 0
        return out
    finally:
        await consumer.stop()


def quix_python() -> str:
    python = QUIX_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(QUIX_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *QUIX_PACKAGES], check=True)
    return str(python)


async def produce(base: Settings, sales: int) -> tuple[Settings, int]:
    """The shared topic: `northstar ingest` of the cached sales file (batch records)."""
    path = sales_file(sales)
    facts = sum(1 for _ in open(path, "rb"))
    settings = await isolated_settings(base, "peerstopic")
    await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "northstar_cli.main", "ingest", str(path)],
        env={**os.environ, **environ_for(settings)},
        cwd=REPO_ROOT,
        check=True,
    )
    return settings, facts


async def contend(
    base: Settings, topic: Settings, facts: int, name: str, processes: int, limit_s: float
) -> dict[str, object]:
    settings = await isolated_settings(base, "peer", sales_topic=topic.sales_topic)
    group = f"{settings.app_id}-peer"
    env = {**os.environ, **environ_for(settings), "NORTHSTAR_LOG_LEVEL": "warning"}
    conn = await asyncpg.connect(settings.dsn)
    await load_plan_now(settings, conn, company_catalog(TODAY.date()))
    await conn.execute(TABLE)  # before the processes, which would race to create it
    ends = await end_offsets(topic)
    records = sum(ends.values())
    if name == "northstar":
        commands = [
            [sys.executable, "-m", "northstar_cli.main", "worker", "--only", "sales"]
        ] * processes
        envs = [{**env, "NORTHSTAR_PROCESS_INSTANCE": f"peers-{n}"} for n in range(processes)]

        async def done() -> dict[int, int]:
            return await applied_through(conn, topic.sales_topic)
    else:
        args = [settings.dsn, settings.kafka_bootstrap, topic.sales_topic, group,
                settings.company_timezone]  # fmt: skip
        python = quix_python() if name == "quix-streams" else sys.executable
        commands = [[python, "-m", PEERS[name], *args]] * processes
        envs = [{**env, "PYTHONPATH": str(REPO_ROOT)}] * processes
        if name == "aiokafka+asyncpg":

            async def done() -> dict[int, int]:
                rows = await conn.fetch("SELECT partition, next_offset FROM peer_offset")
                return {r["partition"]: r["next_offset"] for r in rows}
        else:

            async def done() -> dict[int, int]:
                return await kafka_committed(topic, group)

    procs = [
        subprocess.Popen(c, env=e, cwd=REPO_ROOT, stdout=subprocess.DEVNULL,
                         stderr=open(f"/tmp/peer-{name.split()[0]}-{n}.log", "wb"))
        for n, (c, e) in enumerate(zip(commands, envs, strict=True))
    ]  # fmt: skip
    try:
        while not any((first := await done()).values()):
            await asyncio.sleep(0.01)
            if any(p.poll() is not None for p in procs):
                raise RuntimeError(f"{name} exited: see /tmp/peer-*.log")
        # Counted from the first progress seen, less what it already held (start-up excluded).
        started = time.monotonic()
        own_at, pg_at, kafka_at = cpu_of([p.pid for p in procs]), postgres_cpu(), kafka_cpu()
        while True:
            applied = await done()
            if all(applied.get(p, 0) >= end for p, end in ends.items() if end):
                break
            if time.monotonic() - started > limit_s:
                break
            await asyncio.sleep(0.05)
        elapsed = time.monotonic() - started
        own = cpu_of([p.pid for p in procs]) - own_at
        pg, kafka = postgres_cpu() - pg_at, kafka_cpu() - kafka_at
        share = sum(min(applied.get(p, 0), end) for p, end in ends.items()) / records
        share_first = sum(min(first.get(p, 0), end) for p, end in ends.items()) / records
        table = "sales_rollup_daily" if name == "northstar" else "peer_rollup"
        sums = await totals(conn, table) if share >= 1 else None
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=60)
        await conn.close()
        await drop_isolated(base, settings)
    done_facts = facts * (share - share_first)  # records carry about as many facts each
    if not done_facts:
        raise RuntimeError(f"{name} applied the whole topic at once: give it more sales")
    per_million = 1_000_000 / done_facts
    return {
        "contender": name,
        "processes": processes,
        "complete": share >= 1,
        "facts": round(done_facts),
        "seconds": elapsed,
        "facts_per_s": done_facts / elapsed,
        "cpu_s_per_million_facts": {
            "contender": own * per_million,
            "postgres": pg * per_million,
            "kafka": kafka * per_million,
        },
        "totals": sums,
    }


async def run(sales: int, faust_seconds: float) -> dict[str, object]:
    base = Settings()
    topic, facts = await produce(base, sales)
    runs = []
    try:
        for name, counts, limit in (
            ("northstar", (1, 2), 3600.0),
            ("aiokafka+asyncpg", (1, 2), 3600.0),
            ("quix-streams", (1, 2), 3600.0),
            ("faust per event", (1,), faust_seconds),
        ):
            for processes in counts:
                print(f"{name} x{processes} ...", flush=True)
                runs.append(await contend(base, topic, facts, name, processes, limit))
                print({k: v for k, v in runs[-1].items() if k != "totals"}, flush=True)
    finally:
        await drop_isolated(base, topic)
    reference = runs[0]["totals"]
    for r in runs:
        r["totals_equal_northstar"] = None if r["totals"] is None else r["totals"] == reference
        r.pop("totals")
    return {
        "when": datetime.now(UTC).isoformat(),
        "machine": {"cpus": os.cpu_count()},
        "sales": sales,
        "facts": facts,
        "runs": runs,
    }


def _table(results: dict[str, object]) -> str:
    runs: list[dict] = results["runs"]  # type: ignore[assignment]
    ours = {r["processes"]: r["facts_per_s"] for r in runs if r["contender"] == "northstar"}
    lines = [
        f"{results['sales']:,} sales ({results['facts']:,} facts), one topic of batch records",
        f"{'contender':<18} {'procs':>5} {'facts/s':>10} {'Northstar is':>13}"
        f" {'CPU-s/M: own':>13} {'postgres':>9} {'kafka':>6}  totals",
    ]
    for r in runs:
        cpu = r["cpu_s_per_million_facts"]
        ratio = ours.get(r["processes"], 0) / r["facts_per_s"]
        check = {True: "= Northstar", False: "DIFFER", None: "partial run"}[
            r["totals_equal_northstar"]
        ]
        lines.append(
            f"{r['contender']:<18} {r['processes']:>5} {r['facts_per_s']:>10,.0f}"
            f" {ratio:>12.2f}x {cpu['contender']:>13.1f} {cpu['postgres']:>9.1f}"
            f" {cpu['kafka']:>6.1f}  {check}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sales", type=int, default=1_000_000)
    parser.add_argument("--faust-seconds", type=float, default=60)
    args = parser.parse_args()
    results = asyncio.run(run(args.sales, args.faust_seconds))
    out = write_results("peers", results)
    print(_table(results))
    print(f"results: {out}")
    print("[target: Northstar faster than aiokafka+asyncpg and quix-streams, process for process]")


if __name__ == "__main__":
    main()
