"""Everything the OKR events topic feeds, applied per batch in one transaction with one
position per stream: the OKR read models (with the calibration minutes), the org rows, and the
sales side's KR definitions
(which are refreshed — progress and health — right after the batch commits)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, tzinfo

import asyncpg

from domain.event_chain import RecordedEvent
from infra.postgres.event_store import EVENT_COLUMNS, recorded_event
from projections.okr.calibration_minutes import apply_calibration_event
from projections.okr.certifications import apply_certification_event
from projections.okr.check_in_health import AlertRows, apply_check_in_event
from projections.okr.escalations import apply_escalation_event
from projections.okr.okr_governance import apply_governance_event
from projections.okr.okr_read_models import AppliedBatch, Applier, apply_events, apply_okr_event
from projections.okr.organisation import apply_org_event
from projections.okr.practices import apply_practice_event
from projections.sales.kr_bindings import apply_kr_event, refresh_marked

# The OKR read models proper (what `projections rebuild okr_read_models` replays).
READ_MODELS: tuple[Applier, ...] = (
    apply_okr_event,
    apply_calibration_event,
    apply_escalation_event,
    apply_practice_event,
    apply_governance_event,
    apply_certification_event,
)
APPLIERS: tuple[Applier, ...] = (apply_org_event, *READ_MODELS, apply_kr_event)


async def apply_okr_topic(
    conn: asyncpg.Connection,
    events: list[RecordedEvent],
    is_transient: Callable[[BaseException], bool] | None = None,
    alerts_topic: str | None = None,
    zone: tzinfo | None = None,
) -> AppliedBatch:
    """A batch of the topic's events through every applier (see `apply_events`); with an
    alerts topic, check-in KRs' health too (it alerts; its pacing day is in the company's
    `zone`, which alerting therefore needs)."""
    if alerts_topic is not None and zone is None:
        raise ValueError("alerting on check-in KRs needs the company's time zone")

    async def check_in_health(conn: asyncpg.Connection, recorded: RecordedEvent) -> AlertRows:
        return await apply_check_in_event(conn, recorded, zone or UTC)

    appliers = APPLIERS if alerts_topic is None else (*APPLIERS, check_in_health)
    return await apply_events(conn, events, appliers, is_transient, alerts_topic)


async def after_batch(conn: asyncpg.Connection, zone: tzinfo, alerts_topic: str) -> int:
    """What runs after a batch commits: KRs the batch bound or retargeted get their progress
    and health now (also after a restart: a mark whose refresh never ran is picked up)."""
    return await refresh_marked(conn, zone, alerts_topic)


# The store's events the topic's appliers have not applied yet, in the order recorded.
_UNAPPLIED = f"""
SELECT {EVENT_COLUMNS} FROM event_store e
WHERE version > coalesce(
    (SELECT p.version FROM okr_stream_position p WHERE p.stream_id = e.stream_id), 0)
ORDER BY position LIMIT $1
"""


async def apply_recorded(
    conn: asyncpg.Connection, zone: tzinfo, alerts_topic: str, batch: int = 1000
) -> int:
    """Apply what the store holds and the read models do not, as the OKR agent would when the
    relay's copies arrive (they are then skipped: the same positions). For a process that runs
    without the agent and must read its own commands' effects: the tests' stacks and the
    benchmarks. Returns how many events were applied."""
    applied = 0
    while rows := await conn.fetch(_UNAPPLIED, batch):
        done = await apply_okr_topic(
            conn, [recorded_event(r) for r in rows], None, alerts_topic, zone
        )
        await after_batch(conn, zone, alerts_topic)
        applied += done.applied
        if done.applied == 0:  # the rest waits behind parked streams
            break
    return applied
