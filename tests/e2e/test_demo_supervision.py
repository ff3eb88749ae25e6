"""The demo keeps running: a worker agent killed -9 comes back by itself while the API answers
and the totals stay exact; the simulator can be stopped alone; SIGTERM ends every process
within 5 s, also when PostgreSQL is already gone."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
import pytest
import yaml

from domain.catalog import CompanyCatalog
from infra.postgres.cluster import PostgresCluster
from infra.settings import Settings
from simulator.sales import SalesSimulator
from tests.e2e.test_faults import stream_slowly
from tests.stack import (
    TestEnv,
    eventually,
    expected_kr_actuals,
    expected_unit_totals,
    projected_state,
    wait_caught_up,
)


def _processes_of(folder: Path) -> list[int]:
    """Every process started for this demo (they all carry its NORTHSTAR_DEMO_DIR)."""
    marker = f"NORTHSTAR_DEMO_DIR={folder}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                environ = (entry / "environ").read_bytes().split(b"\0")
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            if marker in environ and state != "Z":
                found.append(int(entry.name))
    return found


def _simulators_of(folder: Path) -> list[int]:
    return [
        pid
        for pid in _processes_of(folder)
        if b"simulate" in Path(f"/proc/{pid}/cmdline").read_bytes()
    ]


def _until_gone(folder: Path, since: float) -> float:
    """Seconds from `since` until no process of the demo is left (at most 15)."""
    while _processes_of(folder) and time.monotonic() - since < 15:
        time.sleep(0.05)
    return time.monotonic() - since


async def _start_demo(env: TestEnv, folder: Path, *args: str):
    env.environ_extra["NORTHSTAR_DEMO_DIR"] = str(folder)
    earlier = len(_log(env, "demo"))  # the log of an earlier run of this test may be there
    demo = env.spawn("demo", "demo", *args)
    await eventually(
        lambda: asyncio.to_thread(
            lambda: "Northstar demo is running" in _log(env, "demo")[earlier:]
        ),
        240,
        "the demo to be up",
    )
    return demo


def _log(env: TestEnv, label: str) -> str:
    from tests.stack import ARTIFACTS

    path = ARTIFACTS / env.name / f"{label}.log"
    return path.read_text(errors="replace") if path.exists() else ""


async def _heartbeat(settings: Settings, name: str) -> asyncpg.Record | None:
    conn = await asyncpg.connect(settings.dsn)
    try:
        return await conn.fetchrow(
            "SELECT pid, restarts, now() - beat_at < interval '5 seconds' AS fresh"
            " FROM process_heartbeat WHERE name = $1",
            name,
        )
    finally:
        await conn.close()


async def test_a_killed_worker_comes_back_and_the_totals_stay_exact(env, tmp_path):
    demo = await _start_demo(env, tmp_path, "--no-simulator")
    banner = _log(env, "demo")
    assert "The field figures, measured from the events" in banner  # before/after, from events
    assert "check-in usage" in banner and "adjustment answered in" in banner
    company = CompanyCatalog.model_validate(yaml.safe_load((tmp_path / "company.yaml").read_text()))
    simulator = SalesSimulator(company, seed=17, source="pos-supervision")
    facts = list(
        simulator.stream(datetime.now(UTC) - timedelta(hours=3), 4000, timedelta(seconds=2))
    )
    base = f"http://127.0.0.1:{env.settings.api_port}"
    failures: list[str] = []
    answered = 0
    stop = asyncio.Event()

    async def poll_api() -> None:
        nonlocal answered
        # a new connection per poll: a kept-alive one the server closed while this loop waited
        # on a loaded machine is not an answer the API failed to give
        no_reuse = httpx.Limits(max_keepalive_connections=0)
        async with httpx.AsyncClient(base_url=base, timeout=2, limits=no_reuse) as http:
            while not stop.is_set():
                try:
                    status = (await http.get("/healthz")).status_code
                    answered += status == 200
                    if status != 200:
                        failures.append(str(status))
                except httpx.HTTPError as exc:
                    failures.append(repr(exc))
                await asyncio.sleep(0.1)

    polling = asyncio.create_task(poll_api())
    producing = asyncio.create_task(stream_slowly(env.settings, facts, seconds=25))
    for kill in (1, 2):
        await eventually(lambda: _fresh(env.settings, "worker-sales"), 60, "a live sales agent")
        beat = await _heartbeat(env.settings, "worker-sales")
        os.kill(beat["pid"], signal.SIGKILL)
        await eventually(
            lambda k=kill: _restarted(env.settings, "worker-sales", k), 60, f"restart {kill}"
        )
    await producing
    await wait_caught_up(env.settings)
    units, krs = await projected_state(env.settings)
    assert units == expected_unit_totals(company, facts)
    expected = expected_kr_actuals(company, facts)  # the catalog's KRs (the OKR tree has more)
    assert {k: krs[k] for k in expected} == expected
    stop.set()
    await polling
    assert failures == [] and answered > 50, failures[:5]
    async with httpx.AsyncClient(base_url=base) as http:
        health = (await http.get("/healthz")).json()
    assert health["processes"]["worker-sales"]["restarts"] == 2
    assert health["processes"]["worker-sales"]["up"]
    assert _log(env, "demo").count("process_restarted") >= 2
    demo.send_signal(signal.SIGTERM)
    assert await asyncio.to_thread(demo.wait, 10) == 0


async def _fresh(settings: Settings, name: str) -> bool:
    beat = await _heartbeat(settings, name)
    return bool(beat and beat["fresh"])


async def _restarted(settings: Settings, name: str, times: int) -> bool:
    beat = await _heartbeat(settings, name)
    return bool(beat and beat["fresh"] and beat["restarts"] == times)


@pytest.mark.exclusive
@pytest.mark.skipif(
    not PostgresCluster(Settings()).running(),
    reason="stops the private PostgreSQL cluster; an external database is in use",
)
async def test_the_simulator_stops_alone_and_sigterm_ends_everything_without_postgres(
    env, tmp_path, stack
):
    demo = await _start_demo(env, tmp_path, "--rate", "50")

    async def sales_arrive() -> bool:
        conn = await asyncpg.connect(env.settings.dsn)
        try:
            return bool(await conn.fetchval("SELECT sum(next_offset) FROM projection_checkpoint"))
        finally:
            await conn.close()

    await eventually(sales_arrive, 60, "simulated sales in KR progress")
    simulators = await asyncio.to_thread(_simulators_of, tmp_path)
    assert len(simulators) == 1
    os.kill(simulators[0], signal.SIGTERM)
    await eventually(
        lambda: asyncio.to_thread(lambda: simulators[0] not in _processes_of(tmp_path)),
        10,
        "the simulator to stop",
    )
    await asyncio.sleep(3)
    assert demo.poll() is None
    for name in ("worker-sales", "worker-okr", "relay"):
        assert await _fresh(env.settings, name), name
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{env.settings.api_port}") as http:
        assert (await http.get("/healthz")).json()["status"] == "ok"
    running = _processes_of(tmp_path)
    assert len(running) >= 5  # the demo, two agents, the relay, the API

    cluster = PostgresCluster(stack)
    await asyncio.to_thread(cluster.stop, "fast")
    try:
        await asyncio.sleep(2)
        demo.send_signal(signal.SIGTERM)
        took = await asyncio.to_thread(_until_gone, tmp_path, time.monotonic())
    finally:
        await asyncio.to_thread(cluster.start)
    assert not _processes_of(tmp_path)
    assert took <= 5.0, f"SIGTERM took {took:.1f}s"
