"""Errors as RFC 9457 problem+json documents with field-level detail."""

from __future__ import annotations

from fastapi.responses import JSONResponse


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
