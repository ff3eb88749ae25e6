"""Several API processes behind one port (NORTHSTAR_API_WORKERS): they all answer, share the
port, and `/metrics` adds up what every one of them served."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.stack import eventually, load_company, small_company, start_api


def _children(pid: int) -> list[int]:
    """Processes whose parent is `pid` (from /proc)."""
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines()
                          if ":\t" in line)  # fmt: skip
        except OSError:
            continue
        if fields.get("PPid", "").strip() == str(pid):
            found.append(int(status.parent.name))
    return found


def _count(exposition: str, series: str) -> float:
    return sum(
        float(line.split()[-1]) for line in exposition.splitlines() if line.startswith(series)
    )


async def test_three_api_processes_share_the_port_and_their_metrics(env):
    await load_company(env.settings, small_company())
    env.environ_extra = {"NORTHSTAR_API_WORKERS": "3"}
    base = await start_api(env)
    api = env.children[-1]
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:

        async def three_serving() -> bool:
            return len([c for c in _children(api.pid) if c]) >= 3

        await eventually(three_serving, 60, "three API processes")
        healthz = 'northstar_http_requests_total{method="GET",route="/healthz",status="200"}'
        before = _count((await http.get("/metrics")).text, healthz)
        answers = [
            (await http.get("/healthz", headers={"Connection": "close"})).status_code
            for _ in range(60)
        ]
        exposed = (await http.get("/metrics")).text
        after = _count(exposed, healthz)
    assert answers == [200] * 60
    assert after - before == 60  # whichever process answered, /metrics counts each once
    # the API's own metrics only: no worker's or relay's counters frozen at 0
    assert "northstar_sales_records_total" not in exposed
    assert "northstar_relay_published_events_total" not in exposed
    assert "northstar_consumer_lag_records" in exposed
