"""The board: its page and assets (served with a strict Content-Security-Policy), the one read
that fills it, check-in hints as they are typed, and the audit charts it shows."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from api.deps import PersonClient
from api.problems import ProblemError
from api.scope import ReadScope, readable_kr
from api.views import record_view
from domain.access import SEES_EVERYTHING
from domain.quality_hints import check_in_hints
from projections.reads.board import Viewer, board
from projections.reads.progress_reads import json_default

router = APIRouter(tags=["board"])
ASSETS = Path(__file__).parent / "board"
# Scripts and styles only from our own files: a title holding HTML or JS can only ever be
# text, even if a future change forgot to render it with textContent.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self';"
        " connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}
_ASSET_TYPES = {
    "board.js": "text/javascript",
    "loop.js": "text/javascript",
    "board.css": "text/css",
}


@router.get("/", include_in_schema=False)
async def root() -> RedirectResponse:
    return RedirectResponse("/board", status_code=303)


@router.get("/board", include_in_schema=False)
async def board_page() -> FileResponse:
    return FileResponse(ASSETS / "index.html", media_type="text/html", headers=SECURITY_HEADERS)


@router.get("/board/assets/{name}", include_in_schema=False)
async def board_asset(name: str) -> FileResponse:
    if name not in _ASSET_TYPES:
        raise ProblemError(404, "NotFound", f"no board asset {name!r}")
    return FileResponse(ASSETS / name, media_type=_ASSET_TYPES[name], headers=SECURITY_HEADERS)


@router.get("/v1/board", response_class=Response)
async def person_board(request: Request, client: PersonClient) -> Response:
    """Everything one person's board shows: the north star, the current cycle, their
    objectives and the chain they align to, every KR in their scope (progress, pacing line,
    health, provenance, freshness; relation mine/chain/team) and the requests they decide."""
    scope = ReadScope(request, client)
    async with request.app.state.pool.acquire() as conn:
        viewer = Viewer(
            person_id=client.person_id or "",
            role=client.role,
            unit_id=client.unit_id or "",
            sees_everything=client.role in SEES_EVERYTHING,
            chain=frozenset(await scope.chain(conn)),
        )
        org = await request.app.state.org.current(conn)
        zone = ZoneInfo(request.app.state.settings.company_timezone)
        now = request.app.state.clock()
        document = await board(conn, viewer, org, now, zone, request.app.state.north_star)
    await record_view(request, client, "board", client.person_id or "")
    return _json(document)


@router.get("/v1/okr/key-results/{kr_id}/check-in-hints")
async def hints_for_check_in(
    request: Request,
    kr_id: str,
    client: PersonClient,
    summary: Annotated[str, Query(max_length=2000)] = "",
    progress_value: Annotated[str, Query(max_length=40)] = "",
    blocker: Annotated[str, Query(max_length=2000)] = "",
) -> list[dict[str, str]]:
    """Quality hints for a check-in being typed (nothing is recorded)."""
    async with request.app.state.pool.acquire() as conn:
        row = await readable_kr(request, client, conn, kr_id)
    value = _decimal_or_none(progress_value)
    hints = check_in_hints(summary, value, blocker, row["start_value"], row["target_value"])
    return [h.model_dump() for h in hints]


def _decimal_or_none(text: str) -> Decimal | None:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _json(document: dict[str, Any]) -> Response:
    body = orjson.dumps(document, default=json_default)
    return Response(body, media_type="application/json")
