"""Benchmark of the board (issue #6): the HQ admin's board with 2,000 KRs (server time p50/p99,
page weight, first render in Debian's Chromium) and one rep's board read at a steady 200
requests/s (p99); next to them, in the same run, the floor: /healthz over the same HTTP stack
at the same rate, and the board's KR query alone on a direct database connection; and the rep's
board at the same rate on several API processes sharing one port (NORTHSTAR_API_WORKERS).

    .venv/bin/python -m bench.board [--krs 2000] [--rate 200] [--seconds 20] [--api-processes 2]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
from tqdm import tqdm

from bench.slice import CACHE, TODAY, Stack, write_results
from infra.postgres.accounts import add_user, create_client, create_login_link
from infra.procs import port_open
from infra.settings import REPO_ROOT, Settings
from projections.reads.board import BOARD_KRS
from simulator.company import company_catalog
from tests.browser import launch_chromium

ASSETS = REPO_ROOT / "api" / "board"


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[int(q * (len(ordered) - 1))]


def _summary(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "p50_ms": statistics.median(values),
        "p99_ms": _percentile(values, 0.99),
        "max_ms": max(values),
    }


def _server_ms(reply: httpx.Response) -> float:
    return float(reply.headers["server-timing"].split("dur=")[1])


async def _seed(stack: Stack, krs: int, company_file: Path) -> int:
    """The demo company's OKR tree through the command path, then KRs up to `krs`, spread
    over every rep, defined over HTTP by HQ; waits until the read models have them all."""
    cli = [sys.executable, "-m", "northstar_cli.main"]
    await asyncio.to_thread(
        subprocess.run,
        [*cli, "simulate", "okrs", "--company", str(company_file), "--adjustments", "40"],
        env=stack.environ(),
        check=True,
        capture_output=True,
    )
    conn = await asyncpg.connect(stack.settings.dsn)
    try:
        existing = await conn.fetchval(
            "SELECT count(DISTINCT stream_id) FROM event_store WHERE stream_id LIKE 'kr-%'"
        )
        hq = await create_client(conn, "bench-hq", "hq_admin", "p-mgr-hq", "hq")
        reps = [r[0] for r in await conn.fetch("SELECT id FROM org_unit WHERE level = 'rep'")]
    finally:
        await conn.close()
    base = f"http://127.0.0.1:{stack.settings.api_port}"
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        queue = list(range(krs - existing))
        progress = tqdm(total=len(queue), desc="defining KRs", unit="KR")

        async def define() -> None:
            while queue:
                n = queue.pop()
                rep = reps[n % len(reps)]
                reply = await http.post(
                    "/v1/okr/key-results",
                    headers={"Authorization": f"Bearer {hq}"},
                    json={
                        "kr_id": f"kr-bench-{n}",
                        "title": f"{rep}: 新增高端客户 {10 + n % 30} 家",
                        "owner_person_id": f"p-{rep}",
                        "owner_unit_id": rep,
                        "kind": "increase",
                        "unit": "customers",
                        "start": "0",
                        "target": str(10 + n % 30),
                    },
                )
                reply.raise_for_status()
                progress.update()

        await asyncio.gather(*(define() for _ in range(8)))
        progress.close()
    conn = await asyncpg.connect(stack.settings.dsn)
    try:
        while True:
            events = await conn.fetchval("SELECT count(*) FROM event_store")
            applied = await conn.fetchval(
                "SELECT coalesce(sum(version), 0) FROM okr_stream_position"
            )
            if applied == events:
                return int(await conn.fetchval("SELECT count(*) FROM okr_key_result"))
            await asyncio.sleep(0.5)
    finally:
        await conn.close()


async def _sequential(http: httpx.AsyncClient, path: str, token: str, count: int) -> dict:
    server, client = [], []
    size = 0
    for _ in range(count):
        started = time.perf_counter()
        reply = await http.get(path, headers={"Authorization": f"Bearer {token}"})
        client.append(1000 * (time.perf_counter() - started))
        reply.raise_for_status()
        server.append(_server_ms(reply))
        size = len(reply.content)
    return {"server": _summary(server), "client": _summary(client), "bytes": size}


async def _steady(
    http: httpx.AsyncClient, path: str, token: str, rate: float, seconds: float
) -> dict:
    """Open loop: a request every 1/rate s whatever the answers do; latency per request."""
    headers = {"Authorization": f"Bearer {token}"}
    server: list[float] = []
    client: list[float] = []

    async def one() -> None:
        started = time.perf_counter()
        reply = await http.get(path, headers=headers)
        client.append(1000 * (time.perf_counter() - started))
        reply.raise_for_status()
        server.append(_server_ms(reply))

    tasks = []
    started = time.monotonic()
    sent = 0
    while time.monotonic() - started < seconds:
        due = int((time.monotonic() - started) * rate)
        while sent < due:
            tasks.append(asyncio.create_task(one()))
            sent += 1
        await asyncio.sleep(0.001)
    await asyncio.gather(*tasks)
    achieved = sent / (time.monotonic() - started)
    return {"achieved_rate": achieved, "server": _summary(server), "client": _summary(client)}


async def _first_render(base: str, settings: Settings, runs: int) -> dict:
    """Log in by link, then load /board `runs` times: ms from navigation start until the
    team view's KR cards are on screen (performance.now() at that moment)."""
    conn = await asyncpg.connect(settings.dsn)
    try:
        await add_user(conn, "bench-hana", "hq_admin", "p-mgr-hq", "hq", None)
        token = await create_login_link(conn, "bench-hana", timedelta(minutes=10))
    finally:
        await conn.close()
    playwright, browser = await launch_chromium()
    try:
        page = await (await browser.new_context()).new_page()
        await page.goto(f"{base}/v1/session/link/{token}?then=board")
        await page.wait_for_selector("#team-krs article.kr")
        times = []
        for _ in range(runs):
            await page.reload()
            await page.wait_for_selector("#team-krs article.kr")
            times.append(await page.evaluate("performance.now()"))
        cards = await page.locator("article.kr").count()
        return {**_summary(times), "cards_rendered": cards}
    finally:
        await browser.close()
        await playwright.stop()


async def _query_floor(settings: Settings, runs: int) -> dict:
    """The board's KR query alone (HQ: every KR), on a direct connection."""
    conn = await asyncpg.connect(settings.dsn)
    try:
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            await conn.fetch(BOARD_KRS, True, "p-mgr-hq", ["hq"], [])
            times.append(1000 * (time.perf_counter() - started))
        plan = await conn.fetch(
            "EXPLAIN (ANALYZE, BUFFERS) " + BOARD_KRS, True, "p-mgr-hq", ["hq"], []
        )
        return {**_summary(times), "plan": [r[0] for r in plan]}
    finally:
        await conn.close()


SHARED_PORT = 18403  # the API with several processes


async def run(
    base: Settings, krs: int, rate: int, seconds: float, api_processes: int
) -> dict[str, object]:
    async with Stack(base, "board") as stack:
        settings = stack.settings = stack.settings.model_copy(update={"api_port": 18402})
        company_file = CACHE / "board-company.json"
        CACHE.mkdir(parents=True, exist_ok=True)
        company_file.write_text(company_catalog(TODAY.date()).model_dump_json())
        helpers = [stack.spawn(name) for name in ("api", "relay")]
        stack.start_workers(1)
        try:
            while not port_open("127.0.0.1", settings.api_port):
                await asyncio.sleep(0.2)
            total = await _seed(stack, krs, company_file)
            conn = await asyncpg.connect(settings.dsn)
            try:
                hq = await create_client(conn, "bench-hq-read", "hq_admin", "p-mgr-hq", "hq")
                rep = await create_client(
                    conn, "bench-rep", "rep", "p-rep-shanghai-01", "rep-shanghai-01"
                )
            finally:
                await conn.close()
            url = f"http://127.0.0.1:{settings.api_port}"
            async with httpx.AsyncClient(
                base_url=url, timeout=30, limits=httpx.Limits(max_connections=64)
            ) as http:
                await _sequential(http, "/v1/board", hq, 5)  # warm-up
                hq_board = await _sequential(http, "/v1/board", hq, 200)
                reply = await http.get("/v1/board", headers={"Authorization": f"Bearer {hq}"})
                raw, transferred = reply.content, reply.num_bytes_downloaded
                rep_board = await _steady(http, "/v1/board", rep, rate, seconds)
                floor = await _steady(http, "/healthz", rep, rate, seconds)
            # the same load on several API processes sharing one port, in the same run
            several = stack.spawn(
                "api",
                extra_env={
                    "NORTHSTAR_API_PORT": str(SHARED_PORT),
                    "NORTHSTAR_API_WORKERS": str(api_processes),
                },
            )
            helpers.append(several)
            while not port_open("127.0.0.1", SHARED_PORT):
                await asyncio.sleep(0.2)
            async with httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{SHARED_PORT}",
                timeout=30,
                limits=httpx.Limits(max_connections=64),
            ) as http:
                await asyncio.sleep(5)  # every process imported and listening
                await _steady(http, "/v1/board", rep, rate, 3)  # and warmed up
                rep_board_shared = await _steady(http, "/v1/board", rep, rate, seconds)
            assets = {p.name: p.stat().st_size for p in ASSETS.iterdir()}
            render = await _first_render(url, settings, 10)
            query = await _query_floor(settings, 50)
        finally:
            for helper in helpers:
                helper.terminate()
            for helper in helpers:
                helper.wait(timeout=30)
    return {
        "when": datetime.now(UTC).isoformat(),
        "krs": total,
        "hq_board": hq_board,
        "page_weight_bytes": {
            "assets": assets,
            "board_json": len(raw),
            "board_json_transferred": transferred,  # gzip, as a browser asks for it
            "total_transferred": sum(assets.values()) + transferred,
        },
        "first_render_ms": render,
        "rep_board_steady": rep_board,
        "api_processes": api_processes,
        "rep_board_steady_api_processes": rep_board_shared,
        "floor_healthz_steady": floor,
        "floor_kr_query_direct": query,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--krs", type=int, default=2000)
    parser.add_argument("--rate", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--api-processes", type=int, default=2)
    args = parser.parse_args()
    results = asyncio.run(run(Settings(), args.krs, args.rate, args.seconds, args.api_processes))
    out = write_results("board", results)
    hq, rep, floor, shared = (
        results["hq_board"],
        results["rep_board_steady"],
        results["floor_healthz_steady"],
        results["rep_board_steady_api_processes"],
    )
    weight, render = results["page_weight_bytes"], results["first_render_ms"]
    query = results["floor_kr_query_direct"]
    print(f"""
HQ admin's board, {results["krs"]} KRs, 200 sequential reads:
  server time p50 {hq["server"]["p50_ms"]:.1f} ms, p99 {hq["server"]["p99_ms"]:.1f} ms   [target p99 <= 100 ms]
  (client-side p50 {hq["client"]["p50_ms"]:.1f} ms, p99 {hq["client"]["p99_ms"]:.1f} ms)
  floor: the KR query alone on a direct connection p50 {query["p50_ms"]:.1f} ms, p99 {query["p99_ms"]:.1f} ms
  page weight: {weight["total_transferred"]:,} bytes over the wire = assets {sum(weight["assets"].values()):,} + board JSON {weight["board_json_transferred"]:,} gzipped ({weight["board_json"]:,} unpacked)
  first render in Chromium (navigation start -> KR cards on screen), 10 loads: p50 {render["p50_ms"]:.0f} ms, max {render["max_ms"]:.0f} ms, {render["cards_rendered"]} cards   [target < 1 s]
One rep's board at a steady {rep["achieved_rate"]:.0f} requests/s for {args.seconds:.0f} s:
  server time p50 {rep["server"]["p50_ms"]:.1f} ms, p99 {rep["server"]["p99_ms"]:.1f} ms; client-side p99 {rep["client"]["p99_ms"]:.1f} ms   [target p99 <= 100 ms]
  floor: /healthz at the same rate, client-side p50 {floor["client"]["p50_ms"]:.1f} ms, p99 {floor["client"]["p99_ms"]:.1f} ms
The same on {args.api_processes} API processes sharing one port (same run):
  server time p50 {shared["server"]["p50_ms"]:.1f} ms, p99 {shared["server"]["p99_ms"]:.1f} ms; client-side p99 {shared["client"]["p99_ms"]:.1f} ms   (one process: {rep["client"]["p99_ms"]:.1f} ms)
results: {out}""")


if __name__ == "__main__":
    main()
