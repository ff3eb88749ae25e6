"""The demo company's pace (`simulator/pace.py`) and its sales (`simulator/paced_sales.py`):
the same facts however a stretch of time is cut, none outside it, and volumes, shares and
targets that agree with the documented parameters, worked out here independently."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.sales import (
    CustomerFirstOrder,
    LeadRegistered,
    PaymentCollected,
    SaleRecorded,
    SaleRefunded,
)
from simulator import pace
from simulator.company import CITY_TEA_UNITS, REP_REVENUE, company_catalog
from simulator.paced_sales import PacedSales

ZONE = ZoneInfo("Asia/Shanghai")
COMPANY = company_catalog(date(2026, 12, 8))
FIRST_DAY = date(2026, 7, 1)


def at(day: date, hour: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=ZONE)


@pytest.fixture(scope="module")
def three_weeks() -> list:
    """November 2..22 (three whole weeks, Monday to Sunday)."""
    sales = PacedSales(COMPANY, ZONE)
    return list(sales.facts_between(at(date(2026, 11, 2)), at(date(2026, 11, 23)), FIRST_DAY))


def test_a_stretch_cut_anywhere_gives_the_same_facts():
    whole = PacedSales(COMPANY, ZONE)
    start, end = at(date(2026, 11, 9), 6), at(date(2026, 11, 10), 20)
    expected = [f.source_id for f in whole.facts_between(start, end, FIRST_DAY)]
    for cut in (at(date(2026, 11, 9), 13), at(date(2026, 11, 10)), at(date(2026, 11, 10), 9)):
        parts = PacedSales(COMPANY, ZONE)  # another process, another cut
        got = [f.source_id for f in parts.facts_between(start, cut, FIRST_DAY)]
        got += [f.source_id for f in parts.facts_between(cut, end, FIRST_DAY)]
        assert got == expected
    assert expected and len(set(expected)) == len(expected)
    assert all(start <= f.occurred_at < end for f in whole.facts_between(start, end, FIRST_DAY))


def test_the_weekday_shares_of_a_quarter_add_up_to_one():
    days = [date(2026, 10, 1) + timedelta(days=n) for n in range(92)]
    assert sum(pace.day_share(d) for d in days) == pytest.approx(1.0)


def test_volume_follows_the_plan_and_the_reps_factors(three_weeks):
    sales = PacedSales(COMPANY, ZONE)
    days = [date(2026, 11, 2) + timedelta(days=n) for n in range(21)]
    planned = sum(
        pace.QUARTER_REVENUE_CNY * pace.day_share(d) * sum(sales.factors.values()) / 96
        for d in days
    )
    sold = sum(f.amount_minor for f in three_weeks if isinstance(f, SaleRecorded)) / 100
    assert sold == pytest.approx(planned, rel=0.04)
    # orders fall in opening hours, company time; more on Saturdays than on Mondays
    assert all(
        pace.OPEN_HOURS[0] <= f.occurred_at.astimezone(ZONE).hour < pace.OPEN_HOURS[1] + 1
        for f in three_weeks
    )
    by_weekday = [0] * 7
    for f in three_weeks:
        if isinstance(f, SaleRecorded):
            by_weekday[f.occurred_at.astimezone(ZONE).weekday()] += f.amount_minor
    assert by_weekday[5] > by_weekday[0]


def test_ratios_follow_the_plans_line(three_weeks):
    sales = PacedSales(COMPANY, ZONE)
    mean_factor = sum(sales.factors.values()) / len(sales.factors)
    progress = sum(pace.elapsed(date(2026, 11, 2) + timedelta(days=n)) for n in range(21)) / 21
    orders = [f for f in three_weeks if isinstance(f, SaleRecorded)]
    revenue = sum(f.amount_minor for f in orders)
    premium = sum(f.amount_minor for f in orders if f.premium) * 100 / revenue
    paid = sum(f.amount_minor for f in three_weeks if isinstance(f, PaymentCollected))
    assert premium == pytest.approx(
        pace.daily_ratio(pace.PREMIUM_SHARE, progress, mean_factor), abs=2
    )
    assert paid * 100 / revenue == pytest.approx(
        pace.daily_ratio(pace.COLLECTION_RATE, progress, mean_factor), abs=2
    )
    leads = sum(isinstance(f, LeadRegistered) for f in three_weeks)
    firsts = sum(isinstance(f, CustomerFirstOrder) for f in three_weeks)
    assert firsts * 100 / leads == pytest.approx(
        pace.daily_ratio(pace.FIRST_ORDER_CONVERSION, progress, mean_factor), abs=4
    )


def test_the_plans_volume_targets_are_what_the_pace_sells(three_weeks):
    """A rep's revenue target is their share of the quarter's plan; a city's tea-unit target
    the bottles its share holds: three weeks scaled to the quarter land within 10 %."""
    assert REP_REVENUE == pytest.approx(pace.QUARTER_REVENUE_CNY / 96, rel=0.01)
    share = sum(pace.day_share(date(2026, 11, 2) + timedelta(days=n)) for n in range(21))
    tea = sum(
        f.quantity for f in three_weeks if isinstance(f, SaleRecorded) and f.category == "tea"
    )
    per_city_quarter = tea / share / 12
    sales = PacedSales(COMPANY, ZONE)
    mean_factor = sum(sales.factors.values()) / len(sales.factors)
    assert per_city_quarter / mean_factor == pytest.approx(CITY_TEA_UNITS, rel=0.1)


def test_refunds_follow_their_sales_and_leads_come_with_first_orders(three_weeks):
    sold = {f.source_id: f for f in three_weeks if isinstance(f, SaleRecorded)}
    refunds = [f for f in three_weeks if isinstance(f, SaleRefunded)]
    assert refunds
    for refund in refunds:
        sale = sold[refund.sale_source_id]
        assert sale.occurred_at <= refund.occurred_at and refund.quantity <= sale.quantity
    leads = {f.customer_id for f in three_weeks if isinstance(f, LeadRegistered)}
    firsts = [f for f in three_weeks if isinstance(f, CustomerFirstOrder)]
    assert firsts and all(f.customer_id in leads for f in firsts)
