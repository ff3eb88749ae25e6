"""Windows (cycle, calendar month, rolling days), phased pacing, conversion, and refunds taking
a purchase back: pure rules, checked at their edges."""

from datetime import UTC, date, datetime
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from domain.health import expected_progress
from domain.key_result.metrics import MetricKeyResult, MetricTotals, WindowSpec, metric_value
from domain.org_tree import OrgTree, OrgUnit
from domain.rollup import (
    NO_DIMENSION,
    BusinessCalendar,
    Purchase,
    RollupKey,
    fold_sales,
    undo_refunded_purchases,
)
from domain.sales import CustomerFirstOrder, LeadRegistered

Q4 = (date(2026, 10, 1), date(2026, 12, 31))
UNITS = (
    OrgUnit(id="hq", name="HQ", level="hq"),
    OrgUnit(id="east", name="East", level="region", parent_id="hq"),
    OrgUnit(id="sh", name="Shanghai", level="city", parent_id="east"),
    OrgUnit(id="rep-1", name="Rep 1", level="rep", parent_id="sh"),
)
CHAIN = OrgTree(UNITS).ancestors_and_self


@pytest.mark.parametrize(
    ("kind", "rolling", "today", "expected"),
    [
        ("cycle", None, date(2026, 11, 5), Q4),
        ("calendar_month", None, date(2026, 11, 5), (date(2026, 11, 1), date(2026, 11, 30))),
        ("calendar_month", None, date(2026, 12, 31), (date(2026, 12, 1), date(2026, 12, 31))),
        # before the cycle: its first month; after it: its last month (frozen, not empty)
        ("calendar_month", None, date(2026, 9, 20), (date(2026, 10, 1), date(2026, 10, 31))),
        ("calendar_month", None, date(2027, 2, 1), (date(2026, 12, 1), date(2026, 12, 31))),
        ("rolling_days", 7, date(2026, 11, 5), (date(2026, 10, 30), date(2026, 11, 5))),
        ("rolling_days", 1, date(2026, 11, 5), (date(2026, 11, 5), date(2026, 11, 5))),
        # rolling days reach back before the cycle's first day
        ("rolling_days", 30, date(2026, 10, 2), (date(2026, 9, 3), date(2026, 10, 2))),
        ("rolling_days", 7, date(2027, 1, 9), (date(2026, 12, 25), date(2026, 12, 31))),
    ],
)
def test_effective_window(kind, rolling, today, expected):
    assert WindowSpec(kind, *Q4, rolling).effective(today) == expected


def test_repeat_month_is_the_evaluation_days_month_held_in_the_window():
    spec = WindowSpec("cycle", *Q4)
    assert spec.repeat_month(date(2026, 11, 17)) == date(2026, 11, 1)
    assert spec.repeat_month(date(2027, 3, 1)) == date(2026, 12, 1)


def kr(**fields):
    base = dict(
        id="kr-1",
        title="t",
        owner_unit_id="hq",
        metric="revenue",
        start=D(0),
        target=D(10),
        window_start=Q4[0],
        window_end=Q4[1],
    )
    return MetricKeyResult(**(base | fields))


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"window": "rolling_days"}, "rolling_days is required"),
        ({"rolling_days": 7}, "rolling_days is required"),
        (
            {"metric": "distinct_customers", "window": "rolling_days", "rolling_days": 7},
            "counted per calendar month",
        ),
        ({"metric": "first_order_conversion", "channel": "retail"}, "has no product or channel"),
        ({"metric": "collection_rate", "skus": ("a",)}, "has no product or channel"),
        ({"metric": "monthly_repeat_buyers", "category": "tea"}, "has no product or channel"),
        ({"skus": ("a", "a")}, "lists a SKU twice"),
        ({"monthly_pacing": (D(1), D(2))}, "one weight per calendar month of the window (3)"),
        ({"monthly_pacing": (D(0), D(0), D(0))}, "all zero"),
    ],
)
def test_incoherent_scopes_are_refused_with_the_reason(fields, message):
    with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        kr(**fields)


def test_phased_plan_back_loads_the_quarter():
    weights = (D(20), D(30), D(50))
    assert expected_progress(*Q4, date(2026, 10, 31), weights) == D("20.00")
    assert expected_progress(*Q4, date(2026, 11, 30), weights) == D("50.00")
    assert expected_progress(*Q4, date(2026, 11, 15), weights) == D("35.00")
    assert expected_progress(*Q4, date(2026, 12, 31), weights) == D("100.00")
    assert expected_progress(*Q4, date(2026, 9, 30), weights) == D("0.00")


@given(
    st.lists(st.integers(min_value=1, max_value=50), min_size=3, max_size=3),
    st.dates(min_value=date(2026, 9, 1), max_value=date(2027, 2, 1)),
)
def test_phased_plan_is_monotone_and_equal_weights_match_months(weights, today):
    plan = tuple(D(w) for w in weights)
    before = expected_progress(*Q4, today, plan)
    after = expected_progress(*Q4, today.replace(day=1) if today.day > 1 else today, plan)
    assert D(0) <= after <= before <= D(100)
    # equal weights: each month counts the same, however many days it has
    october_end = expected_progress(*Q4, date(2026, 10, 31), (D(1), D(1), D(1)))
    assert october_end == D("33.33")


def test_conversion_is_first_orders_over_leads():
    when = datetime(2026, 11, 3, 2, tzinfo=UTC)
    facts = [
        LeadRegistered(
            source_system="crm",
            source_id=f"l{i}",
            occurred_at=when,
            rep_id="rep-1",
            customer_id=f"c{i}",
        )
        for i in range(4)
    ] + [
        CustomerFirstOrder(
            source_system="crm",
            source_id="f1",
            occurred_at=when,
            rep_id="rep-1",
            customer_id="c1",
        )
    ]
    deltas = fold_sales(BusinessCalendar(UTC).dated(facts), CHAIN)
    east = deltas[RollupKey("east", when.date(), NO_DIMENSION, NO_DIMENSION, NO_DIMENSION)]
    assert (east.leads, east.first_orders) == (4, 1)
    totals = MetricTotals(leads=4, first_orders=1)
    assert metric_value("first_order_conversion", totals) == D("25.0000")
    assert metric_value("first_order_conversion", MetricTotals()) == D(0)


def test_a_purchase_stops_counting_once_fully_refunded_in_the_month_of_the_sale():
    october = date(2026, 10, 1)
    purchases = {
        "pos|s1": Purchase("rep-1", "c1", october, True, 10, 0),
        "pos|s2": Purchase("rep-1", "c2", october, False, 5, 0),
    }
    counts: dict = {}
    refunded = undo_refunded_purchases(
        purchases, [("pos|s1", 4), ("pos|s2", 2), ("pos|s1", 6)], CHAIN, counts
    )
    assert refunded == {"pos|s1": 10, "pos|s2": 2}
    # s1 is fully back (4 + 6): -1 purchase, -1 premium purchase at every level; s2 is partial
    assert counts == {(u, october, "c1"): [-1, -1] for u in ("rep-1", "sh", "east", "hq")}


def test_refunding_more_than_once_undoes_the_purchase_only_once():
    october = date(2026, 10, 1)
    purchases = {"pos|s1": Purchase("rep-1", "c1", october, False, 3, 2)}
    counts: dict = {}
    refunded = undo_refunded_purchases(purchases, [("pos|s1", 1), ("pos|s1", 1)], CHAIN, counts)
    assert refunded == {"pos|s1": 4}
    assert counts[("hq", october, "c1")] == [-1, 0]


def test_scope_totals_count_only_the_scopes_days_products_and_channels():
    from domain.rollup import RollupDelta, SalesScope, scope_totals

    day = date(2026, 11, 5)
    deltas = [
        (RollupKey("east", day, "tea", "oolong", "retail"), RollupDelta(100, 1)),
        (RollupKey("east", day, "tea", "pu-erh", "retail"), RollupDelta(1000, 2, 1000, 2)),
        (RollupKey("east", day, "tea", "pu-erh", "horeca"), RollupDelta(5000, 5, 5000, 5)),
        (RollupKey("east", date(2026, 11, 9), "tea", "oolong", "retail"), RollupDelta(7, 7)),
        (RollupKey("east", day, "", "", ""), RollupDelta(payments_minor=300, leads=2)),
    ]
    whole = scope_totals(deltas, SalesScope("east", day, day))
    assert (whole.revenue_minor, whole.units, whole.payments_minor, whole.leads) == (
        6100,
        8,
        300,
        2,
    )
    premium_retail = scope_totals(
        deltas, SalesScope("east", day, day, "tea", frozenset({"pu-erh"}), "retail")
    )
    assert (premium_retail.revenue_minor, premium_retail.premium_revenue_minor) == (1000, 1000)
    assert premium_retail.payments_minor == 300  # rows without a product always count
    week = scope_totals(
        deltas, SalesScope("east", day, date(2026, 11, 11), skus=frozenset({"oolong"}))
    )
    assert week.units == 8
