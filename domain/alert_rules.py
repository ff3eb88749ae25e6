"""The alert rules beyond KR health, as pure functions over figures the projections keep."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

LAGGING_WEEKS = 3


@dataclass(frozen=True)
class LaggingStreak:
    region_id: str
    iso_weeks: tuple[str, ...]  # oldest first; the last one is the week it fired
    conversion: tuple[Decimal, ...]
    peer_mean: tuple[Decimal, ...]

    @property
    def iso_week(self) -> str:
        return self.iso_weeks[-1]


def lagging_regions(
    weekly_conversion: Mapping[str, Mapping[str, Decimal]], weeks: Sequence[str]
) -> list[LaggingStreak]:
    """Regions whose new-customer conversion stayed below the mean of their peer regions for
    three consecutive ISO weeks; reported on that third week (and again after each further
    three-week streak), never earlier. A week in which a region has no figure breaks its
    streak."""
    streak: dict[str, list[tuple[str, Decimal, Decimal]]] = {r: [] for r in weekly_conversion}
    fired: list[LaggingStreak] = []
    for week in weeks:
        values = {r: by_week[week] for r, by_week in weekly_conversion.items() if week in by_week}
        for region in weekly_conversion:
            value = values.get(region)
            peers = [v for r, v in values.items() if r != region]
            if value is None or not peers:
                streak[region] = []
                continue
            peer_mean = (sum(peers, Decimal(0)) / len(peers)).quantize(Decimal("0.01"))
            if value < peer_mean:
                streak[region].append((week, value, peer_mean))
            else:
                streak[region] = []
            if len(streak[region]) == LAGGING_WEEKS:
                run = streak[region]
                fired.append(
                    LaggingStreak(
                        region,
                        tuple(w for w, _, _ in run),
                        tuple(v for _, v, _ in run),
                        tuple(m for _, _, m in run),
                    )
                )
                streak[region] = []
    return fired


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


CERTIFICATION_METRIC = "high_value_customer_penetration"  # the notes' "customer management"
CERTIFICATION_OVER_PCT = Decimal(100)  # over-achievement: strictly more than the target


@dataclass(frozen=True)
class CycleResult:
    """A person's best result in one cycle on KRs of the certification metric."""

    cycle_id: str
    starts_on: date
    ends_on: date
    progress: Decimal


def certification_suggested(results: Sequence[CycleResult]) -> list[str]:
    """Cycles closing a run of two calendar-adjacent cycles (the second starts the day after
    the first ends) both over 100 % (strictly: 100.00 % is the target met, not over-achieved);
    a cycle counts in one suggestion only."""
    suggested: list[str] = []
    ordered = sorted(results, key=lambda r: (r.starts_on, r.ends_on))
    previous: CycleResult | None = None
    for result in ordered:
        achieved = result.progress > CERTIFICATION_OVER_PCT
        if (
            achieved
            and previous is not None
            and previous.ends_on + timedelta(days=1) == result.starts_on
        ):
            suggested.append(result.cycle_id)
            previous = None  # the next suggestion needs two new cycles
            continue
        previous = result if achieved else None
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
