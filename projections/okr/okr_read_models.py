"""Projection: OKR events (from the relay's topic) -> key-result, adjustment, check-in,
objective, cycle and north-star rows; and the per-stream positions and parking that every applier
of the topic shares (`projections/okr/okr_topic.py` lists them)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import asyncpg
import structlog

from domain.alerts import Alert, StreamParked, rule_alert_id
from domain.cycles import CycleDefined, NorthStarSet
from domain.event_chain import RecordedEvent
from domain.key_result.events import (
    BlockerEscalated,
    CheckInRecorded,
    KeyResultCommented,
    KeyResultDefined,
    KrEvent,
    TargetAdjustmentApplied,
    TargetAdjustmentApproved,
    TargetAdjustmentCancelled,
    TargetAdjustmentRejected,
    TargetAdjustmentRequested,
    TargetRedefined,
    kr_event_of,
    kr_of_stream,
)
from domain.objectives import (
    Contribution,
    FocusPolicySet,
    KeyResultWeightsSet,
    ObjectiveAligned,
    ObjectiveClosed,
    ObjectiveDefined,
    PortfolioEvent,
    portfolio_event_of,
)
from infra.postgres.outbox import enqueue_alerts

PROJECTION = "okr_read_models"
log = structlog.get_logger("northstar.projections")


@dataclass(frozen=True, slots=True)
class AppliedBatch:
    applied: int  # events new to the read models
    held: int  # events of parked streams, left waiting in the event store
    parked: tuple[str, ...]  # streams parked by this batch


AlertRow = tuple[Alert, str, int]
# One projection's effect of an event; it may return alerts, enqueued at the end of the batch.
Applier = Callable[[asyncpg.Connection, RecordedEvent], Awaitable[Sequence[AlertRow] | None]]


async def apply_events(
    conn: asyncpg.Connection,
    events: Sequence[RecordedEvent],
    appliers: Sequence[Applier],
    is_transient: Callable[[BaseException], bool] | None = None,
    alerts_topic: str | None = None,
) -> AppliedBatch:
    """Apply a batch in one transaction. Without `is_transient` any failure propagates; with it,
    a batch that fails for a lasting reason is applied again event by event, and a stream whose
    event cannot apply is parked from that event on (its later events wait behind it, every
    other stream goes on; an alert is written when `alerts_topic` is given)."""
    try:
        return await _apply_batch(conn, events, appliers, None, alerts_topic)
    except Exception as exc:
        if is_transient is None or is_transient(exc):
            raise
        log.warning("okr_batch_isolating", events=len(events), error=repr(exc)[:300])
    return await _apply_batch(conn, events, appliers, is_transient, alerts_topic)


async def _apply_batch(
    conn: asyncpg.Connection,
    events: Sequence[RecordedEvent],
    appliers: Sequence[Applier],
    is_transient: Callable[[BaseException], bool] | None,
    alerts_topic: str | None,
) -> AppliedBatch:
    streams = sorted({e.stream_id for e in events})
    applied, held, parked_now = 0, 0, []
    alerts: list[tuple[Alert, str, int]] = []
    async with conn.transaction():
        await conn.execute(
            "INSERT INTO okr_stream_position (stream_id, version)"
            " SELECT unnest($1::text[]), 0 ON CONFLICT DO NOTHING",
            streams,
        )
        rows = await conn.fetch(
            "SELECT stream_id, version FROM okr_stream_position"
            " WHERE stream_id = ANY($1::text[]) ORDER BY stream_id FOR UPDATE",
            streams,
        )
        position = {r["stream_id"]: r["version"] for r in rows}
        # A parked stream holds its events from the parked one on.
        parked_at = {
            r["stream_id"]: r["version"]
            for r in await conn.fetch(
                "SELECT stream_id, version FROM okr_parked_stream"
                " WHERE stream_id = ANY($1::text[])",
                streams,
            )
        }
        for recorded in events:
            if recorded.version <= position[recorded.stream_id]:
                continue
            if recorded.version >= parked_at.get(recorded.stream_id, recorded.version + 1):
                held += 1
                continue
            if is_transient is None:
                alerts.extend(await _apply_all(conn, recorded, appliers))
            else:
                try:
                    async with conn.transaction():
                        raised = await _apply_all(conn, recorded, appliers)
                    alerts.extend(raised)
                except Exception as exc:
                    if is_transient(exc):
                        raise
                    alerts.append(await park(conn, recorded, exc))
                    parked_at[recorded.stream_id] = recorded.version
                    parked_now.append(recorded.stream_id)
                    continue
            position[recorded.stream_id] = recorded.version
            applied += 1
        await conn.execute(
            "UPDATE okr_stream_position AS p SET version = n.version"
            " FROM unnest($1::text[], $2::int[]) AS n (stream_id, version)"
            " WHERE p.stream_id = n.stream_id",
            list(position),
            list(position.values()),
        )
        if alerts_topic is not None:
            await enqueue_alerts(conn, alerts, alerts_topic)  # last: it takes the alert lock
    return AppliedBatch(applied, held, tuple(parked_now))


async def parked_rows(conn: asyncpg.Connection) -> list[dict[str, object]]:
    """Each parked stream: where and why, and how many of its events wait (itself included)."""
    rows = await conn.fetch(
        "SELECT p.stream_id, p.version, p.event_type, p.reason, p.detail, p.parked_at,"
        " (SELECT count(*) FROM event_store e WHERE e.stream_id = p.stream_id"
        "  AND e.version >= p.version) AS waiting"
        " FROM okr_parked_stream p ORDER BY p.parked_at, p.stream_id"
    )
    return [dict(r) for r in rows]


async def locked_parking(conn: asyncpg.Connection, stream_id: str) -> asyncpg.Record | None:
    """The stream's parking (version, event id and type), its position row locked first, as a
    live batch locks it: an operator's retry or skip and a batch never interleave."""
    await conn.fetchval(
        "SELECT version FROM okr_stream_position WHERE stream_id = $1 FOR UPDATE", stream_id
    )
    return await conn.fetchrow(
        "SELECT version, event_id, event_type FROM okr_parked_stream WHERE stream_id = $1",
        stream_id,
    )


async def skip_to(conn: asyncpg.Connection, stream_id: str, version: int) -> None:
    """An operator's skip: the stream counts as applied through `version`."""
    await conn.execute(
        "UPDATE okr_stream_position SET version = $2 WHERE stream_id = $1", stream_id, version
    )


async def unpark(conn: asyncpg.Connection, stream_id: str) -> int:
    """The stream is no longer parked; returns the version it is applied through."""
    await conn.execute("DELETE FROM okr_parked_stream WHERE stream_id = $1", stream_id)
    return int(
        await conn.fetchval(
            "SELECT version FROM okr_stream_position WHERE stream_id = $1", stream_id
        )
    )


async def carry_parked(conn: asyncpg.Connection, schema: str) -> None:
    """A rebuild keeps the live parking (in its `schema`): streams stay parked at the same
    event."""
    await conn.execute(
        f"INSERT INTO {schema}.okr_parked_stream SELECT * FROM public.okr_parked_stream"
    )


async def park(
    conn: asyncpg.Connection, recorded: RecordedEvent, error: BaseException
) -> tuple[Alert, str, int]:
    """Stop applying the event's stream at this event, saying why; returns the alert to send
    (one per parking: its id derives from the stream and version)."""
    reason = type(error).__name__
    detail = str(error)[:2000] or repr(error)[:2000]
    at = await conn.fetchval(
        "INSERT INTO okr_parked_stream (stream_id, version, event_id, event_type, reason,"
        " detail, parked_at) VALUES ($1, $2, $3, $4, $5, $6, clock_timestamp())"
        " ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version,"
        " event_id = excluded.event_id, event_type = excluded.event_type,"
        " reason = excluded.reason, detail = excluded.detail, parked_at = excluded.parked_at"
        " RETURNING parked_at",
        recorded.stream_id,
        recorded.version,
        recorded.event_id,
        recorded.type,
        reason,
        detail,
    )
    log.error(
        "okr_stream_parked",
        stream_id=recorded.stream_id,
        version=recorded.version,
        event_type=recorded.type,
        reason=reason,
        detail=detail[:300],
    )
    alert = StreamParked(
        alert_id=rule_alert_id(
            "stream-parked", PROJECTION, recorded.stream_id, str(recorded.version)
        ),
        projection=PROJECTION,
        stream_id=recorded.stream_id,
        version=recorded.version,
        event_id=recorded.event_id,
        event_type=recorded.type,
        reason=reason,
        detail=detail,
        occurred_at=at,
    )
    return alert, f"parked-{recorded.stream_id}", recorded.version


async def _apply_all(
    conn: asyncpg.Connection, recorded: RecordedEvent, appliers: Sequence[Applier]
) -> list[AlertRow]:
    raised: list[AlertRow] = []
    for apply in appliers:
        raised.extend(await apply(conn, recorded) or ())
    return raised


async def apply_okr_event(conn: asyncpg.Connection, recorded: RecordedEvent) -> None:
    """One event's effect on the OKR read models (the caller holds its stream's position)."""
    kr_event = kr_event_of(recorded)
    if kr_event is not None:
        await _apply(conn, recorded, kr_event)
    portfolio_event = portfolio_event_of(recorded)
    if portfolio_event is not None:
        await _apply_portfolio(conn, recorded, portfolio_event)
    if recorded.type in (CYCLE_DEFINED, NORTH_STAR_SET):
        await _apply_hq(conn, recorded)


async def _apply(conn: asyncpg.Connection, recorded: RecordedEvent, event: KrEvent) -> None:
    kr_id = kr_of_stream(recorded.stream_id) or recorded.stream_id
    at = recorded.occurred_at
    match event:
        case KeyResultDefined():
            await conn.execute(
                "INSERT INTO okr_key_result (kr_id, title, owner_person_id, owner_unit_id, kind,"
                " unit, start_value, target_value, defined_at, updated_at)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
                kr_id,
                event.title,
                event.owner_person_id,
                event.owner_unit_id,
                event.kind,
                event.unit,
                event.start,
                event.target,
                at,
            )
        case TargetAdjustmentRequested():
            await conn.execute(
                "INSERT INTO okr_adjustment (kr_id, request_id, status, current_target,"
                " proposed_target, reason, evidence, requested_by, requested_at)"
                " VALUES ($1, $2, 'requested', $3, $4, $5, $6, $7, $8)",
                kr_id,
                event.request_id,
                event.current_target,
                event.proposed_target,
                event.reason,
                json.dumps(list(event.evidence)),
                recorded.actor,
                at,
            )
            await _kr(conn, kr_id, at, "open_request_id = $3", event.request_id)
        case TargetAdjustmentApproved():
            await _decided(conn, kr_id, recorded, "approved", event.note)
        case TargetAdjustmentRejected():
            await _decided(conn, kr_id, recorded, "rejected", event.reason)
            await _kr(conn, kr_id, at, "open_request_id = NULL")
        case TargetAdjustmentApplied():
            await _adjustment(
                conn,
                kr_id,
                event.request_id,
                "status = 'applied', applied_at = $3, closed_at = $3",
                at,
            )
            await _kr(
                conn, kr_id, at, "target_value = $3, open_request_id = NULL", event.new_target
            )
        case TargetRedefined():
            await _kr(conn, kr_id, at, "target_value = $3", event.new_target)
        case TargetAdjustmentCancelled():
            await _adjustment(
                conn, kr_id, event.request_id, "status = 'cancelled', closed_at = $3", at
            )
            await _kr(conn, kr_id, at, "open_request_id = NULL")
        case CheckInRecorded():
            await conn.execute(
                "INSERT INTO okr_check_in (event_id, kr_id, summary, progress_value, blocker,"
                " reported_by, reported_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                recorded.event_id,
                kr_id,
                event.summary,
                event.progress_value,
                event.blocker,
                recorded.actor,
                at,
            )
            await _kr(conn, kr_id, at, "open_blocker = $3, last_check_in_at = $2", event.blocker)
        case BlockerEscalated():
            await _kr(conn, kr_id, at, "")
        case KeyResultCommented():
            await conn.execute(
                "INSERT INTO okr_kr_comment (event_id, kr_id, comment, commented_by, commented_at)"
                " VALUES ($1, $2, $3, $4, $5)",
                recorded.event_id,
                kr_id,
                event.comment,
                recorded.actor,
                at,
            )


async def _apply_portfolio(
    conn: asyncpg.Connection, recorded: RecordedEvent, event: PortfolioEvent
) -> None:
    at = recorded.occurred_at
    match event:
        case ObjectiveDefined():
            await conn.execute(
                "INSERT INTO okr_objective (objective_id, title, owner_person_id, owner_unit_id,"
                " cycle_id, status, defined_at, updated_at)"
                " VALUES ($1, $2, $3, $4, $5, 'active', $6, $6)",
                event.objective_id,
                event.title,
                event.owner_person_id,
                event.owner_unit_id,
                event.cycle_id,
                at,
            )
            await _align(conn, event.objective_id, event.contributes_to)
        case ObjectiveAligned():
            await _align(conn, event.objective_id, event.contributes_to)
        case KeyResultWeightsSet():
            await conn.execute(
                "DELETE FROM okr_kr_weight WHERE objective_id = $1", event.objective_id
            )
            await conn.executemany(
                "INSERT INTO okr_kr_weight (objective_id, kr_id, weight) VALUES ($1, $2, $3)",
                [(event.objective_id, kr_id, w) for kr_id, w in sorted(event.weights.items())],
            )
        case ObjectiveClosed():
            await conn.execute(
                "UPDATE okr_objective SET status = $2, updated_at = $3 WHERE objective_id = $1",
                event.objective_id,
                event.outcome,
                at,
            )
        case FocusPolicySet():
            await conn.execute(
                "INSERT INTO okr_policy (name, value, updated_at) VALUES ('focus', $1, $2)"
                " ON CONFLICT (name) DO UPDATE SET value = excluded.value,"
                " updated_at = excluded.updated_at",
                event.mode,
                at,
            )


CYCLE_DEFINED = CycleDefined.model_fields["type"].default
NORTH_STAR_SET = NorthStarSet.model_fields["type"].default


async def _apply_hq(conn: asyncpg.Connection, recorded: RecordedEvent) -> None:
    if recorded.type == CYCLE_DEFINED:
        cycle = CycleDefined.model_validate(recorded.payload)
        await conn.execute(
            "INSERT INTO okr_cycle (cycle_id, kind, starts_on, ends_on, green_max_gap,"
            " amber_max_gap, hysteresis_points) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            cycle.cycle_id,
            cycle.kind,
            cycle.starts_on,
            cycle.ends_on,
            cycle.green_max_gap,
            cycle.amber_max_gap,
            cycle.hysteresis_points,
        )
    else:
        star = NorthStarSet.model_validate(recorded.payload)
        await conn.execute(
            "INSERT INTO okr_north_star (event_id, metric, target, unit, comparison,"
            " owner_person_id, set_at, measured_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            recorded.event_id,
            star.metric,
            star.target,
            star.unit,
            star.comparison,
            star.owner_person_id,
            recorded.occurred_at,
            star.measured_by,
        )


async def _align(
    conn: asyncpg.Connection, child_id: str, parents: tuple[Contribution, ...]
) -> None:
    await conn.execute("DELETE FROM okr_alignment WHERE child_id = $1", child_id)
    await conn.executemany(
        "INSERT INTO okr_alignment (child_id, parent_id, weight) VALUES ($1, $2, $3)",
        [(child_id, p.parent_id, p.weight) for p in parents],
    )


async def _kr(
    conn: asyncpg.Connection, kr_id: str, at: object, assignments: str, *values: object
) -> None:
    await conn.execute(
        f"UPDATE okr_key_result SET updated_at = $2{', ' if assignments else ''}{assignments}"
        " WHERE kr_id = $1",
        kr_id,
        at,
        *values,
    )


async def _decided(
    conn: asyncpg.Connection, kr_id: str, recorded: RecordedEvent, status: str, note: str
) -> None:
    closes = "" if status == "approved" else ", closed_at = $5"
    await _adjustment(
        conn,
        kr_id,
        recorded.payload["request_id"],
        "status = $3, decided_by = $4, decided_at = $5, decision_note = $6" + closes,
        status,
        recorded.actor,
        recorded.occurred_at,
        note,
    )


async def _adjustment(
    conn: asyncpg.Connection, kr_id: str, request_id: str, assignments: str, *values: object
) -> None:
    await conn.execute(
        f"UPDATE okr_adjustment SET {assignments} WHERE kr_id = $1 AND request_id = $2",
        kr_id,
        request_id,
        *values,
    )
