"""HTTP: the sales analytics the field notes name, beyond KRs: customer churn per month."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from api.deps import PersonClient
from api.problems import ProblemError
from api.scope import ReadScope
from projections.customer_churn import MONTH, churn, months_between, parse_month

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
        org = await request.app.state.org.current(conn)
        if unit_id not in org.units:
            raise ProblemError(404, "NotFound", f"unknown org unit {unit_id!r}")
        await ReadScope(request, client).require_unit(conn, unit_id)
        return await churn(conn, unit_id, first, last)
