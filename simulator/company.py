"""A realistic beverage company (the one in DESIGN.md): its org tree and people, product range, and
the quarter's plan (objectives aligned HQ -> region -> city -> rep, each with its KRs)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from domain.catalog import (
    CatalogCycle,
    CatalogObjective,
    CatalogPerson,
    CompanyCatalog,
    ManualKeyResult,
    ProductLaunch,
    StrategicProject,
)
from domain.kernel import Actor
from domain.key_result.metrics import KrKind, Metric, MetricKeyResult
from domain.objectives import NORTH_STAR_PARENT
from domain.org_tree import OrgUnit
from simulator.pace import (
    NORTH_STAR_REPEAT_BUYERS,
    PRODUCTS,
    QUARTER_REVENUE_CNY,
    planned_units,
    premium_share_over_quarter,
    quarter_of,
)
from simulator.people import AUDITOR, name_for

PREMIUM_SKUS = tuple(p.sku for p in PRODUCTS if p.premium)

REGIONS: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    "east": ("华东 East", (("shanghai", "上海"), ("hangzhou", "杭州"), ("nanjing", "南京"))),
    "south": ("华南 South", (("guangzhou", "广州"), ("shenzhen", "深圳"), ("xiamen", "厦门"))),
    "north": ("华北 North", (("beijing", "北京"), ("tianjin", "天津"), ("jinan", "济南"))),
    "west": ("西南 Southwest", (("chengdu", "成都"), ("chongqing", "重庆"), ("kunming", "昆明"))),
}
REPS_PER_CITY = 8
CITIES = sum(len(cities) for _, cities in REGIONS.values())
# The plan's volume targets, from the company's pace (simulator/pace.py): each level's share
# of the quarter's revenue, the tea bottles a city's share holds, a rep's premium revenue at
# the quarter's planned premium share.
REGION_REVENUE = int(round(QUARTER_REVENUE_CNY / len(REGIONS), -6))
CITY_TEA_UNITS = int(round(planned_units("tea", QUARTER_REVENUE_CNY / CITIES), -4))
REP_REVENUE = int(round(QUARTER_REVENUE_CNY / (CITIES * REPS_PER_CITY), -4))
REP_PREMIUM_REVENUE = int(round(REP_REVENUE * premium_share_over_quarter() / 100, -4))


def person_for(unit_id: str, level: str) -> Actor:
    """The demo company's people: one manager per HQ/region/city unit, one person per rep."""
    if level == "rep":
        return Actor(person_id=f"p-{unit_id}", role="rep", unit_id=unit_id)
    role = "hq_admin" if level == "hq" else "manager"
    return Actor(person_id=f"p-mgr-{unit_id}", role=role, unit_id=unit_id)


def cycle_id_of(quarter_start: date) -> str:
    return f"{quarter_start.year}-Q{(quarter_start.month - 1) // 3 + 1}"


def window_kr(
    kr_id: str,
    title: str,
    unit_id: str,
    metric: Metric,
    target: int,
    window: tuple[date, date],
    *,
    start: int = 0,
    category: str | None = None,
    kind: KrKind = "increase",
    skus: tuple[str, ...] | None = None,
    window_kind: str = "cycle",
) -> MetricKeyResult:
    """A KR measured from sales over `window` (an 'increase' unless `kind` says otherwise)."""
    return MetricKeyResult(
        id=kr_id,
        title=title,
        owner_unit_id=unit_id,
        metric=metric,
        kind=kind,
        start=Decimal(start),
        target=Decimal(target),
        window_start=window[0],
        window_end=window[1],
        window=window_kind,
        category=category,
        skus=skus,
    )


STRATEGIC_PROJECTS = (
    StrategicProject(project_id="sp-campus", title="校园渠道拓展 Campus channel launch"),
    StrategicProject(project_id="sp-premium-tea", title="高端茶饮旗舰店 Premium tea flagships"),
    StrategicProject(project_id="sp-key-accounts", title="大客户经营 Key-account programme"),
)
NORTH_STAR_KR = "kr-hq-repeat-buyers"  # HQ's KR on the north star's metric


def _hq_krs(quarter: tuple[date, date]) -> list[MetricKeyResult]:
    return [
        window_kr(
            NORTH_STAR_KR,
            f"高端产品月复购客户数 ≥ {NORTH_STAR_REPEAT_BUYERS} premium monthly repeat buyers",
            "hq",
            "premium_monthly_repeat_buyers",
            NORTH_STAR_REPEAT_BUYERS,
            quarter,
            kind="stay_above",
            window_kind="calendar_month",
        ),
        window_kr(
            "kr-hq-premium-share-35",
            "高端产品收入占比从 28% 提升到 35%",
            "hq",
            "premium_share",
            35,
            quarter,
            start=28,
        ),
        window_kr(
            "kr-hq-revenue",
            f"Quarter revenue reaches {QUARTER_REVENUE_CNY / 1e6:,.0f}M CNY",
            "hq",
            "revenue",
            QUARTER_REVENUE_CNY,
            quarter,
        ),
        window_kr(
            "kr-hq-conversion",
            "新客首单转化率从 18% 提升到 27%",
            "hq",
            "first_order_conversion",
            27,
            quarter,
            start=18,
        ),
        window_kr(
            "kr-hq-collection",
            "回款率从 88% 提升到 96%",
            "hq",
            "collection_rate",
            96,
            quarter,
            start=88,
        ),
    ]


HQ_WEIGHTS = {
    NORTH_STAR_KR: 35,
    "kr-hq-premium-share-35": 25,
    "kr-hq-revenue": 20,
    "kr-hq-conversion": 10,
    "kr-hq-collection": 10,
}


def _manager_krs(
    unit: OrgUnit, quarter: tuple[date, date]
) -> tuple[list[MetricKeyResult], dict[str, int]]:
    """A region's or a city's KRs: premium share, collection rate and its volume target."""
    share, collection = f"kr-{unit.id}-premium-share", f"kr-{unit.id}-collection"
    krs = [
        window_kr(
            share,
            f"{unit.name}: premium share 35%",
            unit.id,
            "premium_share",
            35,
            quarter,
            start=28,
        ),
        window_kr(
            collection,
            f"{unit.name}: collection rate 95%",
            unit.id,
            "collection_rate",
            95,
            quarter,
            start=88,
        ),
    ]
    if unit.level == "region":
        volume = f"kr-{unit.id}-revenue"
        krs.append(
            window_kr(
                volume,
                f"{unit.name}: quarter revenue {REGION_REVENUE / 1e6:,.0f}M CNY",
                unit.id,
                "revenue",
                REGION_REVENUE,
                quarter,
            )
        )
    else:
        volume = f"kr-{unit.id}-tea-units"
        krs.append(
            window_kr(
                volume,
                f"{unit.name}: {CITY_TEA_UNITS / 1e3:,.0f}k tea units",
                unit.id,
                "units",
                CITY_TEA_UNITS,
                quarter,
                category="tea",
            )
        )
    return krs, {share: 40, collection: 30, volume: 30}


def _rep_krs(
    unit: OrgUnit, quarter: tuple[date, date]
) -> tuple[list[MetricKeyResult], ManualKeyResult, dict[str, int]]:
    premium, revenue = f"kr-{unit.id}-premium-revenue", f"kr-{unit.id}-revenue"
    customers = ManualKeyResult(
        id=f"kr-{unit.id}-new-customers",
        title="12 new customers place a first order",
        owner_unit_id=unit.id,
        unit="customers",
        start=Decimal(0),
        target=Decimal(12),
    )
    bound = [
        window_kr(
            premium,
            f"Premium revenue {REP_PREMIUM_REVENUE / 1e3:,.0f}k CNY",
            unit.id,
            "revenue",
            REP_PREMIUM_REVENUE,
            quarter,
            skus=PREMIUM_SKUS,
        ),
        window_kr(
            revenue,
            f"{unit.id}: quarter revenue {REP_REVENUE / 1e6:,.2f}M CNY",
            unit.id,
            "revenue",
            REP_REVENUE,
            quarter,
        ),
    ]
    return bound, customers, {premium: 50, customers.id: 25, revenue: 25}


def company_units() -> list[OrgUnit]:
    """HQ -> 4 regions -> 12 cities -> 96 reps."""
    units = [OrgUnit(id="hq", name="北极星饮品 Northstar Beverages", level="hq")]
    for region_id, (region_name, cities) in REGIONS.items():
        units.append(OrgUnit(id=region_id, name=region_name, level="region", parent_id="hq"))
        for city_id, city_name in cities:
            units.append(OrgUnit(id=city_id, name=city_name, level="city", parent_id=region_id))
            units += [
                OrgUnit(
                    id=f"rep-{city_id}-{n:02d}",
                    name=f"{city_name} 销售代表 {n:02d}",
                    level="rep",
                    parent_id=city_id,
                )
                for n in range(1, REPS_PER_CITY + 1)
            ]
    return units


def company_catalog(today: date) -> CompanyCatalog:
    """The company with its plan for the quarter containing `today`: one person heading each
    unit, one objective each (HQ's to the north star, each other to the level above's) and its
    KRs, most measured from sales."""
    quarter = quarter_of(today)
    cycle_id = cycle_id_of(quarter[0])
    units = company_units()
    people = [person_for(u.id, u.level) for u in units] + [AUDITOR]
    krs: list[MetricKeyResult] = []
    manual: list[ManualKeyResult] = []
    objectives: list[CatalogObjective] = []
    for unit in units:
        if unit.level == "hq":
            own, weights = _hq_krs(quarter), HQ_WEIGHTS
            title = "高端产品成为增长引擎 Premium drives growth"
        elif unit.level == "rep":
            own, customers, weights = _rep_krs(unit, quarter)
            manual.append(customers)
            title = f"{unit.name}: grow premium"
        else:
            own, weights = _manager_krs(unit, quarter)
            title = f"{unit.name}: grow premium"
        krs += own
        parent = NORTH_STAR_PARENT if unit.parent_id is None else f"o-{unit.parent_id}"
        objectives.append(
            CatalogObjective(
                objective_id=f"o-{unit.id}",
                cycle_id=cycle_id,
                title=title,
                owner_person_id=person_for(unit.id, unit.level).person_id,
                parent_id=parent,
                weights={k: Decimal(w) for k, w in weights.items()},
            )
        )
    return CompanyCatalog(
        reason="the company's plan for the quarter",
        units=tuple(units),
        people=tuple(
            CatalogPerson(
                person_id=p.person_id, name=name_for(p.person_id), role=p.role, unit_id=p.unit_id
            )
            for p in people
        ),
        cycles=(CatalogCycle(cycle_id=cycle_id, starts_on=quarter[0], ends_on=quarter[1]),),
        key_results=tuple(krs),
        manual_key_results=tuple(manual),
        objectives=tuple(objectives),
        strategic_projects=STRATEGIC_PROJECTS,
        # the yuzu soda came out a week ago; its first month's plan is 250k CNY
        launches=(
            ProductLaunch(
                sku="sparkling-yuzu-330ml",
                launched_on=today - timedelta(days=7),
                first_month_plan_minor=25_000_000,
            ),
        ),
    )
