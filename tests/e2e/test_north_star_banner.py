"""The board's north-star banner: HQ names the KR that measures the north star, and the board
shows that KR's live value and its weekly trend, equal to sums computed plainly from the sales
the test produced on three days over the last weeks."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import httpx

from tests.stack import (
    SALE_DAY,
    bearer,
    define_quarter,
    eventually,
    expected_unit_totals,
    load_company,
    okr_read_models_caught_up,
    people_tokens,
    produce_singles,
    simulated_facts,
    small_company,
    start_api,
)


async def test_the_banner_shows_the_measuring_krs_value_and_trend(env):
    company = small_company()
    await load_company(env.settings, company)
    await define_quarter(env.settings)
    env.spawn("relay", "relay")
    env.worker()
    zone = ZoneInfo(env.settings.company_timezone)
    today = datetime.now(zone).date()
    sale_days = (today - timedelta(days=20), today - timedelta(days=9), today)
    facts = []
    for seed, day in enumerate(sale_days, start=31):
        shift = datetime.combine(day, time(9), zone) - SALE_DAY  # 09:00 local onwards
        facts += [
            f.model_copy(update={"occurred_at": f.occurred_at + shift})
            for f in simulated_facts(company, 120, seed=seed)
        ]
    tokens = await people_tokens(env.settings, "hq")
    await start_api(env)
    hq = bearer(tokens["hq"])
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{env.settings.api_port}", timeout=30
    ) as http:
        defined = await http.post(
            "/v1/okr/key-results",
            json={
                "kr_id": "kr-company-revenue",
                "title": "Company revenue",
                "owner_person_id": "p-hq",
                "owner_unit_id": "hq",
                "kind": "increase",
                "unit": "CNY",
                "start": "0",
                "target": "9000000",
                "binding": {
                    "metric": "revenue",
                    "window_start": str(today - timedelta(days=60)),
                    "window_end": str(today + timedelta(days=30)),
                },
            },
            headers=hq,
        )
        assert defined.status_code == 201, defined.text
        unknown = await http.put(
            "/v1/okr/north-star",
            json={"metric": "revenue", "target": "9000000", "unit": "CNY",
                  "owner_person_id": "p-hq", "measured_by": "kr-nowhere"},
            headers=hq,
        )  # fmt: skip
        other_target = await http.put(
            "/v1/okr/north-star",
            json={"metric": "company revenue", "target": "8000000", "unit": "CNY",
                  "owner_person_id": "p-hq", "measured_by": "kr-company-revenue"},
            headers=hq,
        )  # fmt: skip
        star = await http.put(
            "/v1/okr/north-star",
            json={"metric": "company revenue", "target": "9000000", "unit": "CNY",
                  "owner_person_id": "p-hq", "measured_by": "kr-company-revenue"},
            headers=hq,
        )  # fmt: skip
        assert star.status_code == 200, star.text
        await produce_singles(env.settings, facts)
        total = Decimal(expected_unit_totals(company, facts)["hq"]["revenue_minor"]) / 100

        async def live() -> dict | None:
            board = (await http.get("/v1/board", headers=hq)).json()
            return (board.get("north_star") or {}).get("live")

        async def counted_all() -> bool:
            reading = await live()
            return reading is not None and Decimal(str(reading["value"])) == total

        await okr_read_models_caught_up(env.settings)
        await eventually(counted_all, 90, "the north star's live value to count every sale")
        reading = await live()

    assert unknown.status_code == 422 and "kr-nowhere" in unknown.text
    assert reading["kr_id"] == "kr-company-revenue"
    # the star's target and its measuring KR's are one value: another one is refused, naming both
    assert other_target.status_code == 422
    assert "8000000" in other_target.text and "9000000" in other_target.text
    # the banner's percentage is the value as a share of the target, whatever the KR's kind
    assert Decimal(str(reading["of_target_pct"])) == (total * 100 / 9_000_000).quantize(
        Decimal("0.1")
    )
    trend = reading["trend"]
    # The banner's weeks end on the company's day when the server read it: the day the sales
    # were made, or a later one if the run crossed midnight meanwhile.
    shown = date.fromisoformat(trend[-1]["day"])
    assert today <= shown <= datetime.now(zone).date()
    assert [point["day"] for point in trend] == [
        str(shown - timedelta(weeks=w)) for w in range(5, -1, -1)
    ]
    for point in trend:
        day = datetime.fromisoformat(point["day"]).date()
        known = [f for f in facts if f.occurred_at.astimezone(zone).date() <= day]
        minor = expected_unit_totals(company, known).get("hq", {}).get("revenue_minor", 0)
        expected = Decimal(minor) / 100
        assert Decimal(str(point["value"])) == expected, point
    assert len({point["value"] for point in trend}) >= 3  # it moved over the weeks
