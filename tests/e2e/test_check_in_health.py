"""A KR fed by check-ins is first class: each check-in that moves it across a threshold yields
exactly one `alert.kr.health_changed`, with the worker killed -9 between check-ins; its history
equals the alerts, and the board shows the alerted colour."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import asyncpg
import httpx

from domain.alerts import health_alert_id
from tests.expected import linear_pacing
from tests.stack import (
    QUARTER,
    bearer,
    define_quarter,
    eventually,
    kill9,
    load_company,
    okr_read_models_caught_up,
    people_tokens,
    published_alerts,
    rep_check_in_krs,
    small_company,
    start_api,
)

KR = "kr-campus-visits"


def pacing(day: date) -> Decimal:
    """The quarter's linear pacing line at the end of `day` (the oracle's)."""
    return linear_pacing(day, QUARTER)


async def test_check_ins_across_thresholds_alert_once_each_across_kills(env):
    await load_company(env.settings, small_company())
    await define_quarter(env.settings)
    env.spawn("relay", "relay")
    worker = env.worker("worker-0")
    hq, rep = (await people_tokens(env.settings, "hq", "rep")).values()
    await start_api(env)
    # The pacing line today (the KR follows its objective's quarter); values chosen 10 points
    # or more around it, so the colours hold on any day of the quarter or after it.
    zone = ZoneInfo(env.settings.company_timezone)
    expected = pacing(datetime.now(zone).date())
    values = [expected - 40, expected + 10, expected - 12, expected + 10]
    colours = ["red", "green", "amber", "green"]
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{env.settings.api_port}/v1/okr", timeout=30
    ) as http:

        async def call(token: str, method: str, path: str, body: dict) -> None:
            answer = await http.request(method, path, json=body, headers=bearer(token))
            assert answer.status_code in (200, 201), answer.text

        await rep_check_in_krs(http, hq, rep, "o-campus", env.settings, KR)  # its quarter
        for round_, value in enumerate(values, start=1):
            await call(rep, "POST", f"/key-results/{KR}/check-ins", {
                "summary": f"week {round_}: {value:.1f}", "progress_value": str(value),
                "blocker": "none",
            })  # fmt: skip
            kill9(worker)  # wherever the agent was: before, during or after the batch
            worker = env.worker(f"worker-{round_}")
        await okr_read_models_caught_up(env.settings)
        kr = (await http.get(f"/key-results/{KR}", headers=bearer(rep))).json()

    conn = await asyncpg.connect(env.settings.dsn)
    try:

        async def relayed() -> bool:
            return not await conn.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL")

        await eventually(relayed, 60, "alerts to be relayed")
    finally:
        await conn.close()
    alerts = [a for a in await published_alerts(env.settings) if a.get("kr_id") == KR]
    per_id = Counter(a["alert_id"] for a in alerts)
    assert set(per_id.values()) == {1}, per_id  # each transition's alert exactly once
    mine = sorted(alerts, key=lambda a: a["transition"])
    assert [(a["old_health"], a["new_health"]) for a in mine] == list(
        zip([None, *colours[:-1]], colours, strict=True)
    )
    assert [a["alert_id"] for a in mine] == [
        str(health_alert_id(KR, n)) for n in range(1, len(colours) + 1)
    ]
    assert [Decimal(str(a["actual"])) for a in mine] == values
    # each alert's pacing line and gap, at the company's day of its check-in, to the cent
    for alert in mine:
        day = datetime.fromisoformat(alert["occurred_at"]).astimezone(zone).date()
        assert Decimal(str(alert["expected_pct"])) == pacing(day), alert
        gap = pacing(day) - Decimal(str(alert["actual"]))
        assert Decimal(str(alert["gap_points"])) == gap, alert
    history = kr["health_history"]
    assert [(h["transition"], h["old_health"], h["new_health"]) for h in history] == [
        (a["transition"], a["old_health"], a["new_health"]) for a in mine
    ]
    assert datetime.fromisoformat(mine[-1]["occurred_at"]) <= datetime.now(UTC)
