"""What every command route shares: the command from body + path + caller, running it on a
pooled connection, and domain refusals as problem responses."""

from __future__ import annotations

import inspect
import re
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from pydantic import BaseModel, ConfigDict, ValidationError, create_model, model_validator

from api.problems import ProblemError, unstorable_text
from domain.kernel import Actor, Conflict, DomainError, Invalid, NotAllowed, NotFound, field_errors
from handlers.bootstrap import CommandHandlers, Handle
from infra.postgres.event_store import AppendResult, ConcurrencyConflict

Pick = Callable[[CommandHandlers], Handle]  # e.g. `lambda h: h.key_results.handle`
Respond = Callable[[Any, Any], dict[str, Any]]  # (command, what the handler returned) -> JSON


def handlers_of(request: Request) -> CommandHandlers:
    """The command handlers the API was started with (`handlers.bootstrap`)."""
    handlers: CommandHandlers = request.app.state.commands
    return handlers


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


def envelope(request: Request, client: Any, key: str | None) -> dict[str, Any]:
    """The fields every command gets from the request: its id (derived from the caller and
    the Idempotency-Key, when there is one), the caller as actor, and now."""
    command_id = uuid.uuid5(_COMMAND_NAMESPACE, f"{client.name}:{key}") if key else uuid.uuid4()
    actor = Actor(person_id=client.person_id, role=client.role, unit_id=client.unit_id)
    return {"command_id": command_id, "actor": actor, "at": request.app.state.clock()}


def idempotency_of(client: Any, key: str | None) -> str | None:
    return f"{client.name}:{key}" if key else None


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
    try:
        return command_type.model_validate({**fields, **envelope(request, client, key)})
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


def appended(result: AppendResult) -> dict[str, Any]:
    return {
        "stream_id": result.stream_id,
        "first_version": result.first_version,
        "last_version": result.last_version,
        "replayed": result.replayed,
    }


def versions(_command: Any, result: AppendResult) -> dict[str, Any]:
    """The usual answer to a command: the stream's new versions."""
    return appended(result)


async def record(
    request: Request,
    client: Any,
    command_type: type[BaseModel],
    fields: dict[str, Any],
    key: str | None,
    *,
    handler: Pick,
    respond: Respond = versions,
) -> dict[str, Any]:
    """Build the command, run it through the handle `handler` picks from the app's command
    handlers (refusals mapped to problems), and answer with `respond`."""
    command = build_command(request, client, command_type, fields, key)
    idempotency = idempotency_of(client, key)
    handle = handler(handlers_of(request))
    outcome = await execute(request, lambda conn: handle(conn, command, idempotency))
    return respond(command, outcome)


# The fields every command carries that the API fills in itself.
ENVELOPE = frozenset({"command_id", "actor", "at"})


def body_of(command_type: type[BaseModel], path: Sequence[str] = ()) -> type[Body]:
    """The HTTP body of a command: its fields (with their types, limits and defaults) less the
    envelope and those the URL path carries. Derived, so the API never restates a command."""
    fields: dict[str, Any] = {
        name: (info.annotation, info)
        for name, info in command_type.model_fields.items()
        if name not in ENVELOPE and name not in path
    }
    body: type[Body] = create_model(  # type: ignore[call-overload]
        f"{command_type.__name__}Body", __base__=Body, __doc__=command_type.__doc__, **fields
    )
    return body


def command_route(
    router: APIRouter,
    method: str,
    path: str,
    command_type: type[BaseModel],
    *,
    name: str,
    handler: Pick,
    client: Any,
    status_code: int = 200,
    respond: Respond = versions,
    tag: str = "commands",
) -> None:
    """Add `METHOD path` to `router`: the body of `command_type` (`body_of`), the path's
    parameters, the caller and an optional Idempotency-Key make the command, which the handle
    `handler` picks runs; the answer is `respond(command, outcome)` (by default the stream's new
    versions)."""
    params = re.findall(r"{(\w+)}", router.prefix + path)
    body_type = body_of(command_type, params)

    async def endpoint(
        request: Request, body: Body, client: Any, idempotency_key: str | None, **path_values: str
    ) -> dict[str, Any]:
        fields = {**body.model_dump(), **path_values}
        return await record(
            request,
            client,
            command_type,
            fields,
            idempotency_key,
            handler=handler,
            respond=respond,
        )

    keyword = inspect.Parameter.KEYWORD_ONLY
    endpoint.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter("request", keyword, annotation=Request),
            *(inspect.Parameter(p, keyword, annotation=str) for p in params),
            inspect.Parameter("body", keyword, annotation=body_type),
            inspect.Parameter("client", keyword, annotation=client),
            inspect.Parameter("idempotency_key", keyword, annotation=IdempotencyKey, default=None),
        ],
        return_annotation=dict[str, Any],
    )
    endpoint.__name__ = name
    endpoint.__doc__ = command_type.__doc__
    router.add_api_route(
        path, endpoint, methods=[method], status_code=status_code, name=name, tags=[tag]
    )
