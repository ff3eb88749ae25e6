"""Projection: sales facts -> per-unit daily roll-ups -> live progress of metric-bound KRs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal

import asyncpg
import orjson

from domain.key_results import (
    ADDITIVE_TOTALS,
    CUSTOMER_METRICS,
    MetricTotals,
    WindowSpec,
    display_percent,
    metric_value,
    progress_percent,
)
from domain.rollup import (
    CustomerMonthKey,
    Purchase,
    RollupDelta,
    RollupKey,
    SalesScope,
    business_day,
    fold_customer_months,
    fold_sales,
    scope_totals,
    undo_refunded_purchases,
)
from domain.sales import SaleFact
from projections.kr_health import ProgressRow, record_health
from projections.sql_files import load_queries

SQL = load_queries("kr_progress")
# rep id -> the rep and each org unit above it, up to HQ
ChainOf = Callable[[str], tuple[str, ...]]
PROJECTION = "kr_progress"
# Every sales batch holds it shared; a refresh of KRs the OKR projection just bound or
# re-targeted holds it exclusively (refresh_bound_krs), so the refresh never sums the roll-ups
# while a batch that did not see those KRs is still in flight (its deltas would be lost).
SALES_BATCH_LOCK = 0x6E73_7362  # "nssb"
NOTIFY_CHANNEL = "northstar_kr_progress"


@dataclass(frozen=True, slots=True)
class PositionedFacts:
    """The valid facts decoded from one Kafka record, with the record's position."""

    partition: int
    offset: int
    facts: Sequence[SaleFact]


@dataclass(frozen=True, slots=True)
class BatchOutcome:
    records_applied: int
    records_skipped: int
    facts_new: int
    facts_duplicate: int
    krs_updated: int


async def business_now(conn: asyncpg.Connection) -> datetime:
    """The sales projection's clock: the latest business time seen, else the wall clock."""
    clock = await conn.fetchval(SQL["read_clock"])
    return clock if clock is not None else datetime.now(UTC)


async def refresh_progress(
    conn: asyncpg.Connection,
    kr_ids: Sequence[str],
    as_of: datetime | None,
    zone: tzinfo,
    now: datetime | None = None,
) -> list[ProgressRow]:
    """Recompute the progress rows of `kr_ids` from the roll-ups as of business time `now`
    (the projection's clock when not given) and store them with `as_of` (call inside a
    transaction, the KR rows locked)."""
    now = now or await business_now(conn)
    krs = await conn.fetch(SQL["kr_state"], list(kr_ids))
    return await recompute(conn, krs, as_of, now.astimezone(zone).date(), None)


DeltasByUnit = dict[str, list[tuple[RollupKey, RollupDelta]]]


async def recompute(
    conn: asyncpg.Connection,
    krs: Sequence[asyncpg.Record],
    as_of: datetime | None,
    today: date,
    deltas: DeltasByUnit | None,
) -> list[ProgressRow]:
    """New values of `krs` (rows of `kr_state`, locked) on business day `today`: a KR whose
    counted days did not move adds this batch's `deltas` to its stored sums; the others (and
    every KR when `deltas` is None) are summed afresh; customer counts are always counted."""
    windows: dict[str, tuple[date, date]] = {}
    totals: dict[str, MetricTotals] = {}
    fresh: list[str] = []
    customers: list[tuple[str, date, date, date]] = []
    memo: dict[SalesScope, MetricTotals] = {}
    for kr in krs:
        spec = WindowSpec(
            kr["window_kind"], kr["window_start"], kr["window_end"], kr["rolling_days"]
        )
        window = windows[kr["id"]] = spec.effective(today)
        if kr["metric"] in CUSTOMER_METRICS:
            customers.append((kr["id"], *window, spec.repeat_month(today)))
            totals[kr["id"]] = MetricTotals()
        elif deltas is None or (kr["counted_from"], kr["counted_to"]) != window:
            fresh.append(kr["id"])
        else:
            scope = SalesScope(
                kr["owner_unit_id"],
                *window,
                kr["category"],
                frozenset(kr["skus"]) if kr["skus"] else None,
                kr["channel"],
            )
            added = memo.get(scope)
            if added is None:
                added = memo[scope] = scope_totals(deltas.get(scope.unit_id, ()), scope)
            totals[kr["id"]] = MetricTotals(*kr["sums"]).plus(added)
    if fresh:
        for row in await conn.fetch(
            SQL["window_sums"],
            fresh,
            [windows[i][0] for i in fresh],
            [windows[i][1] for i in fresh],
        ):
            totals[row["id"]] = MetricTotals(*(row[name] for name in ADDITIVE_TOTALS))
    if customers:
        columns = [list(column) for column in zip(*customers, strict=True)]
        for row in await conn.fetch(SQL["customer_counts"], *columns):
            counted = totals[row["id"]]
            counted.distinct_customers = row["distinct_customers"]
            counted.repeat_buyers = row["repeat_buyers"]
            counted.premium_repeat_buyers = row["premium_repeat_buyers"]
    return await _store(conn, krs, totals, windows, as_of)


async def _store(
    conn: asyncpg.Connection,
    krs: Sequence[asyncpg.Record],
    totals: dict[str, MetricTotals],
    windows: dict[str, tuple[date, date]],
    as_of: datetime | None,
) -> list[ProgressRow]:
    values: list[tuple[asyncpg.Record, Decimal, Decimal]] = []
    rows: list[dict[str, object]] = []
    stamp = as_of.isoformat() if as_of else None
    for kr in krs:
        counted = totals[kr["id"]]
        actual = metric_value(kr["metric"], counted)
        pct = progress_percent(kr["kind"], kr["start_value"], kr["target_value"], actual)
        values.append((kr, actual, pct))
        first, last = windows[kr["id"]]
        rows.append(
            {
                "kr_id": kr["id"],
                "actual": str(actual),
                "pct": str(pct),
                "display": str(display_percent(pct)),
                "as_of": stamp,
                "d_from": first.isoformat(),
                "d_to": last.isoformat(),
                "revenue_minor": counted.revenue_minor,
                "units": counted.units,
                "premium_revenue_minor": counted.premium_revenue_minor,
                "payments_minor": counted.payments_minor,
                "leads": counted.leads,
                "first_orders": counted.first_orders,
            }
        )
    stored = await conn.fetch(SQL["store_progress"], orjson.dumps(rows).decode())
    last_data = {r["kr_id"]: r["as_of"] for r in stored}
    return [
        ProgressRow(
            kr["id"],
            kr["owner_unit_id"],
            kr["window_start"],
            kr["window_end"],
            actual,
            pct,
            kr["target_value"],
            tuple(kr["monthly_pacing"] or ()),
            last_data[kr["id"]],
        )
        for kr, actual, pct in values
    ]


class KrProgressProjection:
    """Applies a batch in ONE transaction that also advances the per-partition checkpoint."""

    def __init__(self, topic: str, zone: tzinfo, alerts_topic: str | None = None) -> None:
        self.topic = topic
        self.zone = zone
        self.alerts_topic = alerts_topic

    async def apply(
        self, conn: asyncpg.Connection, chain_of: ChainOf, records: Sequence[PositionedFacts]
    ) -> BatchOutcome:
        if not records:
            return BatchOutcome(0, 0, 0, 0, 0)
        partitions = sorted({r.partition for r in records})
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock_shared($1)", SALES_BATCH_LOCK)
            await conn.execute(SQL["lock_checkpoints"], PROJECTION, self.topic, partitions)
            next_offset = {
                row["partition"]: row["next_offset"]
                for row in await conn.fetch(
                    SQL["read_checkpoints"], PROJECTION, self.topic, partitions
                )
            }
            fresh = [r for r in records if r.offset >= next_offset[r.partition]]
            if not fresh:
                return BatchOutcome(0, len(records), 0, 0, 0)
            unique: dict[str, SaleFact] = {}
            fact_count = 0
            for record in fresh:
                for fact in record.facts:
                    unique.setdefault(fact.dedup_key, fact)
                    fact_count += 1
            seen_before = await conn.fetch(SQL["insert_facts"], list(unique))
            for row in seen_before:
                del unique[row["dedup_key"]]
            new_facts = list(unique.values())
            krs_updated = await self._apply_rollups(conn, chain_of, new_facts)
            advanced: dict[int, int] = {}
            for record in fresh:
                advanced[record.partition] = max(
                    advanced.get(record.partition, 0), record.offset + 1
                )
            await conn.execute(
                SQL["advance_checkpoints"],
                PROJECTION,
                self.topic,
                list(advanced),
                list(advanced.values()),
            )
            await conn.execute(
                "SELECT pg_notify($1, $2)",
                NOTIFY_CHANNEL,
                orjson.dumps({str(p): o for p, o in advanced.items()}).decode(),
            )
        return BatchOutcome(
            len(fresh),
            len(records) - len(fresh),
            len(new_facts),
            fact_count - len(new_facts),
            krs_updated,
        )

    async def _apply_rollups(
        self, conn: asyncpg.Connection, chain_of: ChainOf, facts: list[SaleFact]
    ) -> int:
        deltas = fold_sales(facts, chain_of, self.zone)
        if not deltas:
            return 0
        keys = sorted(deltas)
        await conn.execute(
            SQL["upsert_rollup"],
            [k.unit_id for k in keys],
            [k.day for k in keys],
            [k.category for k in keys],
            [k.sku for k in keys],
            [k.channel for k in keys],
            [deltas[k].revenue_minor for k in keys],
            [deltas[k].units for k in keys],
            [deltas[k].premium_revenue_minor for k in keys],
            [deltas[k].premium_units for k in keys],
            [deltas[k].payments_minor for k in keys],
            [deltas[k].leads for k in keys],
            [deltas[k].first_orders for k in keys],
        )
        customers = fold_customer_months(facts, chain_of, self.zone)
        await self._purchases(conn, chain_of, facts, customers)
        if customers:
            ckeys = sorted(customers)
            await conn.execute(
                SQL["upsert_customer_months"],
                [k[0] for k in ckeys],
                [k[1] for k in ckeys],
                [k[2] for k in ckeys],
                [customers[k][0] for k in ckeys],
                [customers[k][1] for k in ckeys],
            )
        days = [k.day for k in keys] + [k[1] for k in customers]
        units = sorted({k.unit_id for k in keys} | {k[0] for k in customers})
        now = await conn.fetchval(SQL["advance_clock"], max(f.occurred_at for f in facts))
        # Lock before summing: a concurrent batch on another partition then recomputes after us
        # and sees our roll-ups, so the last write of a KR row always includes every batch.
        locked = await conn.fetch(SQL["lock_affected_krs"], units, min(days), max(days))
        if not locked:
            return 0
        by_unit: DeltasByUnit = {}
        for key, delta in deltas.items():
            by_unit.setdefault(key.unit_id, []).append((key, delta))
        refreshed = await recompute(conn, locked, now, now.astimezone(self.zone).date(), by_unit)
        if self.alerts_topic is not None:
            await record_health(conn, refreshed, now, self.alerts_topic, self.zone)
        return len(refreshed)

    async def _purchases(
        self,
        conn: asyncpg.Connection,
        chain_of: ChainOf,
        facts: list[SaleFact],
        customers: dict[CustomerMonthKey, list[int]],
    ) -> None:
        """Remember each new sale; apply refunds (and refunds that arrived before their sale)
        to the purchases they name, taking fully refunded ones out of the customer counts."""
        sales = [f for f in facts if f.type == "sales.sale_recorded"]  # type: ignore[attr-defined]
        if sales:
            await conn.execute(
                SQL["insert_purchases"],
                [f"{f.source_system}|{f.source_id}" for f in sales],
                [f.rep_id for f in sales],
                [f.customer_id for f in sales],
                [business_day(f, self.zone).replace(day=1) for f in sales],
                [f.premium for f in sales],  # type: ignore[attr-defined]
                [f.quantity for f in sales],  # type: ignore[attr-defined]
            )
        refunds = [
            (f"{f.source_system}|{f.sale_source_id}", f.quantity)  # type: ignore[attr-defined]
            for f in facts
            if f.type == "sales.sale_refunded"  # type: ignore[attr-defined]
        ]
        if sales and await conn.fetchval(SQL["any_pending_refunds"]):
            taken = await conn.fetch(
                SQL["take_pending_refunds"], [f"{f.source_system}|{f.source_id}" for f in sales]
            )
            refunds.extend((r["sale_key"], r["quantity"]) for r in taken)
        if not refunds:
            return
        purchases = {
            r["sale_key"]: Purchase(
                r["rep_id"],
                r["customer_id"],
                r["month"],
                r["premium"],
                r["quantity"],
                r["refunded"],
            )
            for r in await conn.fetch(SQL["read_purchases"], sorted({k for k, _ in refunds}))
        }
        orphans: dict[str, int] = {}
        for key, quantity in refunds:
            if key not in purchases:
                orphans[key] = orphans.get(key, 0) + quantity
        if orphans:
            await conn.execute(SQL["add_pending_refunds"], list(orphans), list(orphans.values()))
        refunded = undo_refunded_purchases(
            purchases, [(k, q) for k, q in refunds if k in purchases], chain_of, customers
        )
        if refunded:
            await conn.execute(SQL["update_refunded"], list(refunded), list(refunded.values()))
