"""Benchmark of the alert fan-out (issue #11): N concurrent SSE clients on ONE API process while
the demo company's sales stream in. Prints, from one run: the most PostgreSQL connections the
whole stack held (API, worker agents, relay), whether every client got every alert once, that
sales kept reaching KR progress, and one rep's /v1/board latency at a steady rate with the
clients connected, next to the same measure with no client connected (the floor).

    .venv/bin/python -m bench.sse [--clients 1000] [--seconds 30] [--rate 50]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime

import asyncpg
import httpx

from bench.board import _seed, _steady
from bench.slice import CACHE, TODAY, Stack, write_results
from infra.postgres.accounts import create_client
from infra.procs import port_open
from infra.settings import REPO_ROOT, Settings
from simulator.company import company_catalog

CONNECTION_BOUND = 30  # documented in the README: what the stack may hold, whatever the clients


async def _connections(settings: Settings, stop: asyncio.Event, peak: list[int]) -> None:
    database = settings.dsn.rsplit("/", 1)[1]
    conn = await asyncpg.connect(settings.dsn)
    try:
        while not stop.is_set():
            count = await conn.fetchval(
                "SELECT count(*) - 1 FROM pg_stat_activity WHERE datname = $1", database
            )
            peak[0] = max(peak[0], count)
            await asyncio.sleep(0.25)
    finally:
        await conn.close()


async def run(base: Settings, clients: int, seconds: float, rate: float) -> dict[str, object]:
    async with Stack(base, "sse") as stack:
        settings = stack.settings = stack.settings.model_copy(update={"api_port": 18403})
        company_file = CACHE / "sse-company.json"
        CACHE.mkdir(parents=True, exist_ok=True)
        company_file.write_text(company_catalog(TODAY.date()).model_dump_json())
        helpers = [stack.spawn(name) for name in ("api", "relay")]
        stack.start_workers(1)
        simulator = None
        try:
            while not port_open("127.0.0.1", settings.api_port):
                await asyncio.sleep(0.2)
            await _seed(stack, 0, company_file)
            conn = await asyncpg.connect(settings.dsn)
            try:
                reader = await create_client(conn, "bench-sse", "reader")
                hq = await create_client(conn, "bench-sse-hq", "hq_admin", "p-mgr-hq", "hq")
                rep = await create_client(
                    conn, "bench-sse-rep", "rep", "p-rep-shanghai-01", "rep-shanghai-01"
                )
                first_seq = await conn.fetchval(
                    "SELECT coalesce(max(alert_seq), 0) FROM outbox WHERE topic = $1",
                    settings.alerts_topic,
                )
            finally:
                await conn.close()
            url = f"http://127.0.0.1:{settings.api_port}"
            limits = httpx.Limits(max_connections=64)
            peak, stop = [0], asyncio.Event()
            watching = asyncio.create_task(_connections(settings, stop, peak))
            ready, out = CACHE / "sse-clients.ready", CACHE / "sse-clients.json"
            ready.unlink(missing_ok=True)
            out.unlink(missing_ok=True)
            async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as http:
                floor = await _steady(http, "/v1/board", rep, rate, min(seconds, 15))
                clients_proc = subprocess.Popen(
                    [
                        *(sys.executable, "-m", "bench.sse_clients"),
                        *("--port", str(settings.api_port), "--tokens", f"{reader},{hq}"),
                        *("--clients", str(clients), "--ready", str(ready), "--out", str(out)),
                    ],
                    cwd=REPO_ROOT,
                )
                started = time.monotonic()
                while not ready.exists():
                    if clients_proc.poll() is not None or time.monotonic() - started > 180:
                        raise RuntimeError("the SSE clients did not all subscribe")
                    await asyncio.sleep(0.2)
                simulator = stack.spawn(
                    *("simulate", "sales", "--company", str(company_file)),
                    *("--rate", "200", "--duration", str(seconds)),
                )
                loaded = await _steady(http, "/v1/board", rep, rate, seconds)
                await asyncio.to_thread(simulator.wait, 120)
                stopped = time.monotonic()
                await stack.wait_caught_up(300)
                caught_up_s = time.monotonic() - stopped
                await asyncio.sleep(5)  # the last alerts reach the clients
                clients_proc.send_signal(signal.SIGTERM)
                await asyncio.to_thread(clients_proc.wait, 120)
                report = json.loads(out.read_text())
                received: list[list[str]] = report["received"]
                conn = await asyncpg.connect(settings.dsn)
                try:
                    expected = [
                        str(r[0])
                        for r in await conn.fetch(
                            "SELECT event_id FROM outbox WHERE topic = $1 AND alert_seq > $2"
                            " ORDER BY alert_seq",
                            settings.alerts_topic,
                            first_seq,
                        )
                    ]
                finally:
                    await conn.close()
            stop.set()
            await watching
        finally:
            for helper in helpers:
                helper.terminate()
            for helper in helpers:
                helper.wait(timeout=30)
    exact = sum(r == expected for r in received)
    return {
        "when": datetime.now(UTC).isoformat(),
        "clients": clients,
        "alerts": len(expected),
        "clients_with_every_alert_once_in_order": exact,
        "client_failures": report["failed"],
        "peak_db_connections": peak[0],
        "connection_bound": CONNECTION_BOUND,
        "sales_caught_up_after_s": caught_up_s,
        "rep_board_with_clients": loaded,
        "floor_rep_board_without_clients": floor,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--rate", type=float, default=50)
    args = parser.parse_args()
    results = asyncio.run(run(Settings(), args.clients, args.seconds, args.rate))
    out = write_results("sse", results)
    loaded, floor = results["rep_board_with_clients"], results["floor_rep_board_without_clients"]
    print(f"""
{results["clients"]} SSE clients on one API process, demo sales at 200 facts/s for {args.seconds:.0f} s:
  alerts recorded: {results["alerts"]}; clients that got every one once, in order: {results["clients_with_every_alert_once_in_order"]}/{results["clients"]}
  PostgreSQL connections of the whole stack at most: {results["peak_db_connections"]}   [bound {CONNECTION_BOUND}]
  sales: caught up {results["sales_caught_up_after_s"]:.1f} s after the simulator stopped
  one rep's /v1/board at {loaded["achieved_rate"]:.0f}/s with the clients: server p99 {loaded["server"]["p99_ms"]:.1f} ms, client p99 {loaded["client"]["p99_ms"]:.1f} ms   [target p99 <= 100 ms]
  floor, no SSE client: server p99 {floor["server"]["p99_ms"]:.1f} ms, client p99 {floor["client"]["p99_ms"]:.1f} ms
results: {out}""")


if __name__ == "__main__":
    main()
