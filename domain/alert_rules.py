"""The alert rules beyond KR health, as pure functions over figures the projections keep."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

LAGGING_WEEKS = 3


@dataclass(frozen=True)
class RegionLagging:
    region_id: str
    iso_week: str  # e.g. "2026-W47": the week the third consecutive lag was observed
    conversion: Decimal
    peer_mean: Decimal


def lagging_regions(
    weekly_conversion: Mapping[str, Mapping[str, Decimal]], weeks: Sequence[str]
) -> list[RegionLagging]:
    """Regions whose new-customer conversion stayed below the mean of their peer regions for
    three consecutive ISO weeks; reported on that third week (and again after each further
    three-week streak), never earlier."""
    streak: dict[str, int] = {region: 0 for region in weekly_conversion}
    fired: list[RegionLagging] = []
    for week in weeks:
        values = {r: by_week[week] for r, by_week in weekly_conversion.items() if week in by_week}
        for region, value in values.items():
            peers = [v for r, v in values.items() if r != region]
            if not peers:
                continue
            peer_mean = sum(peers, Decimal(0)) / len(peers)
            streak[region] = streak[region] + 1 if value < peer_mean else 0
            if streak[region] == LAGGING_WEEKS:
                fired.append(
                    RegionLagging(region, week, value, peer_mean.quantize(Decimal("0.01")))
                )
                streak[region] = 0
    return fired


def certification_suggested(results: Sequence[tuple[str, Decimal]]) -> list[str]:
    """Cycles (in order) closing a run of two consecutive cycles at or above 100%."""
    suggested: list[str] = []
    previous_achieved = False
    for cycle_id, progress in results:
        achieved = progress >= 100
        if achieved and previous_achieved:
            suggested.append(cycle_id)
            achieved = False  # the next suggestion needs two new cycles
        previous_achieved = achieved
    return suggested


def overdue_adjustments(
    pending: Mapping[str, datetime], now: datetime, response_time: timedelta
) -> list[str]:
    """Requests waiting longer than the agreed response time, longest first."""
    late = [
        (requested_at, rid)
        for rid, requested_at in pending.items()
        if now - requested_at > response_time
    ]
    return [rid for _, rid in sorted(late)]
