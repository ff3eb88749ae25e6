"""HTTP: a batch of sales facts from a POS/CRM system, accepted atomically onto the sales topic
(all valid and credited to known reps, or none)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
import structlog
from fastapi import APIRouter, Request

from api.deps import IngestClient
from api.problems import ProblemError
from domain.sales import SaleFact, SalesBatch, future_dated
from infra.kafka.codec import Reject, decode_event
from infra.settings import Settings

log = structlog.get_logger("northstar.api")
router = APIRouter(tags=["sales"])
SALES_BATCH_SCHEMA = SalesBatch.model_json_schema(ref_template="#/components/schemas/{model}")
SALE_SCHEMAS = SALES_BATCH_SCHEMA.pop("$defs", {})


@router.post(
    "/v1/sales/batch",
    status_code=202,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": SALES_BATCH_SCHEMA}},
        }
    },
    responses={422: {"description": "field-level errors"}, 413: {"description": "too large"}},
)
async def ingest_sales(request: Request, client: IngestClient) -> dict[str, int]:
    """Accept a batch of sales facts atomically: all valid and known, or none (422)."""
    facts = await _parse_batch(request, request.app.state.settings)
    await _require_known_reps(request, facts)
    accepted = await request.app.state.publisher.publish(facts)
    log.info("sales_batch_accepted", client=client.name, events=accepted)
    return {"accepted": accepted}


async def _parse_batch(request: Request, settings: Settings) -> list[SaleFact]:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > settings.api_max_body_bytes:
        raise ProblemError(
            413, "Payload too large", f"the body may be at most {settings.api_max_body_bytes} bytes"
        )
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > settings.api_max_body_bytes:
            raise ProblemError(
                413,
                "Payload too large",
                f"the body may be at most {settings.api_max_body_bytes} bytes",
            )
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ProblemError(400, "Body is not JSON", str(exc)) from exc
    if not isinstance(document, dict) or not isinstance(document.get("events"), list):
        raise ProblemError(
            422,
            "Invalid request",
            errors=[{"field": "events", "message": "a list of sales events is required"}],
        )
    items = document["events"]
    if not 1 <= len(items) <= settings.api_max_batch:
        raise ProblemError(
            422,
            "Invalid request",
            errors=[
                {"field": "events", "message": f"between 1 and {settings.api_max_batch} events"}
            ],
        )
    facts: list[SaleFact] = []
    errors: list[dict[str, str]] = []
    arrived_at = datetime.now(UTC)
    tolerance = timedelta(seconds=settings.sales_future_tolerance_s)
    for index, item in enumerate(items):
        result = decode_event(item, b"", index)
        if isinstance(result, Reject):
            errors.extend(_item_errors(index, result))
        elif dated_ahead := future_dated(result.occurred_at, arrived_at, tolerance):
            errors.append({"field": f"events.{index}.occurred_at", "message": dated_ahead})
        else:
            facts.append(result)
    if errors:
        raise ProblemError(422, "Invalid sales events", "nothing was accepted", errors)
    return facts


def _item_errors(index: int, reject: Reject) -> list[dict[str, str]]:
    if not reject.errors:
        return [{"field": f"events.{index}", "message": reject.detail}]
    return [
        {"field": f"events.{index}.{field}", "message": message} for field, message in reject.errors
    ]


async def _require_known_reps(request: Request, facts: list[SaleFact]) -> None:
    rep_ids = sorted({f.rep_id for f in facts})
    async with request.app.state.pool.acquire() as conn:
        known = await request.app.state.org.known_reps(conn, set(rep_ids))
    unknown = set(rep_ids) - known
    if unknown:
        errors = [
            {"field": f"events.{i}.rep_id", "message": f"unknown rep {f.rep_id!r}"}
            for i, f in enumerate(facts)
            if f.rep_id in unknown
        ]
        raise ProblemError(422, "Invalid sales events", "nothing was accepted", errors[:100])
