"""A KR proposed with three fields through the API: defined with the defaults, bound to its
sales metric over the current quarter (or checked in by hand), retried once, refused to reps,
and hinted when its description is an activity."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import asyncpg
import httpx

from simulator.pace import quarter_of
from tests.stack import (
    bearer,
    define_quarter,
    load_company,
    okr_read_models_caught_up,
    people_tokens,
    small_company,
    start_api,
)


async def test_three_fields_define_a_whole_kr(env):
    await load_company(env.settings, small_company())
    quarter = quarter_of(datetime.now(ZoneInfo(env.settings.company_timezone)).date())
    await define_quarter(env.settings, f"q-{quarter[0]:%Y%m}", quarter)  # the one of today
    env.spawn("relay", "relay")
    env.worker()
    await okr_read_models_caught_up(env.settings)
    tokens = await people_tokens(env.settings, "city", "rep")
    await start_api(env)
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{env.settings.api_port}/v1/okr", timeout=30
    ) as http:
        form = {
            "description": "新客首单转化率提升到30%",
            "metric": "first_order_conversion",
            "target": "30",
        }
        headers = {**bearer(tokens["city"]), "Idempotency-Key": "conv-q4"}
        first = await http.post("/key-results/three-fields", json=form, headers=headers)
        assert first.status_code == 201, first.text
        again = await http.post("/key-results/three-fields", json=form, headers=headers)
        manual = await http.post(
            "/key-results/three-fields",
            json={"description": "完成5场客户拜访", "target": "5"},
            headers=bearer(tokens["city"]),
        )
        by_rep = await http.post(
            "/key-results/three-fields", json=form, headers=bearer(tokens["rep"])
        )
        await okr_read_models_caught_up(env.settings)
        shown = await http.get(
            f"/key-results/{first.json()['kr_id']}", headers=bearer(tokens["city"])
        )

    assert first.status_code == 201, first.text
    assert (again.json()["kr_id"], again.json()["replayed"]) == (first.json()["kr_id"], True)
    kr = shown.json()
    assert (kr["owner_person_id"], kr["owner_unit_id"], kr["kind"], kr["unit"]) == (
        "p-city",
        "east-city1",
        "increase",
        "%",
    )
    assert (Decimal(str(kr["start_value"])), Decimal(str(kr["target_value"]))) == (0, 30)
    assert [h["code"] for h in manual.json()["hints"]] == ["kr_is_activity"]
    assert by_rep.status_code == 403
    conn = await asyncpg.connect(env.settings.dsn)
    try:
        bound = await conn.fetchrow(
            "SELECT metric, window_start, window_end FROM key_result WHERE id = $1",
            first.json()["kr_id"],
        )
        unbound = await conn.fetchval(
            "SELECT count(*) FROM key_result WHERE id = $1", manual.json()["kr_id"]
        )
    finally:
        await conn.close()
    assert (bound["metric"], bound["window_start"], bound["window_end"]) == (
        "first_order_conversion",
        *quarter,
    )
    assert unbound == 0
