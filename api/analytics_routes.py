"""HTTP: the sales analytics the field notes name, beyond KRs: customer churn per month,
first-order conversion by selling scenario."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request

from api.deps import AuditClient, PersonClient
from api.problems import ProblemError
from api.scope import ReadScope
from projections.reads.progress_reads import rows_json
from projections.reports.customer_churn import MONTH, churn, months_between, parse_month
from projections.reports.product_launches import launches
from projections.reports.scenario_conversion import conversion_by_scenario

router = APIRouter(prefix="/v1/analytics", tags=["analytics"])
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
