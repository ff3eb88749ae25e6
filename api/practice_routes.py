"""HTTP: experience sharing between units."""

from __future__ import annotations

from functools import partial
from typing import Any

from fastapi import APIRouter, Request

from api.commands import Body, IdempotencyKey, record
from api.deps import WriterClient
from domain.practices import AdoptPractice, PublishPractice

router = APIRouter(prefix="/v1/okr/practices", tags=["practices"])


class PublishBody(Body):
    practice_id: str
    kr_id: str
    unit_id: str
    title: str
    description: str
    evidence: str


class AdoptBody(Body):
    unit_id: str
    note: str = ""


@router.post("", status_code=201)
async def publish(
    request: Request,
    body: PublishBody,
    client: WriterClient,
    idempotency_key: IdempotencyKey = None,
) -> dict[str, Any]:
    """A unit shares a practice that moved one of its KRs, with the evidence."""
    return await _run(request, client, PublishPractice, body.model_dump(), idempotency_key)


@router.post("/{practice_id}/adopt", status_code=201)
async def adopt(
    request: Request,
    practice_id: str,
    body: AdoptBody,
    client: WriterClient,
    idempotency_key: IdempotencyKey = None,
) -> dict[str, Any]:
    return await _run(
        request,
        client,
        AdoptPractice,
        {**body.model_dump(), "practice_id": practice_id},
        idempotency_key,
    )


_run = partial(record, handler="practice_commands")
