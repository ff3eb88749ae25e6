"""Base classes shared by every Northstar message."""

from __future__ import annotations

from pydantic import AwareDatetime as PydanticAwareDatetime
from pydantic import BaseModel, ConfigDict

# Validated in pydantic-core (no Python call per message): naive datetimes are refused.
AwareDatetime = PydanticAwareDatetime


class Message(BaseModel):
    """Frozen, closed message: unknown fields are refused, nothing mutates after creation."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class DomainError(Exception):
    """A business rule refused a command or a fact."""


def field_errors(errors: list[dict[str, object]]) -> list[dict[str, str]]:
    """pydantic's error list as precise {field, message} pairs for people and producers."""
    described = []
    for error in errors:
        location = error.get("loc", ())
        path = ".".join(str(part) for part in location) if isinstance(location, tuple) else ""
        described.append({"field": path or "(record)", "message": str(error.get("msg", ""))})
    return described
