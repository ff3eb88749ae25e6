"""Health of KRs fed by check-ins, first class like the sales-fed ones: evaluated on every
check-in (by the OKR agent, in its batch's transaction) and as time passes (by the timer); each
change of colour is kept as history and becomes an `alert.kr.health_changed` with a
deterministic id (KR + transition number), so a redelivered check-in never alerts twice."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, tzinfo

import asyncpg
import orjson

from domain.alerts import Alert, KrHealthChanged, health_alert_id
from domain.event_chain import RecordedEvent
from domain.key_result.events import (
    CheckInRecorded,
    TargetAdjustmentApplied,
    TargetRedefined,
    kr_event_of,
    kr_of_stream,
)
from domain.objectives import KeyResultWeightsSet, portfolio_event_of
from projections.reads.okr_reads import kr_reading
from projections.sql_files import load_queries

SQL = load_queries("check_in_health")
AlertRows = list[tuple[Alert, str, int]]


async def evaluate_check_in_krs(
    conn: asyncpg.Connection, kr_ids: Sequence[str] | None, at: datetime, zone: tzinfo
) -> AlertRows:
    """Evaluate the check-in KRs (these, or all) at `at`; record each change of colour and
    return its alert rows for the caller to enqueue last in its transaction.

    A KR is judged at the later of `at` and its last check-in, never at a moment before the
    value it is judged from: an event that arrives after later check-ins (weights travel in
    another partition than the KR's check-ins) judges the KR as of its last check-in, with the
    pacing line the weights give it."""
    alerts: AlertRows = []
    for row in await conn.fetch(SQL["readings"], None if kr_ids is None else list(kr_ids)):
        moment = max(at, row["last_check_in_at"] or at)
        reading = kr_reading(row, moment, zone)
        old = row["recorded_health"]
        if reading["health"] == old or reading["health"] is None:
            continue
        transition = row["transitions"] + 1
        alert = KrHealthChanged(
            alert_id=health_alert_id(row["kr_id"], transition),
            kr_id=row["kr_id"],
            owner_unit_id=row["owner_unit_id"],
            transition=transition,
            old_health=old,
            new_health=reading["health"],
            reasons=tuple(reading["reasons"]),
            progress_pct=reading["progress"],
            expected_pct=reading["expected"],
            gap_points=reading["expected"] - reading["progress"],
            actual=row["progress_value"],
            target=row["target_value"],
            occurred_at=moment,
        )
        await conn.execute(
            SQL["record_transition"], row["kr_id"], reading["health"], transition, moment
        )
        await conn.execute(
            SQL["record_history"],
            row["kr_id"],
            transition,
            alert.alert_id,
            old,
            alert.new_health,
            alert.progress_pct,
            alert.expected_pct,
            json.dumps(list(alert.reasons)),
            moment,
        )
        alerts.append((alert, f"alerts-kr-{row['kr_id']}", transition))
    return alerts


async def apply_check_in_event(
    conn: asyncpg.Connection, recorded: RecordedEvent, zone: tzinfo
) -> AlertRows:
    """A check-in or a new target moves a check-in KR; weights put KRs under an objective's
    cycle (their pacing line): evaluate the KRs concerned as of the event."""
    match kr_event_of(recorded):
        case CheckInRecorded() | TargetAdjustmentApplied() | TargetRedefined():
            kr_id = kr_of_stream(recorded.stream_id)
            if kr_id is not None:
                return await evaluate_check_in_krs(conn, [kr_id], recorded.occurred_at, zone)
    match portfolio_event_of(recorded):
        case KeyResultWeightsSet() as e:
            return await evaluate_check_in_krs(conn, sorted(e.weights), recorded.occurred_at, zone)
    return []


async def check_in_health_history(conn: asyncpg.Connection, kr_id: str) -> list[dict[str, object]]:
    """Every health transition of a check-in KR, oldest first."""
    rows = [dict(r) for r in await conn.fetch(SQL["history"], kr_id)]
    for row in rows:
        row["reasons"] = orjson.loads(row["reasons"])
    return rows
