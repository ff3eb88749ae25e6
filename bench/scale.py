"""Benchmark of issue #12: the same backlog of sales (one Kafka record per fact, as outside
producers send them) drained by one sales worker and then by two, each on a fresh topic and
database; wall time from the first committed batch to both stages caught up, and the workers'
CPU-seconds per million facts (from /proc), in one run.

    .venv/bin/python -m bench.scale [--sales 100000] [--workers 1,2]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from datetime import UTC, datetime

import asyncpg

from bench.slice import TODAY, Stack, produce_backlog, write_results
from infra.settings import REPO_ROOT, Settings
from projections.sales.kr_progress import applied_through
from simulator.company import company_catalog
from simulator.sales import SalesSimulator

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int, *, ended_children: bool = False) -> float:
    """User + system CPU of a process (its threads included), and with `ended_children` that of
    the children it has reaped."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    own = int(fields[11]) + int(fields[12])
    return (own + (int(fields[13]) + int(fields[14]) if ended_children else 0)) / TICKS


async def drain(base: Settings, sales: int, workers: int) -> dict[str, object]:
    async with Stack(base, f"scale{workers}") as stack:
        simulator = SalesSimulator(company_catalog(TODAY.date()), seed=12, source="scale")
        facts = await produce_backlog(stack, simulator, sales)
        ends = await stack.end_offsets()
        processes = [
            subprocess.Popen(
                [sys.executable, "-m", "northstar_cli.main", "worker", "--only", "sales"],
                env={**stack.environ(), "NORTHSTAR_PROCESS_INSTANCE": f"scale-{n}"},
                cwd=REPO_ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for n in range(workers)
        ]
        stack.workers.extend(processes)
        conn = await asyncpg.connect(stack.settings.dsn)
        try:
            while not any((await applied_through(conn, stack.settings.sales_topic)).values()):
                await asyncio.sleep(0.01)
            started = time.monotonic()
            cpu_at_start = sum(cpu_seconds(p.pid) for p in processes)
            while True:
                done = await applied_through(conn, stack.settings.sales_topic)
                if all(done.get(p, 0) >= end for p, end in ends.items() if end):
                    break
                await asyncio.sleep(0.02)
            elapsed = time.monotonic() - started
            cpu = sum(cpu_seconds(p.pid) for p in processes) - cpu_at_start
            projected = await conn.fetchval("SELECT count(*) FROM sales_fact_seen")
        finally:
            await conn.close()
    return {
        "workers": workers,
        "facts": facts,
        "facts_projected": projected,
        "seconds": elapsed,
        "facts_per_s": facts / elapsed,
        "worker_cpu_seconds": cpu,
        "worker_cpu_seconds_per_million_facts": cpu / facts * 1_000_000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sales", type=int, default=100_000)
    parser.add_argument("--workers", default="1,2")
    args = parser.parse_args()
    counts = [int(w) for w in args.workers.split(",")]

    async def run() -> dict[str, object]:
        runs = [await drain(Settings(), args.sales, w) for w in counts]
        return {
            "when": datetime.now(UTC).isoformat(),
            "machine": {"cpus": os.cpu_count()},
            "runs": runs,
        }

    results = asyncio.run(run())
    out = write_results("scale", results)
    runs = results["runs"]
    base = runs[0]
    for r in runs:  # type: ignore[union-attr]
        print(
            f"{r['workers']} worker(s): {r['facts']:,} facts in {r['seconds']:.1f} s ="
            f" {r['facts_per_s']:,.0f} facts/s; worker CPU {r['worker_cpu_seconds_per_million_facts']:.1f}"
            f" s per million facts ({r['worker_cpu_seconds_per_million_facts'] / base['worker_cpu_seconds_per_million_facts']:.2f}x of"  # type: ignore[index]
            f" {base['workers']}); wall {r['seconds'] / base['seconds']:.2f}x"  # type: ignore[index]
        )
    print(
        f"results: {out}\n[target: 2 workers within 15% of 1 in CPU-seconds per million facts, wall time no worse]"
    )


if __name__ == "__main__":
    main()
