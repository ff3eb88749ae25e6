"""HTTP: experience sharing between units."""

from __future__ import annotations

from fastapi import APIRouter

from api.commands import command_route
from api.deps import WriterClient
from domain.practices import AdoptPractice, PublishPractice

router = APIRouter(prefix="/v1/okr/practices", tags=["practices"])


command_route(
    router, "POST", "", PublishPractice, name="publish", handler=lambda h: h.practices,
    client=WriterClient, status_code=201,
)  # fmt: skip
command_route(
    router, "POST", "/{practice_id}/adopt", AdoptPractice, name="adopt",
    handler=lambda h: h.practices, client=WriterClient, status_code=201,
)  # fmt: skip
