"""Command-line parameter types shared by the `northstar` commands."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import click

from infra.settings import Settings
from reports.periods import zoned

EXAMPLES = "2026-11-29, 2026-11-29T18:00, 2026-11-29T18:00:00.250 or 2026-11-29T10:00:00+00:00"


class Moment(click.ParamType):
    """An ISO 8601 date or date and time; without an offset it is company time (the caller
    applies the company's zone)."""

    name = "MOMENT"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            return datetime.fromisoformat(str(value))
        except ValueError:
            self.fail(
                f"{value!r} is not a moment: give an ISO 8601 date or date and time, e.g."
                f" {EXAMPLES} (no offset: company time)",
                param,
                ctx,
            )


MOMENT = Moment()


def zoned_moment(moment: datetime, settings: Settings) -> datetime:
    """A MOMENT as given: with its offset, or without one in the company's zone."""
    return zoned(moment, ZoneInfo(settings.company_timezone))
