"""Benchmark of the command side: target-adjustment request latency over HTTP at a steady
rate, and sustained commands/s, next to a plain single-row INSERT loop (the ceiling).

    .venv/bin/python -m bench.commands [--rate 200] [--seconds 20]
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
from datetime import UTC, datetime

import asyncpg
import httpx

from bench.slice import write_results
from handlers.catalog_import import load_plan_now
from infra.postgres.accounts import create_client
from infra.procs import port_open
from infra.settings import REPO_ROOT, Settings
from simulator.company import company_catalog
from tests.isolation import drop_isolated, environ_for, isolated_settings

KRS = 2000


async def _insert_ceiling(dsn: str, count: int) -> float:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("CREATE TEMP TABLE ceiling (id bigserial PRIMARY KEY, body jsonb)")
        started = time.perf_counter()
        for n in range(count):
            await conn.execute("INSERT INTO ceiling (body) VALUES ($1)", json.dumps({"n": n}))
        return count / (time.perf_counter() - started)
    finally:
        await conn.close()


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[int(q * (len(ordered) - 1))]


async def run(rate: int, seconds: float, sustained: int) -> dict[str, object]:
    base = Settings()
    settings = await isolated_settings(base, "cmdbench", api_port=18401)
    api = None
    try:
        conn = await asyncpg.connect(settings.dsn)
        try:
            await load_plan_now(settings, conn, company_catalog(datetime.now(UTC).date()))
            hq = await create_client(conn, "bench-hq", "hq_admin", "p-hq", "hq")
            rep = await create_client(conn, "bench-rep", "rep", "p-rep", "rep-shanghai-01")
        finally:
            await conn.close()
        api = subprocess.Popen(
            [sys.executable, "-m", "northstar_cli.main", "api"],
            env={**os.environ, **environ_for(settings), "NORTHSTAR_LOG_LEVEL": "warning"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=REPO_ROOT,
        )
        deadline = time.monotonic() + 30
        while not port_open("127.0.0.1", settings.api_port) and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{settings.api_port}/v1/okr",
            timeout=30,
            limits=httpx.Limits(max_connections=32),
        ) as http:
            for n in range(KRS):
                reply = await http.post(
                    "/key-results",
                    headers={"Authorization": f"Bearer {hq}"},
                    json={
                        "kr_id": f"kr-{n}",
                        "title": "Revenue 500k",
                        "owner_person_id": "p-rep",
                        "owner_unit_id": "rep-shanghai-01",
                        "kind": "increase",
                        "unit": "CNY",
                        "start": "0",
                        "target": "500000",
                    },
                )
                reply.raise_for_status()
            counter = 0

            async def request_and_cancel(kr: int) -> float:
                """One adjustment request (timed), then its cancellation to free the KR."""
                nonlocal counter
                counter += 1
                request_id = f"adj-{counter}"
                headers = {"Authorization": f"Bearer {rep}"}
                started = time.perf_counter()
                reply = await http.post(
                    f"/key-results/kr-{kr}/adjustments",
                    headers=headers,
                    json={
                        "request_id": request_id,
                        "proposed_target": str(400_000 + counter),
                        "reason": "benchmark request",
                    },
                )
                latency = time.perf_counter() - started
                reply.raise_for_status()
                (
                    await http.post(
                        f"/key-results/kr-{kr}/adjustments/{request_id}/cancel",
                        headers=headers,
                        json={},
                    )
                ).raise_for_status()
                return latency

            # Steady rate: each KR is used by one request at a time (round robin over KRS).
            latencies: list[float] = []
            tasks: list[asyncio.Task[float]] = []
            started = time.monotonic()
            sent = 0
            while time.monotonic() - started < seconds:
                due = int((time.monotonic() - started) * rate / 2)  # 2 commands per task
                while sent < due:
                    tasks.append(asyncio.create_task(request_and_cancel(sent % KRS)))
                    sent += 1
                await asyncio.sleep(0.002)
            latencies = list(await asyncio.gather(*tasks))
            achieved = 2 * sent / (time.monotonic() - started)

            # Sustained: as fast as 16 concurrent clients go, request + cancel = 2 commands.
            started_s = time.perf_counter()
            queue = list(range(sustained))

            async def client() -> None:
                while queue:
                    n = queue.pop()
                    await request_and_cancel(n % KRS)

            await asyncio.gather(*(client() for _ in range(16)))
            sustained_rate = 2 * sustained / (time.perf_counter() - started_s)
        ceiling = await _insert_ceiling(settings.dsn, 5000)
    finally:
        if api is not None:
            api.terminate()
            api.wait(timeout=30)
        await drop_isolated(base, settings)
    return {
        "when": datetime.now(UTC).isoformat(),
        "steady": {
            "target_rate": rate,
            "achieved_rate": achieved,
            "requests": len(latencies),
            "note": "each request is followed by a cancel, so commands/s is twice this",
            "p50_ms": 1000 * statistics.median(latencies),
            "p99_ms": 1000 * _percentile(latencies, 0.99),
            "max_ms": 1000 * max(latencies),
        },
        "sustained_commands_per_s": sustained_rate,
        "plain_insert_loop_per_s": ceiling,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--sustained", type=int, default=3000)
    args = parser.parse_args()
    results = asyncio.run(run(args.rate, args.seconds, args.sustained))
    out = write_results("commands", results)
    steady = results["steady"]
    print(f"""
adjustment request over HTTP at a steady {steady["achieved_rate"]:.0f} commands/s (requests + their cancels): p50 {steady["p50_ms"]:.1f} ms, p99 {steady["p99_ms"]:.1f} ms, max {steady["max_ms"]:.1f} ms   [target p99 <= 50 ms]
sustained: {results["sustained_commands_per_s"]:,.0f} commands/s (16 clients, HTTP, load+decide+append+outbox)
ceiling: plain single-row INSERT loop {results["plain_insert_loop_per_s"]:,.0f} rows/s
results: {out}""")


if __name__ == "__main__":
    main()
