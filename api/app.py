"""The HTTP API assembled: its state (pool, org directory, command handlers, publisher, alert
hub), its routers, its OpenAPI document, middleware and problem responses."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import structlog
from fastapi import FastAPI
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.openapi.utils import get_openapi
from starlette.datastructures import MutableHeaders, QueryParams
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import (
    alert_routes,
    audit_routes,
    board_routes,
    calibration_routes,
    certification_routes,
    command_routes,
    contract_routes,
    escalation_routes,
    governance_routes,
    health_routes,
    hq_routes,
    ingest_routes,
    metrics_routes,
    objective_routes,
    okr_routes,
    practice_routes,
    progress_routes,
    report_aliases,
    report_routes,
    scorecard_routes,
    session_routes,
)
from api.alert_hub import AlertHub
from api.auth import TokenCache
from api.ingest_routes import SALE_SCHEMAS
from api.problems import document_problems, install_problem_handlers, problem, unstorable_text
from handlers.bootstrap import configured_handlers
from infra import metrics
from infra.gc_tuning import settle_heap
from infra.kafka.connection import kafka_options
from infra.kafka.sales_publisher import SalesPublisher
from infra.postgres.db import create_pool
from infra.settings import Settings
from projections.reads.north_star import NorthStarBanner
from projections.reads.org_directory import OrgDirectory

log = structlog.get_logger("northstar.api")


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

        answered = False

        async def timed(message: Message) -> None:
            nonlocal answered
            if message["type"] == "http.response.start":
                answered = True
                elapsed = time.perf_counter() - started
                MutableHeaders(scope=message).append(
                    "Server-Timing", f"app;dur={1000 * elapsed:.2f}"
                )
                _count(scope, message["status"], elapsed)
            await send(message)

        try:
            await self.app(scope, receive, timed)
        except BaseException:
            if not answered:  # it failed before any answer: what the client gets is a 500
                _count(scope, 500, time.perf_counter() - started)
            raise


def _count(scope: Scope, status: int, seconds: float) -> None:
    """One answered request in the metrics, by its route's template (never the raw path: ids
    would make a series per object)."""
    route = getattr(scope.get("route"), "path", "unmatched")
    method = scope["method"]
    metrics.HTTP_REQUESTS.labels(route=route, method=method, status=str(status)).inc()
    metrics.HTTP_SECONDS.labels(route=route, method=method).observe(seconds)


def create_api(settings: Settings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.settings = settings
        app.state.pool = await create_pool(settings.dsn, size=settings.api_db_pool_size)
        app.state.tokens = TokenCache()
        app.state.north_star = NorthStarBanner()
        app.state.clock = lambda: datetime.now(UTC)
        org = app.state.org = OrgDirectory()
        app.state.alert_hub = AlertHub(
            settings.dsn, settings.alerts_topic, app.state.pool, org, settings.sse_subscriber_bursts
        )
        await app.state.alert_hub.start()
        app.state.commands = configured_handlers(settings, clock=app.state.clock)
        app.state.publisher = SalesPublisher(kafka_options(settings), settings.sales_topic)
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
    app.include_router(escalation_routes.router)
    app.include_router(practice_routes.router)
    app.include_router(scorecard_routes.router)
    app.include_router(report_routes.router)
    app.include_router(report_aliases.router)
    app.include_router(certification_routes.router)
    app.include_router(governance_routes.router)
    app.include_router(hq_routes.router)
    app.include_router(alert_routes.router)
    app.include_router(audit_routes.router)
    app.include_router(session_routes.router)
    app.include_router(board_routes.router)
    app.include_router(ingest_routes.router)
    app.include_router(progress_routes.router)
    app.include_router(health_routes.router)
    app.include_router(contract_routes.router)
    app.include_router(metrics_routes.router)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, routes=app.routes)
            schema["components"]["schemas"].update(SALE_SCHEMAS)
            app.openapi_schema = document_problems(schema)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    # Inside the timing below, so Server-Timing includes compression (the HQ board's JSON is
    # ~1 MB for 2,000 KRs and shrinks ~50x); never the SSE stream (Starlette excludes it).
    app.add_middleware(GZipMiddleware, minimum_size=1024, compresslevel=5)

    app.add_middleware(ScreenAndTime)

    install_problem_handlers(app)

    return app


def api_from_environment() -> FastAPI:
    """The API of the settings in the environment (each of several API processes builds its
    own: `northstar api` with NORTHSTAR_API_WORKERS > 1)."""
    return create_api(Settings())
