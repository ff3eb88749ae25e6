"""Health of metric-bound KRs, evaluated in the projection's transaction: each change is kept
as history and written to the outbox as an alert with a deterministic id."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import asyncpg

from domain.alerts import KrHealthChanged, health_alert_id
from domain.health import expected_progress, kr_health
from infra.postgres.event_store import OUTBOX_CHANNEL

ALERT_CHANNEL = "northstar_alerts"  # payload: the alert id, delivered at commit


@dataclass(frozen=True, slots=True)
class ProgressRow:
    kr_id: str
    owner_unit_id: str
    window_start: date
    window_end: date
    actual: Decimal
    progress_pct: Decimal
    target: Decimal


async def record_health(
    conn: asyncpg.Connection, rows: Sequence[ProgressRow], at: datetime, alerts_topic: str
) -> int:
    """Evaluate health at business time `at` (the batch's latest fact); returns the number of
    transitions. The KR rows are locked by the caller, so transitions are numbered safely."""
    if not rows:
        return 0
    current = {
        r["kr_id"]: (r["health"], r["transitions"])
        for r in await conn.fetch(
            "SELECT kr_id, health, transitions FROM kr_health WHERE kr_id = ANY($1::text[])",
            [r.kr_id for r in rows],
        )
    }
    alerts: list[KrHealthChanged] = []
    for row in rows:
        expected = expected_progress(row.window_start, row.window_end, at.date())
        verdict = kr_health(row.progress_pct, expected, at, at, None)
        old, transitions = current.get(row.kr_id, (None, 0))
        if verdict.health == old:
            continue
        alerts.append(
            KrHealthChanged(
                alert_id=health_alert_id(row.kr_id, transitions + 1),
                kr_id=row.kr_id,
                owner_unit_id=row.owner_unit_id,
                transition=transitions + 1,
                old_health=old,
                new_health=verdict.health,
                reasons=verdict.reasons,
                progress_pct=row.progress_pct,
                expected_pct=expected,
                gap_points=verdict.gap,
                actual=row.actual,
                target=row.target,
                occurred_at=at,
            )
        )
    if not alerts:
        return 0
    await conn.executemany(
        "INSERT INTO kr_health (kr_id, health, transitions, changed_at) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (kr_id) DO UPDATE SET health = excluded.health,"
        " transitions = excluded.transitions, changed_at = excluded.changed_at",
        [(a.kr_id, a.new_health, a.transition, at) for a in alerts],
    )
    await conn.executemany(
        "INSERT INTO kr_health_history (kr_id, transition, alert_id, old_health, new_health,"
        " progress_pct, expected_pct, reasons, occurred_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        [
            (
                a.kr_id,
                a.transition,
                a.alert_id,
                a.old_health,
                a.new_health,
                a.progress_pct,
                a.expected_pct,
                json.dumps(list(a.reasons)),
                at,
            )
            for a in alerts
        ],
    )
    await conn.executemany(
        "INSERT INTO outbox (event_id, stream_id, version, topic, value)"
        " VALUES ($1, $2, $3, $4, $5)",
        [
            (
                a.alert_id,
                f"alerts-kr-{a.kr_id}",
                a.transition,
                alerts_topic,
                a.model_dump_json().encode(),
            )
            for a in alerts
        ],
    )
    await conn.execute("SELECT pg_notify($1, 'alerts')", OUTBOX_CHANNEL)
    for alert in alerts:
        await conn.execute("SELECT pg_notify($1, $2)", ALERT_CHANNEL, str(alert.alert_id))
    return len(alerts)
