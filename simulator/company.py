"""A realistic beverage company (the one in DESIGN.md): org tree, product range, quarterly KRs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from domain.catalog import CompanyCatalog, ProductLaunch, StrategicProject
from domain.key_result.metrics import Metric, MetricKeyResult
from domain.org_tree import OrgUnit


@dataclass(frozen=True)
class Product:
    sku: str
    category: str
    premium: bool
    unit_price_minor: int


PRODUCTS: tuple[Product, ...] = (
    Product("green-tea-500ml", "tea", False, 350),
    Product("oolong-500ml", "tea", False, 450),
    Product("pu-erh-reserve-350ml", "tea", True, 1200),
    Product("orange-juice-1l", "juice", False, 990),
    Product("nfc-mango-300ml", "juice", True, 1590),
    Product("soda-lemon-330ml", "sparkling", False, 400),
    Product("sparkling-yuzu-330ml", "sparkling", True, 890),
    Product("mineral-water-550ml", "water", False, 200),
    Product("glacier-water-500ml", "water", True, 800),
)
PREMIUM_SKUS = tuple(p.sku for p in PRODUCTS if p.premium)

REGIONS: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    "east": ("华东 East", (("shanghai", "上海"), ("hangzhou", "杭州"), ("nanjing", "南京"))),
    "south": ("华南 South", (("guangzhou", "广州"), ("shenzhen", "深圳"), ("xiamen", "厦门"))),
    "north": ("华北 North", (("beijing", "北京"), ("tianjin", "天津"), ("jinan", "济南"))),
    "west": ("西南 Southwest", (("chengdu", "成都"), ("chongqing", "重庆"), ("kunming", "昆明"))),
}
REPS_PER_CITY = 8


def quarter_of(day: date) -> tuple[date, date]:
    first_month = 3 * ((day.month - 1) // 3) + 1
    start = date(day.year, first_month, 1)
    next_start = date(day.year + (first_month == 10), (first_month + 2) % 12 + 1, 1)
    return start, next_start - timedelta(days=1)


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
) -> MetricKeyResult:
    """An 'increase' KR measured over `window`."""
    return MetricKeyResult(
        id=kr_id,
        title=title,
        owner_unit_id=unit_id,
        metric=metric,
        start=Decimal(start),
        target=Decimal(target),
        window_start=window[0],
        window_end=window[1],
        category=category,
    )


STRATEGIC_PROJECTS = (
    StrategicProject(project_id="sp-campus", title="校园渠道拓展 Campus channel launch"),
    StrategicProject(project_id="sp-premium-tea", title="高端茶饮旗舰店 Premium tea flagships"),
    StrategicProject(project_id="sp-key-accounts", title="大客户经营 Key-account programme"),
)


def company_catalog(today: date) -> CompanyCatalog:
    """Org tree HQ -> 4 regions -> 12 cities -> 96 reps, with KRs for the current quarter."""
    quarter = quarter_of(today)
    units = [OrgUnit(id="hq", name="北极星饮品 Northstar Beverages", level="hq")]
    krs = [
        window_kr(
            "kr-hq-revenue",
            "Quarter revenue reaches 200M CNY",
            "hq",
            "revenue",
            200_000_000,
            quarter,
        ),
        window_kr(
            "kr-hq-premium-share",
            "Premium share of revenue rises to 35%",
            "hq",
            "premium_share",
            35,
            quarter,
            start=28,
        ),
    ]
    for region_id, (region_name, cities) in REGIONS.items():
        units.append(OrgUnit(id=region_id, name=region_name, level="region", parent_id="hq"))
        krs.append(
            window_kr(
                f"kr-{region_id}-revenue",
                f"{region_name}: quarter revenue 50M CNY",
                region_id,
                "revenue",
                50_000_000,
                quarter,
            )
        )
        for city_id, city_name in cities:
            units.append(OrgUnit(id=city_id, name=city_name, level="city", parent_id=region_id))
            krs.append(
                window_kr(
                    f"kr-{city_id}-tea-units",
                    f"{city_name}: 400k tea units",
                    city_id,
                    "units",
                    400_000,
                    quarter,
                    category="tea",
                )
            )
            for n in range(1, REPS_PER_CITY + 1):
                rep_id = f"rep-{city_id}-{n:02d}"
                units.append(
                    OrgUnit(
                        id=rep_id,
                        name=f"{city_name} 销售代表 {n:02d}",
                        level="rep",
                        parent_id=city_id,
                    )
                )
                krs.append(
                    window_kr(
                        f"kr-{rep_id}-revenue",
                        f"{rep_id}: quarter revenue 2M CNY",
                        rep_id,
                        "revenue",
                        2_000_000,
                        quarter,
                    )
                )
    return CompanyCatalog(
        units=tuple(units),
        key_results=tuple(krs),
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
