"""Evaluation as time passes: values of calendar-month and rolling windows, health against
the moving pacing line, and the rules that look across KRs (region lagging, overdue target
adjustments, certification). Run by the worker's timer and by `northstar evaluate --at`."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal

import asyncpg

from domain.alert_rules import (
    CERTIFICATION_METRIC,
    CycleResult,
    certification_suggested,
    iso_week,
    lagging_regions,
    overdue_adjustments,
)
from domain.alerts import (
    AdjustmentOverdue,
    Alert,
    CertificationSuggested,
    CleanupDue,
    EscalationOverdue,
    RegionLagging,
    rule_alert_id,
)
from domain.focus import cleanup_tasks
from infra.postgres.outbox import enqueue_alerts
from projections.okr.check_in_health import evaluate_check_in_krs
from projections.reads import okr_reads
from projections.sales.kr_health import ProgressRow, record_health
from projections.sales.kr_progress import SNAPSHOT, business_now, refresh_progress, shard_locks
from projections.sales.sales_rollups import SQL as ROLLUP_SQL
from projections.sql_files import load_queries

SQL = load_queries("evaluation")
LAGGING_LOOKBACK_WEEKS = 13
EVALUATION_CLOCK = -1  # the clock row `evaluate --at` moves (the partitions' rows are theirs)


@dataclass(frozen=True)
class Evaluation:
    business_time: datetime
    krs_recomputed: int
    health_transitions: int
    rule_alerts: int


async def evaluate(
    conn: asyncpg.Connection,
    at: datetime,
    zone: tzinfo,
    alerts_topic: str | None,
    response_time: timedelta,
    certification_metric: str = CERTIFICATION_METRIC,
) -> Evaluation:
    """Move the business clock to `at` (never back) and re-evaluate everything that depends
    on it, in one transaction; alerts only when `alerts_topic` is given (not while rebuilding)."""
    async with shard_locks(conn, (), wait=True), conn.transaction(isolation=SNAPSHOT):
        await conn.execute(ROLLUP_SQL["advance_clock"], [EVALUATION_CLOCK], [at])
        now = await business_now(conn)
        all_ids = [r["kr_id"] for r in await conn.fetch(SQL["lock_all_krs"])]
        moving = [r["id"] for r in await conn.fetch(SQL["time_dependent_krs"])]
        refreshed = await refresh_progress(conn, moving, zone, now)
        still = sorted(set(all_ids) - set(moving))
        rows = refreshed + [
            ProgressRow(
                r["kr_id"],
                r["owner_unit_id"],
                r["window_start"],
                r["window_end"],
                r["actual"],
                r["progress_pct"],
                r["target_value"],
                tuple(r["monthly_pacing"] or ()),
                r["as_of"],
            )
            for r in await conn.fetch(SQL["stored_progress"], still)
        ]
        if alerts_topic is None:
            return Evaluation(now, len(refreshed), 0, 0)
        # Check-in KRs first: their rows are locked before the alert lock, as the OKR agent does.
        checked_in = await evaluate_check_in_krs(conn, None, now, zone)
        transitions = await record_health(conn, rows, now, alerts_topic, zone)
        today = now.astimezone(zone).date()
        alerts = (
            await _lagging(conn, today, now)
            + await _overdue(conn, now, response_time)
            + await _overdue_escalations(conn, now)
            + await _certifications(conn, today, now, certification_metric)
            + await _cleanups(conn, today, now, zone)
        )
        new = await enqueue_alerts(conn, alerts, alerts_topic)
        await enqueue_alerts(conn, checked_in, alerts_topic)
        return Evaluation(now, len(refreshed), transitions + len(checked_in), new)


async def _lagging(
    conn: asyncpg.Connection, today: date, now: datetime
) -> list[tuple[Alert, str, int]]:
    """Weekly conversion per region over the completed ISO weeks of the last quarter."""
    this_monday = today - timedelta(days=today.weekday())
    first_monday = this_monday - timedelta(weeks=LAGGING_LOOKBACK_WEEKS)
    weeks = [iso_week(first_monday + timedelta(weeks=n)) for n in range(LAGGING_LOOKBACK_WEEKS)]
    conversion: dict[str, dict[str, Decimal]] = {
        r["id"]: {} for r in await conn.fetch(SQL["regions"])
    }
    rows = await conn.fetch(
        SQL["weekly_region_conversion"], first_monday, this_monday - timedelta(days=1)
    )
    for row in rows:
        if row["leads"] > 0:
            value = Decimal(row["first_orders"]) * 100 / Decimal(row["leads"])
            conversion[row["region_id"]][iso_week(row["week_start"])] = value.quantize(
                Decimal("0.01")
            )
    alerts: list[tuple[Alert, str, int]] = []
    for streak in lagging_regions(conversion, weeks):
        alert = RegionLagging(
            alert_id=rule_alert_id("region-lagging", streak.region_id, streak.iso_week),
            region_id=streak.region_id,
            iso_weeks=streak.iso_weeks,
            conversion_pct=streak.conversion,
            peer_mean_pct=streak.peer_mean,
            occurred_at=now,
        )
        alerts.append((alert, f"alerts-lagging-{streak.region_id}-{streak.iso_week}", 1))
    return alerts


async def _overdue(
    conn: asyncpg.Connection, now: datetime, response_time: timedelta
) -> list[tuple[Alert, str, int]]:
    rows = {
        (r["kr_id"], r["request_id"]): r
        for r in await conn.fetch(SQL["pending_adjustments"], now - response_time)
    }
    late = overdue_adjustments(
        {f"{k}|{q}": r["requested_at"] for (k, q), r in rows.items()}, now, response_time
    )
    alerts: list[tuple[Alert, str, int]] = []
    for key in late:
        kr_id, request_id = key.split("|", 1)
        row = rows[(kr_id, request_id)]
        waited = (now - row["requested_at"]).total_seconds() / 3600
        alert = AdjustmentOverdue(
            alert_id=rule_alert_id("adjustment-overdue", kr_id, request_id),
            kr_id=kr_id,
            request_id=request_id,
            owner_unit_id=row["owner_unit_id"],
            requested_by=row["requested_by"],
            requested_at=row["requested_at"],
            waiting_hours=Decimal(waited).quantize(Decimal("0.1")),
            response_time_hours=Decimal(response_time.total_seconds() / 3600).quantize(
                Decimal("0.1")
            ),
            occurred_at=now,
        )
        alerts.append((alert, f"alerts-overdue-{kr_id}-{request_id}", 1))
    return alerts


async def _overdue_escalations(
    conn: asyncpg.Connection, now: datetime
) -> list[tuple[Alert, str, int]]:
    """Each escalation past its due time and not resolved: one alert, ever (its id names it)."""
    alerts: list[tuple[Alert, str, int]] = []
    for row in await conn.fetch(SQL["overdue_escalations"], now):
        waited = (now - row["raised_at"]).total_seconds() / 3600
        alert = EscalationOverdue(
            alert_id=rule_alert_id("escalation-overdue", row["escalation_id"]),
            escalation_id=row["escalation_id"],
            kr_id=row["kr_id"],
            to_unit_id=row["to_unit_id"],
            to_person_id=row["to_person_id"],
            raised_at=row["raised_at"],
            due_at=row["due_at"],
            acknowledged=row["acknowledged"],
            waiting_hours=Decimal(waited).quantize(Decimal("0.1")),
            occurred_at=now,
        )
        alerts.append((alert, f"alerts-escalation-{row['escalation_id']}", 1))
    return alerts


async def _certifications(
    conn: asyncpg.Connection, today: date, now: datetime, metric: str
) -> list[tuple[Alert, str, int]]:
    """A person's best KR of the certification metric per ended cycle; two calendar-adjacent
    cycles over 100 % suggest certifying them (`domain.alert_rules.certification_suggested`),
    once per pair: the alert id is the person's and the second cycle's."""
    best: dict[str, dict[str, tuple[CycleResult, str]]] = defaultdict(dict)
    for row in await conn.fetch(SQL["person_cycle_results"], today, metric):
        result = CycleResult(row["cycle_id"], row["starts_on"], row["ends_on"], row["progress_pct"])
        cycles = best[row["person_id"]]
        if row["cycle_id"] not in cycles or result.progress > cycles[row["cycle_id"]][0].progress:
            cycles[row["cycle_id"]] = (result, row["kr_id"])
    alerts: list[tuple[Alert, str, int]] = []
    for person_id, cycles in best.items():
        ordered = sorted(cycles, key=lambda c: cycles[c][0].starts_on)
        for cycle_id in certification_suggested([cycles[c][0] for c in ordered]):
            previous = ordered[ordered.index(cycle_id) - 1]
            alert = CertificationSuggested(
                alert_id=rule_alert_id("certification", person_id, cycle_id),
                person_id=person_id,
                cycle_ids=(previous, cycle_id),
                kr_ids=(cycles[previous][1], cycles[cycle_id][1]),
                progress_pct=(cycles[previous][0].progress, cycles[cycle_id][0].progress),
                occurred_at=now,
            )
            alerts.append((alert, f"alerts-certification-{person_id}-{cycle_id}", 1))
    return alerts


async def _cleanups(
    conn: asyncpg.Connection, today: date, now: datetime, zone: tzinfo
) -> list[tuple[Alert, str, int]]:
    """The quarter's cleanup tasks not done yet (`domain.focus`): one alert per person and
    quarter, ever (its id names them)."""
    quarter = await okr_reads.quarter(conn, None, today)
    if quarter is None:
        return []
    held = await okr_reads.held_objectives(conn, None, str(zone))
    days = (quarter["starts_on"], quarter["ends_on"])
    alerts: list[tuple[Alert, str, int]] = []
    for task in cleanup_tasks(held, quarter["cycle_id"], days, today):
        if task.done:
            continue
        alert = CleanupDue(
            alert_id=rule_alert_id("cleanup", task.owner_person_id, task.cycle_id),
            person_id=task.owner_person_id,
            cycle_id=task.cycle_id,
            in_force_at_start=task.active_at_start,
            objective_ids=task.objective_ids,
            to_close=task.to_close,
            occurred_at=now,
        )
        alerts.append((alert, f"alerts-cleanup-{task.owner_person_id}-{task.cycle_id}", 1))
    return alerts
