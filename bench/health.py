"""Benchmark of issue #4: freshness from a sale produced to its KRs' progress and health
committed, at a steady 2,000 sales/s with 1,000 metric-bound KRs across the org tree; then the
sustained sales/s at which freshness p99 stays under 1 s (edge-batched records); and the raw
aiokafka decode+aggregate rate of the same topic as the ceiling, all in one run.

    .venv/bin/python -m bench.health [--rate 2000] [--seconds 20] [--rates 5000,10000,20000,30000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
from datetime import UTC, datetime
from decimal import Decimal

import asyncpg
import orjson

from bench.slice import TODAY, Records, Stack, raw_ceiling, steady_send, write_results
from domain.catalog import CompanyCatalog
from domain.key_result.metrics import MetricKeyResult
from handlers.catalog_import import load_plan_now
from infra.settings import Settings
from simulator.company import PREMIUM_SKUS, company_catalog
from simulator.pace import quarter_of
from simulator.sales import SalesSimulator

KR_COUNT = 1000
P99_LIMIT_S = 1.0


def thousand_krs() -> CompanyCatalog:
    """The simulated company's KRs plus variants up to 1,000: every rep, city and region gets
    KRs over other metrics, windows and filters (calendar month, rolling days, SKU sets,
    channels, customers, conversion, collection)."""
    base = company_catalog(TODAY.date())
    quarter = quarter_of(TODAY.date())
    variants: list[dict[str, object]] = [
        {"metric": "units", "window": "calendar_month"},
        {"metric": "revenue", "window": "rolling_days", "rolling_days": 7},
        {"metric": "units", "skus": PREMIUM_SKUS},
        {"metric": "revenue", "channel": "retail", "window": "rolling_days", "rolling_days": 30},
        {"metric": "premium_share"},
        {"metric": "collection_rate", "window": "calendar_month"},
        {"metric": "first_order_conversion"},
        {"metric": "distinct_customers", "window": "calendar_month"},
        {"metric": "monthly_repeat_buyers"},
        {"metric": "premium_monthly_repeat_buyers", "window": "calendar_month"},
    ]
    krs = list(base.key_results)
    units = [u.id for u in base.units]
    n = 0
    while len(krs) < KR_COUNT:
        unit = units[n % len(units)]
        variant = variants[(n // len(units)) % len(variants)]
        krs.append(
            MetricKeyResult(
                id=f"bench-{unit}-{n}",
                title=f"bench KR {n}",
                owner_unit_id=unit,
                start=Decimal(0),
                target=Decimal(1_000_000),
                window_start=quarter[0],
                window_end=quarter[1],
                **variant,  # type: ignore[arg-type]
            )
        )
        n += 1
    return base.model_copy(update={"key_results": tuple(krs)})


class SaleTemplates:
    """Unique facts at high rates without re-running the simulator: facts drawn once, then
    re-issued under fresh source ids and the current time (serialising a dict is ~1 µs)."""

    def __init__(self, company: CompanyCatalog, sales: int = 20_000) -> None:
        simulator = SalesSimulator(company, seed=5, source="bench-health")
        self.sales = [
            [orjson.loads(f.model_dump_json()) for f in simulator.facts_at(TODAY)]
            for _ in range(sales)
        ]
        self.issued = 0

    def next_sale(self, now: str) -> list[dict[str, object]]:
        template = self.sales[self.issued % len(self.sales)]
        self.issued += 1
        facts = []
        for fact in template:
            fresh = dict(fact, occurred_at=now, source_id=f"{fact['source_id']}-{self.issued}")
            if "sale_source_id" in fresh:
                fresh["sale_source_id"] = f"{fresh['sale_source_id']}-{self.issued}"
            facts.append(fresh)
        return facts


async def steady(
    stack: Stack, templates: SaleTemplates, rate: int, seconds: float, sales_per_record: int
) -> dict[str, object]:
    """`rate` sales/s for `seconds`: one Kafka record per fact (`sales_per_record` 0) or one
    `sales.batch` record per `sales_per_record` sales."""

    def next_records() -> tuple[Records, int]:
        now = datetime.now(UTC).isoformat()
        if sales_per_record:
            events = [f for _ in range(sales_per_record) for f in templates.next_sale(now)]
            return [(orjson.dumps({"type": "sales.batch", "events": events}), None)], (
                sales_per_record
            )
        facts = templates.next_sale(now)
        return [(orjson.dumps(f), str(f["customer_id"]).encode()) for f in facts], 1

    measured = await steady_send(stack, rate, seconds, next_records)
    return {
        "target_sales_per_s": rate,
        "achieved_sales_per_s": measured.pop("achieved_rate"),
        "sales_per_record": sales_per_record or "one record per fact",
        **measured,
    }


async def _steps(
    stack: Stack, templates: SaleTemplates, rates: list[int], seconds: float, per_record: int
) -> list[dict[str, object]]:
    """Rising steady rates until freshness p99 passes the limit."""
    steps = []
    for step in rates:
        result = await steady(stack, templates, step, seconds, per_record)
        steps.append(result)
        print(
            f"  {step:>6,} sales/s target ({result['sales_per_record']}): achieved"
            f" {result['achieved_sales_per_s']:,.0f}, p99 {result['p99_ms']:.0f} ms",
            flush=True,
        )
        if result["p99_ms"] > 1000 * P99_LIMIT_S:  # type: ignore[operator]
            break
    return steps


def _held(steps: list[dict[str, object]]) -> float:
    return max(
        (
            r["achieved_sales_per_s"]
            for r in steps
            if r["p99_ms"] <= 1000 * P99_LIMIT_S  # type: ignore[operator]
            and r["achieved_sales_per_s"] >= 0.95 * r["target_sales_per_s"]  # type: ignore[operator]
        ),
        default=0,
    )  # type: ignore[return-value]


async def run(
    base: Settings,
    rate: int,
    seconds: float,
    rates: list[int],
    single_rates: list[int],
    workers: int,
    freshness_runs: int,
) -> dict[str, object]:
    company = thousand_krs()
    templates = SaleTemplates(company)
    async with Stack(base, "health") as stack:
        conn = await asyncpg.connect(stack.settings.dsn)
        try:
            await load_plan_now(stack.settings, conn, company)
            krs = await conn.fetchval("SELECT count(*) FROM key_result")
        finally:
            await conn.close()
        stack.start_workers(workers)
        await steady(stack, templates, 50, 3, 0)  # group join and first batches: not timed
        fresh = [await steady(stack, templates, rate, seconds, 0) for _ in range(freshness_runs)]
        singles = await _steps(stack, templates, single_rates, seconds / 2, 0)
        sustained = await _steps(stack, templates, rates, seconds / 2, 50)
        ceiling = await raw_ceiling(stack.settings)
    return {
        "when": datetime.now(UTC).isoformat(),
        "machine": {"cpus": os.cpu_count()},
        "metric_bound_krs": krs,
        "workers": workers,
        "freshness": fresh[0],
        "freshness_runs": fresh,
        "single_record_steps": singles,
        "single_record_sales_per_s_with_p99_under_1s": _held(singles),
        "sustained_steps": sustained,
        "sustained_sales_per_s_with_p99_under_1s": _held(sustained),
        "raw_aiokafka_ceiling": ceiling,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=int, default=2000, help="sales/s for the freshness run")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--rates", default="5000,10000,15000,20000,30000")
    parser.add_argument("--single-rates", default="4000,6000,8000,10000,12000,15000,18000")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--freshness-runs", type=int, default=5, help="consecutive runs")
    args = parser.parse_args()
    rates = [int(r) for r in args.rates.split(",") if r]
    singles = [int(r) for r in args.single_rates.split(",") if r]
    results = asyncio.run(
        run(Settings(), args.rate, args.seconds, rates, singles, args.workers, args.freshness_runs)
    )
    out = write_results("health", results)
    f, c = results["freshness"], results["raw_aiokafka_ceiling"]
    runs = results["freshness_runs"]
    p99s = ", ".join(f"{r['p99_ms']:.0f}" for r in runs)  # type: ignore[attr-defined]
    print(f"""
freshness p99 of {len(runs)} consecutive runs: {p99s} ms   [target <= 250 ms in each]
{results["metric_bound_krs"]} metric-bound KRs
freshness @ {f["achieved_sales_per_s"]:,.0f} sales/s (target {f["target_sales_per_s"]:,}): p50 {f["p50_ms"]:.1f} ms, p99 {f["p99_ms"]:.1f} ms, max {f["max_ms"]:.1f} ms   [target p99 <= 250 ms]
{results["workers"]} worker(s), sustained with p99 < 1 s: {results["single_record_sales_per_s_with_p99_under_1s"]:,.0f} sales/s one record per sale   [target >= 10,000 per worker, 18,000 with two]
  and {results["sustained_sales_per_s_with_p99_under_1s"]:,.0f} sales/s in records of 50 sales   [target >= 25,000]
raw aiokafka decode+aggregate ceiling, same topic: {c["facts_per_s"]:,.0f} facts/s
results: {out}""")


if __name__ == "__main__":
    main()
