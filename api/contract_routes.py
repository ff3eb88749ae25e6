"""HTTP: the AsyncAPI document of the topics, served next to the OpenAPI document (both public:
they describe the interfaces, hold no data)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from infra.kafka.asyncapi import asyncapi_document

router = APIRouter()


@router.get("/asyncapi.json", include_in_schema=False)
async def asyncapi(request: Request) -> dict[str, Any]:
    """The topics this deployment uses (its topic names and broker), their messages' schemas."""
    document: dict[str, Any] | None = getattr(request.app.state, "asyncapi", None)
    if document is None:
        document = request.app.state.asyncapi = asyncapi_document(request.app.state.settings)
    return document
