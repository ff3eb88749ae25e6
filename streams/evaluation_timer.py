"""The worker's timer: re-evaluates KRs and the alert rules at wall-clock time, so a KR turns
red as the pacing line moves on even when no sale arrives; and schedules each unit's next
calibration meeting its rhythm calls for."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import structlog

from handlers.bootstrap import configured_handlers
from infra import metrics
from infra.postgres.db import connect
from infra.settings import Settings
from projections.sales.evaluation import evaluate
from streams.retrying import RetryingConnection

log = structlog.get_logger("northstar.streams")


class TimedEvaluation:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.zone = ZoneInfo(settings.company_timezone)
        self.response_time = timedelta(hours=settings.adjustment_response_hours)
        self.db = RetryingConnection(lambda: connect(settings.dsn), "evaluation")
        self.calibration = configured_handlers(settings).calibration

    async def tick(self) -> None:
        """One evaluation; a failure is logged and the next tick tries again (it changes
        nothing that a later evaluation would not redo), so nothing escapes into Faust."""
        started = time.monotonic()
        try:
            outcome = await self.db.run(
                lambda conn: evaluate(
                    conn,
                    datetime.now(UTC),
                    self.zone,
                    self.settings.alerts_topic,
                    self.response_time,
                    self.settings.certification_metric,
                )
            )
        except Exception as exc:
            metrics.EVALUATIONS.labels(outcome="failed").inc()
            log.error("evaluation_failed", error=repr(exc))
            return
        metrics.EVALUATIONS.labels(outcome="done").inc()
        metrics.EVALUATION_SECONDS.observe(time.monotonic() - started)
        metrics.HEALTH_TRANSITIONS.inc(outcome.health_transitions)
        log.info(
            "evaluated",
            business_time=outcome.business_time.isoformat(),
            krs_recomputed=outcome.krs_recomputed,
            health_transitions=outcome.health_transitions,
            rule_alerts=outcome.rule_alerts,
        )
        try:
            scheduled = await self.db.run(
                lambda conn: self.calibration.schedule_due(conn, datetime.now(UTC), self.zone)
            )
        except Exception as exc:
            log.error("calibration_scheduling_failed", error=repr(exc))
            return
        if scheduled:
            log.info("calibrations_scheduled", meetings=scheduled)
