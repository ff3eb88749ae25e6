"""Customer churn through the real sales path: a scripted October and November (a customer
who moves to another rep of the same city, a sale refunded whole, one refunded in part) with
known answers, then five weeks of simulated sales; `GET /v1/reports/churn` and `reports churn`
must equal the count made from the facts themselves (tests/expected.py), for every unit."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import httpx

from domain.sales import SaleRecorded, SaleRefunded
from simulator.sales import SalesSimulator
from tests import expected
from tests.stack import (
    bearer,
    hq_token,
    load_company,
    people_tokens,
    produce_singles,
    run_cli,
    small_company,
    start_api,
    wait_caught_up,
)

REP1, REP2, WEST = "rep-east-city1-1", "rep-east-city1-2", "rep-west-city1-1"


def sale(n: int, day: date, rep: str, customer: str, quantity: int = 10) -> SaleRecorded:
    return SaleRecorded(
        source_system="pos-churn", source_id=f"s-{n}",
        occurred_at=datetime(day.year, day.month, day.day, 3, tzinfo=UTC), rep_id=rep,
        customer_id=customer, sku="green-tea-500ml", category="tea", premium=False,
        channel="retail", quantity=quantity, amount_minor=quantity * 1000,
    )  # fmt: skip


def refund(n: int, of: SaleRecorded, quantity: int, day: date) -> SaleRefunded:
    return SaleRefunded(
        source_system="pos-churn", source_id=f"r-{n}",
        occurred_at=datetime(day.year, day.month, day.day, 3, tzinfo=UTC), rep_id=of.rep_id,
        customer_id=of.customer_id, sale_source_id=of.source_id, sku=of.sku,
        category=of.category, premium=of.premium, channel=of.channel, quantity=quantity,
        amount_minor=of.amount_minor * quantity // of.quantity,
    )  # fmt: skip


OCT, NOV = date(2026, 10, 12), date(2026, 11, 9)
SCRIPT = [
    sale(1, OCT, REP1, "c1"), sale(2, OCT, REP1, "c2"), sale(3, OCT, REP2, "c3"),
    sale(4, OCT, REP2, "c4"), sale(5, OCT, REP1, "c5"), sale(6, OCT, WEST, "c6"),
    sale(7, NOV, REP2, "c1"),  # the same customer, served by another rep of the city
    sale(8, NOV, REP2, "c3"), sale(9, NOV, REP1, "c7"), sale(10, NOV, WEST, "c6"),
    sale(11, NOV, REP1, "c2"),
]  # fmt: skip
SCRIPT += [refund(1, SCRIPT[4], 10, NOV), refund(2, SCRIPT[10], 4, NOV)]  # c5 whole, c2 in part


async def test_churn_equals_a_count_from_the_facts(env):
    company = small_company()
    await load_company(env.settings, company)
    simulated = list(
        SalesSimulator(company, seed=33, source="pos-sim").stream(
            datetime(2026, 10, 20, tzinfo=UTC), 700, timedelta(hours=1)
        )
    )  # to 2026-11-18: never after today
    facts = SCRIPT + simulated
    env.worker()
    await produce_singles(env.settings, facts)
    await wait_caught_up(env.settings)

    base = await start_api(env)
    tokens = {"hq": await hq_token(env.settings), **await people_tokens(env.settings, "city")}
    async with httpx.AsyncClient(base_url=f"{base}/v1/reports", timeout=30) as http:

        async def months(unit: str, who: str = "hq") -> dict[str, dict]:
            reply = await http.get(
                "/churn",
                params={"unit_id": unit, "from": "2026-10", "to": "2026-11"},
                headers=bearer(tokens[who]),
            )
            assert reply.status_code == 200, reply.text
            return {row["month"]: row for row in reply.json()}

        # the script alone, worked out by hand for east-city1 in November: active in October
        # c1-c4 (c5's only sale was refunded whole), in November c1, c2, c3, c7: c4 lost, c7 new
        scripted = expected.churn(company, SCRIPT, "east-city1", NOV)
        assert scripted == {"active_before": 4, "active_now": 4, "churned": 1, "gained": 1}

        for unit in [u.id for u in company.units]:
            got = await months(unit)
            for month in (date(2026, 10, 1), date(2026, 11, 1)):
                row = got[month.isoformat()[:7]]
                want = expected.churn(company, facts, unit, month)
                assert {k: row[k] for k in want} == want, (unit, month)
                rate = want["churned"] / want["active_before"] if want["active_before"] else None
                assert row["churn_rate"] == (None if rate is None else round(rate, 4))
        assert (await months("east-city1", "city"))["2026-11"]["churned"] >= 1
        refused = await http.get(
            "/churn",
            params={"unit_id": "west", "from": "2026-10", "to": "2026-11"},
            headers=bearer(tokens["city"]),
        )
        backwards = await http.get(
            "/churn",
            params={"unit_id": "hq", "from": "2026-11", "to": "2026-10"},
            headers=bearer(tokens["hq"]),
        )
        not_a_month = await http.get(
            "/churn",
            params={"unit_id": "hq", "from": "2026-13", "to": "2026-10"},
            headers=bearer(tokens["hq"]),
        )
    assert refused.status_code == 403
    assert backwards.status_code == 422 and "before" in backwards.text
    assert not_a_month.status_code == 422

    done = await run_cli(
        env, "reports", "churn", "--unit", "hq", "--from", "2026-11", "--to", "2026-11",
        "--format", "json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    (row,) = json.loads(done.stdout)
    want = expected.churn(company, facts, "hq", date(2026, 11, 1))
    assert {k: row[k] for k in want} == want
