"""A quarter you would believe: the demo's plan and its sales history (the previous quarter and
this one up to now, at the company's own pace, through Kafka and the worker), read only through
the API. Few sales-fed KRs run far ahead of their pacing line, colours spread with red the
exception, no KR is dated after now — each worked out here from what the API answers, against
the pacing line written out in this test."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import asyncpg
import httpx

from infra.postgres.accounts import create_client
from simulator.company import company_catalog
from simulator.sales_history import send_history
from tests.stack import bearer, load_company, start_api, wait_caught_up


def linear_expected(window: tuple[date, date], today: date) -> Decimal:
    """The documented linear pacing line: the share of the window's days elapsed by the end of
    `today`, in percent."""
    days = (window[1] - window[0]).days + 1
    elapsed = min(max((today - window[0]).days + 1, 0), days)
    return Decimal(100 * elapsed) / days


async def test_the_demo_quarter_is_believable(env):
    now = datetime.now(UTC)
    company = company_catalog(now.date())
    await load_company(env.settings, company)
    sent = await send_history(env.settings, company, now)
    env.worker()
    await wait_caught_up(env.settings, timeout=600)
    base = await start_api(env)
    conn = await asyncpg.connect(env.settings.dsn)
    try:
        reader = await create_client(conn, "believer", "reader")
    finally:
        await conn.close()
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        answer = await http.get("/v1/key-results", headers=bearer(reader))
    assert answer.status_code == 200, answer.text
    krs = [k for k in answer.json() if k["kind"] == "increase"]
    assert sent > 100_000 and len(krs) > 200

    far_ahead, colours = 0, {"green": 0, "amber": 0, "red": 0}
    for kr in krs:
        window = (date.fromisoformat(kr["window_start"]), date.fromisoformat(kr["window_end"]))
        expected = linear_expected(window, now.date())
        progress = Decimal(kr["progress_pct"])
        far_ahead += progress > Decimal("1.5") * expected
        colours[kr["health"]] += 1
        assert datetime.fromisoformat(kr["as_of"]) <= now
    assert far_ahead < Decimal("0.05") * len(krs), (far_ahead, len(krs))
    assert colours["red"] <= len(krs) / 3, colours
    assert colours["green"] and colours["amber"], colours
