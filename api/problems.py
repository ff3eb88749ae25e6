"""Errors as RFC 9457 problem+json documents with field-level detail."""

from __future__ import annotations

from typing import Any

import structlog
from aiokafka.errors import KafkaError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel

log = structlog.get_logger("northstar.api")


def problem(
    status: int, title: str, detail: str = "", errors: list[dict[str, str]] | None = None
) -> JSONResponse:
    body: dict[str, object] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


class ProblemError(Exception):
    def __init__(
        self, status: int, title: str, detail: str = "", errors: list[dict[str, str]] | None = None
    ) -> None:
        super().__init__(title)
        self.status, self.title, self.detail, self.errors = status, title, detail, errors


class FieldProblem(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """An RFC 9457 problem document, as every error answer of the API carries it."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    errors: list[FieldProblem] | None = None


_ERRORS = {
    "401": "not authenticated (no or unknown token, no or expired session)",
    "403": "authenticated but not allowed: role, scope or CSRF token",
    "404": "no such object",
    "409": "conflicts with the current state",
    "422": "invalid request, with field-level errors",
}


def document_problems(schema: dict[str, Any]) -> dict[str, Any]:
    """Make the OpenAPI document say what the API does on errors: every operation may answer
    401/403/404/409/422 (and the ones it names itself) with application/problem+json."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    problem_schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(problem_schema.pop("$defs", {}))
    components["Problem"] = problem_schema
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    content = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for item in schema.get("paths", {}).values():
        for operation in item.values():
            responses = operation.setdefault("responses", {})
            for status, description in _ERRORS.items():
                responses[status] = {"description": description, "content": content}
            for status, response in responses.items():
                if status.startswith(("4", "5")) and status not in _ERRORS:
                    response["content"] = content
    return schema


def unstorable_text(value: Any, path: str = "") -> list[dict[str, str]]:
    """Text PostgreSQL cannot store (a NUL character, a lone UTF-16 surrogate), wherever it
    sits in a request; field-level errors, empty when all is well."""
    if isinstance(value, str):
        if "\x00" in value:
            return [{"field": path, "message": "contains a NUL character"}]
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return [{"field": path, "message": "contains a lone UTF-16 surrogate"}]
        return []
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, list | tuple):
        items = enumerate(value)
    else:
        return []
    found: list[dict[str, str]] = []
    for key, item in items:
        found += unstorable_text(key, path) if isinstance(key, str) else []
        found += unstorable_text(item, f"{path}.{key}" if path else str(key))
    return found


def install_problem_handlers(app: FastAPI) -> None:
    """Every refusal as an RFC 9457 problem: domain and API refusals, invalid requests, and a
    broker that cannot take a sales batch (503: nothing was accepted)."""

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
