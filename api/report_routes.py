"""HTTP: the field analytics, one prefix (`/v1/reports`), one route per report (and its chart):
check-in usage and goal views (`adoption`), manual versus system, adjustment and escalation
response times, customer churn, conversion by scenario, product launches. The paths they had
before answer a permanent redirect here (`api/report_aliases.py`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from api.board_routes import SECURITY_HEADERS
from api.deps import AuditClient, PersonClient
from api.problems import ProblemError
from api.scope import ReadScope
from audit.history import HistoryFilter, target_change_history
from projections.reads.progress_reads import rows_json
from reports.adoption import adoption_report, before_and_after_figures, default_weeks
from reports.charts import field_figure_chart, goal_view_chart, response_time_chart
from reports.customer_churn import MONTH, churn, months_between, parse_month
from reports.escalation_times import escalation_response_times
from reports.goal_views import goal_views
from reports.manual_vs_system import manual_vs_system
from reports.periods import before_and_after, parse_period
from reports.product_launches import launches
from reports.response_times import group_times, grouping_key
from reports.scenario_conversion import conversion_by_scenario

router = APIRouter(prefix="/v1/reports", tags=["reports"])
YEAR_MONTH = "YYYY-MM, 1970-01 to 2999-12"
MAX_MONTHS = 36


@router.get("/churn")
async def customer_churn(
    request: Request,
    client: PersonClient,
    unit_id: str,
    from_month: Annotated[str, Query(alias="from", pattern=MONTH, description=YEAR_MONTH)],
    to_month: Annotated[str, Query(alias="to", pattern=MONTH, description=YEAR_MONTH)],
) -> list[dict[str, Any]]:
    """Per month from `from` to `to` (company time): the unit's customers (its whole subtree,
    each once) active the month before and this month, how many were lost (`churned`: bought
    the month before, not this month) and gained, and the churn rate (churned / active the
    month before). A purchase counts while its sale is not wholly refunded. Readable by the
    unit's managers and those above, HQ and auditors."""
    first, last = parse_month(from_month), parse_month(to_month)
    if last < first:
        raise ProblemError(422, "Invalid period", f"`to` {to_month} is before `from` {from_month}")
    if len(months_between(first, last)) > MAX_MONTHS:
        raise ProblemError(422, "Invalid period", f"at most {MAX_MONTHS} months at a time")
    async with request.app.state.pool.acquire() as conn:
        await ReadScope(request, client).require_known_unit(conn, unit_id)
        return await churn(conn, unit_id, first, last)


@router.get("/scenarios")
async def scenario_conversion(
    request: Request,
    client: PersonClient,
    unit_id: str,
    from_day: Annotated[date, Query(alias="from", description="the first business day")],
    to_day: Annotated[date, Query(alias="to", description="the last business day (included)")],
) -> list[dict[str, Any]]:
    """First-order conversion by selling scenario on the unit's subtree over business days
    `from`..`to`: per scenario named by leads or first orders (the optional `scenario` of the
    sales contract), the leads, the first orders and first orders / leads in percent (`null`
    without leads). Facts naming no scenario are not in it. Readable as churn is."""
    if to_day < from_day:
        raise ProblemError(422, "Invalid period", f"`to` {to_day} is before `from` {from_day}")
    async with request.app.state.pool.acquire() as conn:
        await ReadScope(request, client).require_known_unit(conn, unit_id)
        return rows_json(await conversion_by_scenario(conn, unit_id, from_day, to_day))  # type: ignore[no-any-return]


@router.get("/launches")
async def product_launches(request: Request, _: AuditClient) -> list[dict[str, Any]]:
    """Each product launch of the company catalogue: its first month (the launch day to the
    day before the same date a month later, business days), the company's revenue (CNY, sales
    minus refunds) and units of it in that month, the plan and revenue / plan in percent;
    `complete` once the month has ended. HQ and auditors."""
    zone = ZoneInfo(request.app.state.settings.company_timezone)
    today = request.app.state.clock().astimezone(zone).date()
    async with request.app.state.pool.acquire() as conn:
        org = await request.app.state.org.current(conn)
        roots = sorted(u.id for u in org.units.values() if u.parent_id is None)
        if not roots:
            return []
        return rows_json(await launches(conn, roots[0], today))  # type: ignore[no-any-return]


@router.get("/escalation-times")
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


@router.get("/charts/response-times.svg", response_class=Response)
async def response_times_chart(
    request: Request,
    client: AuditClient,
    by: Literal["month", "region", "cycle", "all"] = "month",
) -> Response:
    """Target-adjustment response time (Kaplan-Meier median and p90, in days, open requests
    counted) by month, region or cycle."""
    zone = ZoneInfo(request.app.state.settings.company_timezone)
    async with request.app.state.pool.acquire() as conn:
        changes = await target_change_history(conn, HistoryFilter())
        key = await grouping_key(conn, by, zone)
    rows = [g.document() for g in group_times(changes, key, request.app.state.clock())]
    svg = response_time_chart(f"Target-adjustment response time by {by}", rows)
    return Response(svg, media_type="image/svg+xml", headers=SECURITY_HEADERS)


@router.get("/charts/goal-views.svg", response_class=Response)
async def goal_views_chart(
    request: Request, client: AuditClient, per: Literal["week", "month"] = "week"
) -> Response:
    """Goal views per person, by role, per week or month."""
    zone = request.app.state.settings.company_timezone
    async with request.app.state.pool.acquire() as conn:
        rows = await goal_views(conn, per, zone)
    svg = goal_view_chart(rows, per)
    return Response(svg, media_type="image/svg+xml", headers=SECURITY_HEADERS)


@router.get("/charts/field-figures.svg", response_class=Response)
async def field_figures_chart(
    request: Request,
    client: AuditClient,
    figure: Literal["check_in_usage", "views", "response_days"] = "check_in_usage",
) -> Response:
    """One of the field notes' figures, measured from the events, for the six whole weeks
    before the last six against those six: check-in usage, goal views per person per week, the
    median days to answer a target-adjustment request (`GET /v1/reports/adoption` gives them all
    with their intervals)."""
    settings = request.app.state.settings
    now = request.app.state.clock()
    periods = before_and_after(now, ZoneInfo(settings.company_timezone))
    async with request.app.state.pool.acquire() as conn:
        figures = await before_and_after_figures(
            conn, periods, settings.company_timezone, as_of=now
        )
    svg = field_figure_chart(figure, figures)
    return Response(svg, media_type="image/svg+xml", headers=SECURITY_HEADERS)
