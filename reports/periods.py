"""Periods as people write them: `FROM..TO` (ISO 8601 dates or moments; without an offset, the
company's time), start included, end excluded."""

from __future__ import annotations

from datetime import datetime, time, timedelta, tzinfo


def zoned(moment: datetime, zone: tzinfo) -> datetime:
    """`moment`, read in the company's zone when it carries no offset."""
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


def week_start(now: datetime, zone: tzinfo) -> datetime:
    """00:00 (company time) of the Monday of the week `now` falls in."""
    today = now.astimezone(zone).date()
    return datetime.combine(today - timedelta(days=today.weekday()), time(0), zone)


def before_and_after(
    now: datetime, zone: tzinfo, weeks: int = 12
) -> tuple[tuple[datetime, datetime], tuple[datetime, datetime]]:
    """The whole weeks before the running one, split in two halves: (before, after)."""
    end = week_start(now, zone)
    middle = end - timedelta(weeks=weeks // 2)
    return (middle - timedelta(weeks=weeks // 2), middle), (middle, end)


def parse_period(text: str, zone: tzinfo) -> tuple[datetime, datetime]:
    """`FROM..TO` -> (start, end); ValueError naming what is wrong."""
    parts = text.split("..")
    try:
        if len(parts) != 2:
            raise ValueError
        start, end = (zoned(datetime.fromisoformat(part), zone) for part in parts)
    except ValueError:
        raise ValueError(f"{text!r}: expected FROM..TO, e.g. 2026-10-01..2026-11-01") from None
    if end <= start:
        raise ValueError(f"{text!r}: the period ends before it starts")
    return start, end
