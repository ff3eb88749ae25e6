"""First-order conversion by selling scenario through the real sales path: a scripted city
(campus 3 of 10 leads, office 2 of 8, family none of 4, and leads naming no scenario), then a
month of simulated sales whose customers come from the three scenarios; `GET
/v1/reports/scenarios` must equal the count made from the facts (tests/expected.py) for every
unit, and a fact naming no scenario is in no row."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import httpx

from domain.sales import CustomerFirstOrder, LeadRegistered, SaleFact
from simulator.sales import SalesSimulator
from tests import expected
from tests.stack import (
    bearer,
    hq_token,
    load_company,
    produce_singles,
    small_company,
    start_api,
    wait_caught_up,
)

DAY = date(2026, 11, 3)
REP = "rep-east-city1-1"


def scripted() -> list[SaleFact]:
    facts: list[SaleFact] = []
    when = datetime(2026, 11, 3, 2, tzinfo=UTC)
    for scenario, leads, orders in (("campus", 10, 3), ("office", 8, 2), ("family", 4, 0),
                                    (None, 5, 5)):  # fmt: skip
        for n in range(leads):
            customer = f"{scenario}-{n}"
            common = {"source_system": "crm", "occurred_at": when, "rep_id": REP,
                      "customer_id": customer, "scenario": scenario}  # fmt: skip
            facts.append(LeadRegistered(source_id=f"L-{customer}", **common))
            if n < orders:
                facts.append(CustomerFirstOrder(source_id=f"F-{customer}", **common))
    return facts


async def test_conversion_by_scenario_equals_a_count_from_the_facts(env):
    company = small_company()
    await load_company(env.settings, company)
    simulated = list(
        SalesSimulator(company, seed=61, source="pos-scenario").stream(
            datetime(2026, 10, 20, tzinfo=UTC), 600, timedelta(hours=1)
        )
    )
    facts = scripted() + simulated
    env.worker()
    await produce_singles(env.settings, facts)
    await wait_caught_up(env.settings)
    base = await start_api(env)
    headers = bearer(await hq_token(env.settings))
    first, last = date(2026, 10, 1), date(2026, 11, 30)
    async with httpx.AsyncClient(base_url=f"{base}/v1/reports", timeout=30) as http:

        async def scenarios(unit: str, since: date, until: date) -> dict[str, dict]:
            reply = await http.get(
                "/scenarios",
                params={"unit_id": unit, "from": since.isoformat(), "to": until.isoformat()},
                headers=headers,
            )
            assert reply.status_code == 200, reply.text
            return {row["scenario"]: row for row in reply.json()}

        # the script alone, on its day for its rep: known by hand
        only_script = await scenarios(REP, DAY, DAY)
        script = expected.conversion_by_scenario(company, scripted(), REP, DAY, DAY)
        assert script == {"campus": (10, 3), "office": (8, 2), "family": (4, 0)}
        simulated_that_day = expected.conversion_by_scenario(company, simulated, REP, DAY, DAY)
        for scenario, (leads, orders) in script.items():
            extra = simulated_that_day.get(scenario, (0, 0))
            row = only_script[scenario]
            assert (row["leads"], row["first_orders"]) == (leads + extra[0], orders + extra[1])
        for unit in [u.id for u in company.units]:
            got = await scenarios(unit, first, last)
            want = expected.conversion_by_scenario(company, facts, unit, first, last)
            assert {k: (r["leads"], r["first_orders"]) for k, r in got.items()} == want, unit
            for scenario, (leads, orders) in want.items():
                pct = (Decimal(orders) * 100 / leads).quantize(Decimal("0.01")) if leads else None
                assert got[scenario]["conversion_pct"] == (None if pct is None else str(pct))
        backwards = await http.get(
            "/scenarios", params={"unit_id": "hq", "from": "2026-11-30", "to": "2026-11-01"},
            headers=headers,
        )  # fmt: skip
    assert backwards.status_code == 422
