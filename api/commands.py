"""What every command route shares: the command from body + path + caller, running it on a
pooled connection, and domain refusals as problem responses."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Header, Request
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from api.problems import ProblemError, unstorable_text
from domain.key_result_stream import Actor, Conflict, Invalid, NotAllowed, NotFound
from domain.messages import DomainError, field_errors
from infra.postgres.event_store import AppendResult, ConcurrencyConflict

_COMMAND_NAMESPACE = uuid.UUID("0b6f7d62-18a4-4f8e-9a53-9d3c0f6e4a21")
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _storable(cls, data: Any) -> Any:
        found = unstorable_text(data)
        if found:
            raise ValueError("; ".join(f"{e['field']}: {e['message']}" for e in found))
        return data


_STATUS = {NotFound: 404, NotAllowed: 403, Conflict: 409, ConcurrencyConflict: 409, Invalid: 422}


def build_command(
    request: Request,
    client: Any,
    command_type: type[BaseModel],
    fields: dict[str, Any],
    key: str | None,
) -> Any:
    """The command from the body, the path and the caller; 422 with field paths if invalid.
    A retried request with the same Idempotency-Key yields the same command id, hence the
    same event ids: the store answers it with the first result."""
    command_id = uuid.uuid5(_COMMAND_NAMESPACE, f"{client.name}:{key}") if key else uuid.uuid4()
    actor = Actor(person_id=client.person_id, role=client.role, unit_id=client.unit_id)
    try:
        return command_type.model_validate(
            {**fields, "command_id": command_id, "at": request.app.state.clock(), "actor": actor}
        )
    except ValidationError as exc:
        errors = field_errors(exc.errors(include_url=False))  # type: ignore[arg-type]
        raise ProblemError(422, "Invalid command", errors=errors) from exc


async def execute(request: Request, handle: Callable[[Any], Awaitable[Any]]) -> Any:
    """Run a handler on a pooled connection, mapping refusals to problem responses."""
    try:
        async with request.app.state.pool.acquire() as conn:
            return await handle(conn)
    except DomainError as exc:
        status = next((code for kind, code in _STATUS.items() if isinstance(exc, kind)), 422)
        raise ProblemError(status, type(exc).__name__, str(exc)) from exc


async def run_command(
    request: Request,
    client: Any,
    command_type: type[BaseModel],
    fields: dict[str, Any],
    key: str | None,
    handle: Callable[[Any, Any, str | None], Awaitable[Any]],
) -> Any:
    """Build the command, then `handle(conn, command, idempotency_key)` with refusals mapped."""
    command = build_command(request, client, command_type, fields, key)
    idempotency = f"{client.name}:{key}" if key else None
    return await execute(request, lambda conn: handle(conn, command, idempotency))


def appended(result: AppendResult) -> dict[str, Any]:
    return {
        "stream_id": result.stream_id,
        "first_version": result.first_version,
        "last_version": result.last_version,
        "replayed": result.replayed,
    }


async def record(
    request: Request,
    client: Any,
    command_type: type[BaseModel],
    fields: dict[str, Any],
    key: str | None,
    *,
    handler: str,
) -> dict[str, Any]:
    """Run the command through `request.app.state.<handler>.handle`; answer with the versions."""
    handle = getattr(request.app.state, handler).handle
    return appended(await run_command(request, client, command_type, fields, key, handle))
