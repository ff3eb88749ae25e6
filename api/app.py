"""HTTP API: authenticated sales batch ingest and KR progress reads."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import structlog
from aiokafka.errors import KafkaError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from starlette.datastructures import MutableHeaders, QueryParams
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import (
    alert_routes,
    audit_routes,
    board_routes,
    calibration_routes,
    command_routes,
    hq_routes,
    objective_routes,
    okr_routes,
    session_routes,
)
from api.alert_hub import AlertHub
from api.auth import TokenCache
from api.deps import IngestClient, ReaderClient
from api.problems import ProblemError, document_problems, problem, unstorable_text
from domain.sales import SaleFact, SalesBatch
from handlers.bootstrap import command_handlers
from infra.gc_tuning import settle_heap
from infra.kafka.codec import Reject, decode_event
from infra.kafka.sales_publisher import SalesPublisher
from infra.postgres.db import create_pool
from infra.settings import Settings
from projections import progress_reads
from projections.org_directory import OrgDirectory
from projections.process_health import process_health

log = structlog.get_logger("northstar.api")
_SALES_BATCH_SCHEMA = SalesBatch.model_json_schema(ref_template="#/components/schemas/{model}")
_SALE_SCHEMAS = _SALES_BATCH_SCHEMA.pop("$defs", {})


class ScreenAndTime:
    """A NUL or lone surrogate in the path or the query is refused before any route; every
    answer says how long the server took (Server-Timing, until the body starts). Plain ASGI:
    a streamed body (SSE) passes through untouched, chunk by chunk."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        found = unstorable_text(scope["path"], "path") + unstorable_text(
            dict(QueryParams(scope["query_string"])), "query"
        )
        if found:
            await problem(422, "Invalid request", errors=found)(scope, receive, send)
            return

        async def timed(message: Message) -> None:
            if message["type"] == "http.response.start":
                elapsed_ms = 1000 * (time.perf_counter() - started)
                MutableHeaders(scope=message).append("Server-Timing", f"app;dur={elapsed_ms:.2f}")
            await send(message)

        await self.app(scope, receive, timed)


def create_api(settings: Settings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.settings = settings
        app.state.pool = await create_pool(settings.dsn, size=settings.api_db_pool_size)
        app.state.tokens = TokenCache()
        app.state.clock = lambda: datetime.now(UTC)
        org = app.state.org = OrgDirectory()
        app.state.alert_hub = AlertHub(settings.dsn, settings.alerts_topic, app.state.pool, org)
        await app.state.alert_hub.start()
        app.state.commands = command_handlers(
            settings.okr_events_topic, org.current, app.state.clock
        )
        app.state.publisher = SalesPublisher(settings.kafka_bootstrap, settings.sales_topic)
        await app.state.publisher.start()
        # The garbage collector's full passes over start-up's objects made the 2,000-KR
        # board's p99 ~4x its median.
        settle_heap()
        try:
            yield
        finally:
            await app.state.alert_hub.stop()
            await app.state.publisher.stop()
            await app.state.pool.close()

    app = FastAPI(title="Northstar", version="0.1.0", lifespan=lifespan)
    app.include_router(okr_routes.router)
    app.include_router(objective_routes.router)
    app.include_router(calibration_routes.router)
    app.include_router(command_routes.router)
    app.include_router(hq_routes.router)
    app.include_router(alert_routes.router)
    app.include_router(audit_routes.router)
    app.include_router(session_routes.router)
    app.include_router(board_routes.router)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, routes=app.routes)
            schema["components"]["schemas"].update(_SALE_SCHEMAS)
            app.openapi_schema = document_problems(schema)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    # Inside the timing below, so Server-Timing includes compression (the HQ board's JSON is
    # ~1 MB for 2,000 KRs and shrinks ~50x); never the SSE stream (Starlette excludes it).
    app.add_middleware(GZipMiddleware, minimum_size=1024, compresslevel=5)

    app.add_middleware(ScreenAndTime)

    @app.exception_handler(ProblemError)
    async def _problem(_: Request, exc: ProblemError) -> JSONResponse:
        return problem(exc.status, exc.title, exc.detail, exc.errors)

    @app.exception_handler(KafkaError)
    async def _broker_down(_: Request, exc: KafkaError) -> JSONResponse:
        log.error("ingest_broker_unavailable", error=repr(exc))
        return problem(503, "Sales topic unavailable", "nothing was accepted; retry later")

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors()
        ]
        return problem(422, "Invalid request", errors=errors)

    @app.get("/healthz")
    async def healthz(request: Request) -> dict[str, Any]:
        """The API answers; and which of the other processes (worker agents, relay, webhook
        dispatcher) beat within the last 10 s, how long ago, and how often each was restarted."""
        try:
            async with request.app.state.pool.acquire(timeout=2.0) as conn:
                processes = await process_health(conn)
        except Exception as exc:  # the database is down: say so, the API itself still answers
            return {"status": "degraded", "database": f"unreachable: {type(exc).__name__}"}
        down = [name for name, p in processes.items() if not p["up"]]
        return {"status": "degraded" if down else "ok", "database": "ok", "processes": processes}

    @app.post(
        "/v1/sales/batch",
        status_code=202,
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _SALES_BATCH_SCHEMA}},
            }
        },
        responses={422: {"description": "field-level errors"}, 413: {"description": "too large"}},
    )
    async def ingest_sales(request: Request, client: IngestClient) -> dict[str, int]:
        """Accept a batch of sales facts atomically: all valid and known, or none (422)."""
        facts = await _parse_batch(request, settings)
        await _require_known_reps(request, facts)
        accepted = await request.app.state.publisher.publish(facts)
        log.info("sales_batch_accepted", client=client.name, events=accepted)
        return {"accepted": accepted}

    zone = ZoneInfo(settings.company_timezone)

    @app.get("/v1/key-results")
    async def list_key_results(
        request: Request,
        _: ReaderClient,
        unit_id: str | None = None,
    ) -> list[dict[str, Any]]:
        async with request.app.state.pool.acquire() as conn:
            rows = await progress_reads.kr_progress(conn, unit_id=unit_id)
        return progress_reads.rows_json(
            progress_reads.with_health(rows, request.app.state.clock(), zone)
        )

    @app.get("/v1/key-results/{kr_id}")
    async def get_key_result(
        request: Request,
        kr_id: str,
        _: ReaderClient,
    ) -> dict[str, Any]:
        async with request.app.state.pool.acquire() as conn:
            rows = await progress_reads.kr_progress(conn, kr_id=kr_id)
            history = await progress_reads.health_history(conn, kr_id)
        if not rows:
            raise ProblemError(404, "No such key result", f"key result {kr_id!r} does not exist")
        (row,) = progress_reads.with_health(rows, request.app.state.clock(), zone)
        return progress_reads.rows_json([{**row, "health_history": history}])[0]

    return app


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
    for index, item in enumerate(items):
        result = decode_event(item, b"", index)
        if isinstance(result, Reject):
            errors.extend(_item_errors(index, result))
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
