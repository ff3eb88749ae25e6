"""The paths the reports had before they moved under `/v1/reports`: each answers 308 Permanent
Redirect to its new path with the same query (method and body kept), and is left out of the
OpenAPI document. Documented in the README; kept so existing clients and bookmarks go on."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

router = APIRouter(include_in_schema=False)

# old path -> new path
ALIASES = {
    "/v1/analytics/churn": "/v1/reports/churn",
    "/v1/analytics/scenarios": "/v1/reports/scenarios",
    "/v1/analytics/launches": "/v1/reports/launches",
    "/v1/audit/adoption": "/v1/reports/adoption",
    "/v1/audit/manual-vs-system": "/v1/reports/manual-vs-system",
    "/v1/audit/escalation-response-times": "/v1/reports/escalation-times",
    "/v1/audit/charts/response-times.svg": "/v1/reports/charts/response-times.svg",
    "/v1/audit/charts/goal-views.svg": "/v1/reports/charts/goal-views.svg",
    "/v1/audit/charts/field-figures.svg": "/v1/reports/charts/field-figures.svg",
}


def _redirect(new: str):  # type: ignore[no-untyped-def]
    async def moved(request: Request) -> RedirectResponse:
        query = request.url.query
        return RedirectResponse(f"{new}?{query}" if query else new, status_code=308)

    return moved


for old, new in ALIASES.items():
    router.add_api_route(old, _redirect(new), methods=["GET"])
