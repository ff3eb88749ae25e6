"""New products' first month against plan through the real sales path: a product launched on
2026-10-08 sells in its first month (the launch day to 2026-11-07), before it (test orders the
day before) and after it, with a refund inside the month; another, launched three days ago,
has sold nothing yet. `GET /v1/reports/launches` must give the revenue and units counted here
from the facts, and revenue / plan."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import httpx

from domain.catalog import CompanyCatalog, ProductLaunch
from domain.sales import SaleFact, SaleRecorded, SaleRefunded
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

ZONE = ZoneInfo("Asia/Shanghai")
LAUNCH = ProductLaunch(sku="sparkling-yuzu-330ml", launched_on=date(2026, 10, 8),
                       first_month_plan_minor=500_000)  # fmt: skip
UNSOLD = ProductLaunch(  # launched three days ago: its first month is still running
    sku="glacier-water-500ml",
    launched_on=datetime.now(UTC).astimezone(ZONE).date() - timedelta(days=3),
    first_month_plan_minor=800_000,
)
REPS = ["rep-east-city1-1", "rep-west-city2-3", "rep-east-city2-2"]


def sale(n: int, day: date, quantity: int, sku: str = LAUNCH.sku, hour: int = 10) -> SaleRecorded:
    return SaleRecorded(
        source_system="pos-launch", source_id=f"s-{n}",
        occurred_at=datetime.combine(day, time(hour), ZONE), rep_id=REPS[n % 3],
        customer_id=f"c-{n}", sku=sku, category="sparkling", premium=True, channel="retail",
        quantity=quantity, amount_minor=quantity * 890,
    )  # fmt: skip


def facts() -> list[SaleFact]:
    first_month = [sale(n, LAUNCH.launched_on + timedelta(days=n), 40 + n) for n in range(30)]
    around = [
        sale(100, LAUNCH.launched_on - timedelta(days=1), 12),  # test orders before the launch
        sale(101, date(2026, 11, 8), 500),  # the day after the first month
        sale(102, date(2026, 11, 7), 7, hour=23),  # its last day, late in the evening
        sale(103, date(2026, 10, 20), 60, sku="soda-lemon-330ml"),  # another product
    ]
    refund = SaleRefunded(
        source_system="pos-launch", source_id="r-1",
        occurred_at=datetime(2026, 10, 25, 12, tzinfo=ZONE), rep_id=first_month[3].rep_id,
        customer_id=first_month[3].customer_id, sale_source_id=first_month[3].source_id,
        sku=LAUNCH.sku, category="sparkling", premium=True, channel="retail", quantity=5,
        amount_minor=5 * 890,
    )  # fmt: skip
    return [*first_month, *around, refund]


def first_month_totals(sales: list[SaleFact], launch: ProductLaunch) -> tuple[int, int]:
    """(revenue in fen, units) of the launch's SKU in its first month, refunds taken off."""
    month_later = date(launch.launched_on.year + launch.launched_on.month // 12,
                       launch.launched_on.month % 12 + 1, launch.launched_on.day)  # fmt: skip
    revenue = units = 0
    for fact in expected.first_copies(sales):
        if not isinstance(fact, SaleRecorded | SaleRefunded) or fact.sku != launch.sku:
            continue
        if launch.launched_on <= expected.day_of(fact) < month_later:
            sign = 1 if isinstance(fact, SaleRecorded) else -1
            revenue += sign * fact.amount_minor
            units += sign * fact.quantity
    return revenue, units


async def test_first_month_against_plan(env):
    company = CompanyCatalog(units=small_company().units, launches=(LAUNCH, UNSOLD))
    await load_company(env.settings, company)
    env.worker()
    sold = facts()
    await produce_singles(env.settings, sold)
    await wait_caught_up(env.settings)
    base = await start_api(env)
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        reply = await http.get("/v1/reports/launches", headers=bearer(await hq_token(env.settings)))
    assert reply.status_code == 200, reply.text
    rows = {row["sku"]: row for row in reply.json()}
    assert list(rows) == [LAUNCH.sku, UNSOLD.sku]
    for launch in (LAUNCH, UNSOLD):
        revenue, units = first_month_totals(sold, launch)
        row = rows[launch.sku]
        assert (Decimal(row["revenue"]), row["units"]) == (Decimal(revenue) / 100, units)
        share = (Decimal(revenue) * 100 / launch.first_month_plan_minor).quantize(Decimal("0.01"))
        assert Decimal(row["of_plan_pct"]) == share
    assert rows[LAUNCH.sku]["first_month_ends"] == "2026-11-07" and rows[LAUNCH.sku]["complete"]
    assert rows[UNSOLD.sku]["units"] == 0 and rows[UNSOLD.sku]["complete"] is False
