"""The demo's simulated sales give figures a company could have: each ratio the demo's KRs
measure lands near its plan (between the KR's start and target, give or take), computed the
plain way from the facts (tests/expected.py) — not 59 % conversion against an 18 -> 27 % plan,
nor a collection rate below the start of its KR."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from domain.catalog import CompanyCatalog
from simulator.company import company_catalog, window_kr
from simulator.sales import SalesSimulator
from tests import expected

QUARTER = (date(2026, 10, 1), date(2026, 12, 31))
# metric -> (the demo KR's start, target): HQ's premium share, collection rate, conversion
PLANS = {"premium_share": (28, 35), "collection_rate": (88, 96), "first_order_conversion": (18, 27)}


def test_each_ratio_is_near_its_plan():
    company = company_catalog(date(2026, 11, 30))
    facts = list(
        SalesSimulator(company, seed=3).stream(
            datetime(2026, 11, 2, tzinfo=UTC), 20_000, timedelta(seconds=60)
        )
    )
    measured = CompanyCatalog(
        units=company.units,
        key_results=tuple(window_kr(f"kr-{m}", m, "hq", m, 100, QUARTER) for m in PLANS),  # type: ignore[arg-type]
    )
    values = expected.kr_actuals(measured, facts)
    for metric, (start, target) in PLANS.items():
        slack = Decimal(target - start) / 2
        assert start - slack <= values[f"kr-{metric}"] <= target + slack, (metric, values)
