"""Base classes shared by every Northstar message."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict


def _require_utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("must carry a timezone (e.g. 2026-11-27T09:30:00Z)")
    return value


AwareDatetime = Annotated[datetime, AfterValidator(_require_utc)]


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
