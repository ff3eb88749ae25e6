"""Health of metric-bound KRs, evaluated in the projection's transaction: each change is kept
as history and written to the outbox as an alert with a deterministic id."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from decimal import Decimal
from typing import Any

import asyncpg

from domain.alerts import KrHealthChanged, health_alert_id
from domain.health import DEFAULT_THRESHOLDS, Thresholds, expected_progress, kr_health
from infra.postgres.outbox import enqueue_alerts


@dataclass(frozen=True, slots=True)
class ProgressRow:
    kr_id: str
    owner_unit_id: str
    window_start: date
    window_end: date
    actual: Decimal
    progress_pct: Decimal
    target: Decimal
    monthly_pacing: tuple[Decimal, ...] = ()
    last_data_at: datetime | None = None  # the latest business time of facts that moved it


# The thresholds of the shortest planning cycle containing the KR's window (needs `k`).
CYCLE_THRESHOLDS = """
SELECT c.green_max_gap, c.amber_max_gap, c.hysteresis_points FROM okr_cycle c
WHERE c.starts_on <= k.window_start AND c.ends_on >= k.window_end
ORDER BY c.ends_on - c.starts_on LIMIT 1
"""


def cycle_thresholds(row: Mapping[str, Any]) -> Thresholds:
    if row["green_max_gap"] is None:
        return DEFAULT_THRESHOLDS
    return Thresholds(row["green_max_gap"], row["amber_max_gap"], row["hysteresis_points"])


_CURRENT = (
    """
SELECT p.kr_id, h.health, h.raw_health, COALESCE(h.transitions, 0) AS transitions,
       o.last_check_in_at, o.open_blocker, t.green_max_gap, t.amber_max_gap, t.hysteresis_points
FROM unnest($1::text[]) AS p (kr_id)
JOIN key_result k ON k.id = p.kr_id
LEFT JOIN kr_health h ON h.kr_id = p.kr_id
LEFT JOIN okr_key_result o ON o.kr_id = p.kr_id
LEFT JOIN LATERAL ("""
    + CYCLE_THRESHOLDS
    + """) t ON true
"""
)


async def record_health(
    conn: asyncpg.Connection,
    rows: Sequence[ProgressRow],
    at: datetime,
    topic: str,
    zone: tzinfo,
    *,
    in_order: bool = True,
) -> int:
    """Evaluate health at business time `at` (the projection's clock); returns the number of
    transitions. A KR that never had data (no fact, no check-in) is not judged yet: its first
    colour comes with its first data, so no colour "for want of data" is alerted or held by the
    hysteresis against its first reading. The KR rows are locked by the caller, so transitions
    are numbered safely. `in_order`: as for `enqueue_alerts`."""
    if not rows:
        return 0
    current = {r["kr_id"]: r for r in await conn.fetch(_CURRENT, [r.kr_id for r in rows])}
    alerts: list[KrHealthChanged] = []
    raw_changes: list[tuple[str, str, str, Decimal]] = []
    # (KR rows locked by the caller)
    for row in rows:
        expected = expected_progress(
            row.window_start, row.window_end, at.astimezone(zone).date(), row.monthly_pacing
        )
        now = current.get(row.kr_id)
        old, transitions = (now["health"], now["transitions"]) if now else (None, 0)
        last_update = max(
            (t for t in (row.last_data_at, now and now["last_check_in_at"]) if t), default=None
        )
        if last_update is None and old is None:
            continue  # first judged when its first data comes: nothing to say before that
        verdict = kr_health(
            row.progress_pct,
            expected,
            last_update,
            at,
            now["open_blocker"],
            cycle_thresholds(now),
            old,
        )
        if verdict.raw != now["raw_health"] or verdict.health != old:
            raw_changes.append((row.kr_id, verdict.raw, verdict.health, verdict.gap))
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
    await _record_raw(conn, raw_changes, at)
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
    await enqueue_alerts(
        conn,
        [(a, f"alerts-kr-{a.kr_id}", a.transition) for a in alerts],
        topic,
        in_order=in_order,
    )
    return len(alerts)


async def _record_raw(
    conn: asyncpg.Connection, changes: list[tuple[str, str, str, Decimal]], at: datetime
) -> None:
    """Each change of a KR's raw colour (what one evaluation alone says), next to the alerted
    colour: the hysteresis is visible in the history."""
    if not changes:
        return
    await conn.executemany(
        "INSERT INTO kr_health (kr_id, health, transitions, changed_at, raw_health)"
        " VALUES ($1, $3, 0, $4, $2) ON CONFLICT (kr_id) DO UPDATE SET raw_health = $2",
        [(kr_id, raw, health, at) for kr_id, raw, health, _ in changes],
    )
    await conn.executemany(
        "INSERT INTO kr_health_raw (kr_id, raw_health, health, gap_points, evaluated_at)"
        " VALUES ($1, $2, $3, $4, $5)",
        [(kr_id, raw, health, gap, at) for kr_id, raw, health, gap in changes],
    )
