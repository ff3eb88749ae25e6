"""What auditors read: the target-change and weight-change histories (read-only, for auditors
and HQ)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse

from api.deps import AuditClient
from api.problems import ProblemError
from audit.adoption import adoption_report, default_weeks
from audit.escalation_times import escalation_response_times
from audit.history import HistoryFilter, as_csv, change_document, target_change_history
from audit.periods import parse_period
from audit.weight_history import weight_change_history
from projections.reads.progress_reads import rows_json
from projections.reports.manual_vs_system import manual_vs_system

router = APIRouter(prefix="/v1/audit", tags=["audit"])


@router.get(
    "/target-changes",
    response_model=None,
    responses={200: {"content": {"application/json": {}, "text/csv": {}}}},
)
async def target_changes(
    request: Request,
    _: AuditClient,
    kr_id: str | None = None,
    objective_id: str | None = None,
    owner_person_id: str | None = None,
    region_id: str | None = None,
    cycle_id: str | None = None,
    since: Annotated[datetime | None, Query(description="requested at or after")] = None,
    until: Annotated[datetime | None, Query(description="requested before")] = None,
    format: Annotated[str, Query(pattern="^(json|csv)$")] = "json",
) -> list[dict[str, Any]] | PlainTextResponse:
    """Every target change of the selected KRs (all filters hold): old -> new target, reason,
    evidence, requester, decider, times and response times, folded from the event store."""
    selection = HistoryFilter(
        kr_id, objective_id, owner_person_id, region_id, cycle_id, since, until
    )
    async with request.app.state.pool.acquire() as conn:
        changes = await target_change_history(conn, selection)
    if format == "csv":
        return PlainTextResponse(as_csv(changes), media_type="text/csv")
    return [change_document(c) for c in changes]


@router.get("/projection-skips")
async def projection_skips(request: Request, _: AuditClient) -> list[dict[str, Any]]:
    """Every event an operator told a read-model projection to pass over (`northstar
    projections skip`): the stream, version, event, reason, who and when. The skipped event
    itself stays in the event store untouched."""
    from handlers.parked_streams import skipped_events

    async with request.app.state.pool.acquire() as conn:
        skips = await skipped_events(conn)
    return [
        {**e.payload, "skipped_by": e.actor, "skipped_at": e.occurred_at.isoformat()} for e in skips
    ]


@router.get("/weight-changes")
async def weight_changes(
    request: Request,
    _: AuditClient,
    objective_id: str | None = None,
    since: Annotated[datetime | None, Query(description="changed at or after")] = None,
    until: Annotated[datetime | None, Query(description="changed before")] = None,
) -> list[dict[str, Any]]:
    """Every change of an objective's KR weights (one objective, or all): before and after,
    who, when, and the calibration meeting that decided it, from the event store."""
    async with request.app.state.pool.acquire() as conn:
        return await weight_change_history(conn, objective_id, since, until)


@router.get("/escalation-response-times")
async def escalation_times(
    request: Request, _: AuditClient, by: Literal["all", "unit", "month"] = "unit"
) -> list[dict[str, Any]]:
    """How fast escalations are acknowledged and resolved, by the level raised to or by month
    (count, median, mean, p90 hours), with how many are still open and overdue."""
    zone = ZoneInfo(request.app.state.settings.company_timezone)
    async with request.app.state.pool.acquire() as conn:
        return await escalation_response_times(conn, by, zone, request.app.state.clock())


RecentWeeks = Annotated[str | None, Query(description="FROM..TO (default: the last 12 weeks)")]


def _period(request: Request, text: str | None) -> tuple[datetime, datetime]:
    """`FROM..TO` in company time (the last 12 weeks when absent); 422 naming what is wrong."""
    zone = ZoneInfo(request.app.state.settings.company_timezone)
    try:
        return parse_period(text, zone) if text else default_weeks(request.app.state.clock())
    except ValueError as exc:
        raise ProblemError(422, "Invalid period", str(exc)) from exc


@router.get("/adoption")
async def adoption(
    request: Request,
    _: AuditClient,
    between: RecentWeeks = None,
    before: Annotated[str | None, Query(description="FROM..TO, compared with `after`")] = None,
    after: Annotated[str | None, Query(description="FROM..TO")] = None,
    cadence_days: Annotated[int, Query(ge=1, le=92)] = 7,
) -> dict[str, Any]:
    """Check-in usage (the share of KR owners who checked in on a KR they own within the
    cadence ending each week) by role and unit, the forms' burden; with `before` and `after`,
    both periods' check-in usage and goal views per person per week (visits: reads of one goal
    with no gap over 30 minutes count once), with 95 % intervals, and their target-adjustment
    response times (as `audit response-times` compares them, open requests counted).
    Periods: ISO dates or moments, company time without an offset, end excluded."""
    if (before is None) != (after is None):
        raise ProblemError(422, "Invalid period", "`before` and `after` go together")
    weeks = _period(request, between)
    compare = (_period(request, before), _period(request, after)) if before and after else None
    async with request.app.state.pool.acquire() as conn:
        return rows_json(  # type: ignore[no-any-return]
            [
                await adoption_report(
                    conn,
                    weeks,
                    request.app.state.settings.company_timezone,
                    cadence_days,
                    compare,
                    request.app.state.clock(),
                )
            ]
        )[0]


@router.get("/manual-vs-system")
async def manual_versus_system(
    request: Request,
    _: AuditClient,
    between: RecentWeeks = None,
) -> dict[str, Any]:
    """For each check-in on a KR bound to sales made in the period: what the person reported,
    what the sales say the KR stood at that day (its metric over its window cut at the
    check-in's business day) and |reported - computed| / computed; the errors' distribution
    (median and p90 by nearest rank, mean, share within 5 %) in all, per owner unit and per
    person reporting. Check-ins while the computed value is 0 are counted apart."""
    zone = ZoneInfo(request.app.state.settings.company_timezone)
    try:
        period = (
            parse_period(between, zone) if between else default_weeks(request.app.state.clock())
        )
    except ValueError as exc:
        raise ProblemError(422, "Invalid period", str(exc)) from exc
    async with request.app.state.pool.acquire() as conn:
        return rows_json([await manual_vs_system(conn, period, zone)])[0]  # type: ignore[no-any-return]
