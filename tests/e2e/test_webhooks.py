"""Signed webhooks: every alert reaches a subscriber (after retries), a dead endpoint is
dead-lettered after N attempts."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from decimal import Decimal

import asyncpg
import httpx
from aiohttp import web

from domain.catalog import CompanyCatalog
from simulator.company import window_kr
from tests.stack import (
    QUARTER,
    assert_projection_exact,
    eventually,
    expected_unit_totals,
    free_port,
    load_company,
    metrics_ports,
    produce_singles,
    run_cli,
    simulated_facts,
    small_company,
)

SECRET = "s3cret-for-the-test-receiver"


def receiver_signature(body: bytes) -> str:
    """What the docs tell a subscriber to compare X-Northstar-Signature with: `sha256=` and the
    hex HMAC-SHA256 of the raw body under the shared secret (worked out here, not imported)."""
    return "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()


class Receiver:
    """A local webhook endpoint that refuses its first two calls."""

    def __init__(self) -> None:
        self.calls = 0
        self.alerts: dict[str, dict] = {}
        self.bad_signatures = 0

    async def handle(self, request: web.Request) -> web.Response:
        self.calls += 1
        body = await request.read()
        if request.headers.get("X-Northstar-Signature") != receiver_signature(body):
            self.bad_signatures += 1
            return web.Response(status=401)
        if self.calls <= 2:
            return web.Response(status=500)
        alert = json.loads(body)
        assert request.headers["X-Northstar-Alert-Id"] == alert["alert_id"]
        self.alerts[alert["alert_id"]] = alert
        return web.Response(status=204)


async def test_webhooks_deliver_signed_alerts_with_retries_and_dead_letters(env):
    receiver = Receiver()
    app = web.Application()
    app.router.add_post("/hook", receiver.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        base = small_company()
        facts = simulated_facts(base, 800, seed=21)
        east = Decimal(expected_unit_totals(base, facts)["east"]["revenue_minor"]) / 100
        company = CompanyCatalog(
            units=base.units,
            key_results=(
                *base.key_results,
                window_kr(
                    "kr-east-watch",
                    "East revenue",
                    "east",
                    "revenue",
                    int(east / Decimal("0.6")),
                    QUARTER,
                ),
            ),
        )
        await load_company(env.settings, company)
        added = await run_cli(
            env, "webhooks", "add", "good", f"http://127.0.0.1:{port}/hook", "--secret", SECRET
        )
        assert added.returncode == 0, added.stderr
        await run_cli(
            env, "webhooks", "add", "dead", f"http://127.0.0.1:{free_port()}/x", "--secret", SECRET
        )
        env.environ_extra = {
            "NORTHSTAR_WEBHOOK_ATTEMPTS": "3",
            "NORTHSTAR_WEBHOOK_FIRST_DELAY_S": "0.05",
        }
        env.spawn("relay", "relay")
        env.worker()
        metrics_port = metrics_ports()
        env.spawn("webhooks", "webhooks", extra_env={"NORTHSTAR_METRICS_PORT": str(metrics_port)})
        for start in range(0, len(facts), 200):
            await produce_singles(env.settings, facts[start : start + 200])
            await asyncio.sleep(0.3)
        await assert_projection_exact(env.settings, company, facts)

        conn = await asyncpg.connect(env.settings.dsn)
        try:
            expected = {
                str(r["alert_id"])
                for r in await conn.fetch("SELECT alert_id FROM kr_health_history")
            }

            async def all_handled() -> bool:
                rows = await conn.fetch(
                    "SELECT subscription, count(*) AS n FROM webhook_delivery GROUP BY 1"
                )
                return {r["subscription"]: r["n"] for r in rows} == {
                    "good": len(expected),
                    "dead": len(expected),
                }

            await eventually(all_handled, 90, "every alert delivered or dead-lettered")
            async with httpx.AsyncClient(timeout=10) as http:
                scraped = (
                    await http.get(f"http://127.0.0.1:{metrics_port + 4}/metrics")
                ).text  # the dispatcher's /metrics (NORTHSTAR_METRICS_PORT + 4)
            statuses = {
                (r["subscription"], r["status"], r["attempts"])
                for r in await conn.fetch(
                    "SELECT DISTINCT subscription, status, attempts FROM webhook_delivery"
                )
            }
        finally:
            await conn.close()
    finally:
        await runner.cleanup()
    assert expected and set(receiver.alerts) == expected
    assert receiver.bad_signatures == 0
    assert ("dead", "dead_lettered", 3) in statuses
    assert {s for s in statuses if s[0] == "dead"} == {("dead", "dead_lettered", 3)}
    assert ("good", "delivered", 3) in statuses  # the first alert needed the third attempt
    # its metrics count the same: every delivery, every failed attempt (the receiver's two
    # refusals and three per alert at the dead endpoint), every alert given up on
    assert _value(scraped, 'northstar_webhook_attempts_total{outcome="delivered"}') == len(expected)
    failed = 2 + 3 * len(expected)
    assert _value(scraped, 'northstar_webhook_attempts_total{outcome="failed"}') == failed
    assert _value(scraped, "northstar_webhook_dead_letters_total") == len(expected)


def _value(exposition: str, series: str) -> float:
    """A sample's value in the text exposition (0 when absent)."""
    for line in exposition.splitlines():
        if line.startswith(series + " "):
            return float(line.split()[-1])
    return 0.0
