from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.catalog import CompanyCatalog
from domain.kernel import DomainError
from domain.org_tree import OrgTree, OrgUnit
from domain.rollup import BusinessCalendar, RollupKey, fold_sales
from domain.sales import PaymentCollected, SaleRecorded, SaleRefunded

UNITS = (
    OrgUnit(id="hq", name="HQ", level="hq"),
    OrgUnit(id="east", name="East", level="region", parent_id="hq"),
    OrgUnit(id="sh", name="Shanghai", level="city", parent_id="east"),
    OrgUnit(id="rep-1", name="Rep 1", level="rep", parent_id="sh"),
)
SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_chain_runs_from_rep_to_hq():
    assert OrgTree(UNITS).ancestors_and_self("rep-1") == ("rep-1", "sh", "east", "hq")
    assert OrgTree(UNITS).subtree("east") == {"east", "sh", "rep-1"}


@pytest.mark.parametrize(
    ("units", "message"),
    [
        (UNITS[1:], "exactly one root"),
        (
            (*UNITS, OrgUnit(id="rep-2", name="r", level="rep", parent_id="east")),
            "cannot sit under",
        ),
        ((*UNITS, OrgUnit(id="x", name="x", level="rep", parent_id="nowhere")), "unknown parent"),
        ((*UNITS, UNITS[3]), "defined twice"),
    ],
)
def test_malformed_trees_are_refused(units, message):
    with pytest.raises(DomainError, match=message):
        OrgTree(units)


def test_catalog_refuses_kr_for_unknown_unit():
    with pytest.raises(ValueError, match="unknown unit"):
        CompanyCatalog.model_validate(
            {
                "units": [u.model_dump() for u in UNITS],
                "key_results": [
                    {
                        "id": "k",
                        "title": "t",
                        "owner_unit_id": "west",
                        "metric": "units",
                        "start": 0,
                        "target": 5,
                        "window_start": "2026-10-01",
                        "window_end": "2026-12-31",
                    }
                ],
            }
        )


def sale(source_id, amount, quantity, premium, when, cls=SaleRecorded, **extra):
    return cls(
        source_system="pos",
        source_id=source_id,
        occurred_at=when,
        rep_id="rep-1",
        customer_id="c-1",
        sku="tea",
        category="tea",
        premium=premium,
        channel="retail",
        quantity=quantity,
        amount_minor=amount,
        **extra,
    )


def test_fold_credits_every_level_and_refunds_reverse():
    when = datetime(2026, 11, 3, 10, tzinfo=UTC)
    facts = [
        sale("s1", 1000, 2, True, when),
        sale("s2", 500, 1, False, when),
        sale("r1", 400, 1, True, when, cls=SaleRefunded, sale_source_id="s1"),
        PaymentCollected(
            source_system="pos",
            source_id="p1",
            occurred_at=when,
            rep_id="rep-1",
            customer_id="c-1",
            amount_minor=1500,
        ),
    ]
    deltas = fold_sales(BusinessCalendar(SHANGHAI).dated(facts), OrgTree(UNITS).ancestors_and_self)
    assert {k.unit_id for k in deltas} == {"rep-1", "sh", "east", "hq"}
    hq = deltas[RollupKey("hq", when.date(), "tea", "tea", "retail")]
    assert (hq.revenue_minor, hq.units, hq.premium_revenue_minor, hq.premium_units) == (
        1100,
        2,
        600,
        1,
    )


def test_business_day_is_the_companys_local_day():
    late_utc = datetime(2026, 11, 3, 17, 30, tzinfo=UTC)  # 01:30 on the 4th in Shanghai
    deltas = fold_sales(
        BusinessCalendar(SHANGHAI).dated([sale("s1", 100, 1, False, late_utc)]),
        OrgTree(UNITS).ancestors_and_self,
    )
    assert {k.day.day for k in deltas} == {4}


def test_payments_and_customer_months_fold_along_the_chain():
    from domain.rollup import fold_customer_months

    when = datetime(2026, 11, 3, 10, tzinfo=UTC)
    facts = [
        sale("s1", 1000, 2, True, when),
        sale("s2", 500, 1, True, when),
        sale("r1", 400, 1, True, when, cls=SaleRefunded, sale_source_id="s1"),
        PaymentCollected(
            source_system="pos",
            source_id="p1",
            occurred_at=when,
            rep_id="rep-1",
            customer_id="c-1",
            amount_minor=1500,
        ),
    ]
    dated = BusinessCalendar(SHANGHAI).dated(facts)
    deltas = fold_sales(dated, OrgTree(UNITS).ancestors_and_self)
    assert deltas[RollupKey("hq", when.date(), "", "", "")].payments_minor == 1500
    months = fold_customer_months(dated, OrgTree(UNITS).ancestors_and_self)
    # a refund is matched to its sale by the projection (undo_refunded_purchases), not here
    assert months[("east", when.date().replace(day=1), "c-1")] == [2, 2]
    assert len(months) == 4


def test_new_metric_values():
    from decimal import Decimal

    from domain.key_result.metrics import MetricTotals, metric_value

    totals = MetricTotals(
        revenue_minor=200_000,
        payments_minor=150_000,
        distinct_customers=7,
        repeat_buyers=3,
        premium_repeat_buyers=1,
    )
    assert metric_value("collection_rate", totals) == Decimal("75.0000")
    assert metric_value("distinct_customers", totals) == 7
    assert metric_value("monthly_repeat_buyers", totals) == 3
    assert metric_value("premium_monthly_repeat_buyers", totals) == 1
    assert metric_value("collection_rate", MetricTotals()) == 0


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from(
        [
            "Asia/Shanghai",
            "Europe/London",
            "America/St_Johns",  # -3:30 with summer time
            "Asia/Kathmandu",  # +5:45
            "Australia/Lord_Howe",  # a 30-minute summer shift
            "Pacific/Apia",  # skipped a whole day in 2011
            "America/Sao_Paulo",
        ]
    ),
    st.datetimes(
        min_value=datetime(1900, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ),
)
def test_the_calendar_gives_the_local_day_of_every_instant(zone_name, at):
    """The day cached per 15-minute slice equals a direct conversion, across summer time,
    odd offsets, historical local mean times and a skipped day."""
    zone = ZoneInfo(zone_name)
    calendar = BusinessCalendar(zone)
    assert calendar.day(at) == at.astimezone(zone).date()
    for neighbour in (at - timedelta(minutes=7), at + timedelta(minutes=7)):
        assert calendar.day(neighbour) == neighbour.astimezone(zone).date()
