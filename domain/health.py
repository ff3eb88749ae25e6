"""KR health: progress against a pacing line, with staleness and blockers as floors."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Literal

Health = Literal["green", "amber", "red"]
_ORDER: dict[str, int] = {"green": 0, "amber": 1, "red": 2}
STALE_AFTER = timedelta(days=14)


@dataclass(frozen=True)
class Thresholds:
    """Gap E - A in points: <= green_max is green, <= amber_max amber, above that red. To turn
    to a better colour than the recorded one, the gap must clear the threshold by
    `hysteresis` points (a KR hovering at a threshold changes colour once, not at every
    crossing); turning worse happens at the threshold itself."""

    green_max: Decimal = Decimal(0)
    amber_max: Decimal = Decimal(25)
    hysteresis: Decimal = Decimal(2)


DEFAULT_THRESHOLDS = Thresholds()


def expected_progress(
    window_start: date,
    window_end: date,
    today: date,
    monthly_weights: Sequence[Decimal] | None = None,
) -> Decimal:
    """Where progress should stand by the end of `today`, in percent: linear over the window's
    days, or, with a phased plan, each calendar month of the window contributing its weight
    spread evenly over its days in the window."""
    if not monthly_weights:
        total = (window_end - window_start).days + 1
        elapsed = min(max((today - window_start).days + 1, 0), total)
        return (Decimal(elapsed) * 100 / Decimal(total)).quantize(Decimal("0.01"))
    total_weight = sum(monthly_weights, Decimal(0))
    earned = Decimal(0)
    month = window_start.replace(day=1)
    for weight in monthly_weights:
        following = date(month.year + month.month // 12, month.month % 12 + 1, 1)
        first, last = max(month, window_start), min(following - timedelta(days=1), window_end)
        days = (last - first).days + 1
        elapsed = min(max((today - first).days + 1, 0), days)
        earned += weight * elapsed / days
        month = following
    return (earned * 100 / total_weight).quantize(Decimal("0.01"))


def worst(*colours: Health) -> Health:
    return max(colours, key=lambda c: _ORDER[c])


@dataclass(frozen=True)
class HealthVerdict:
    health: Health
    expected: Decimal
    gap: Decimal
    reasons: tuple[str, ...]
    raw: Health  # the colour without hysteresis: what this evaluation alone says


def gap_colour(gap: Decimal, thresholds: Thresholds) -> Health:
    if gap <= thresholds.green_max:
        return "green"
    return "amber" if gap <= thresholds.amber_max else "red"


def kr_health(
    progress: Decimal,
    expected: Decimal,
    last_update_at: datetime | None,
    now: datetime,
    open_blocker: str | None,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    recorded: Health | None = None,
) -> HealthVerdict:
    """Green/amber/red from the gap, held at the `recorded` colour until the gap clears the
    better colour's threshold by the hysteresis; stale (14 days) or blocked is at least
    amber."""
    gap = expected - progress
    raw = colour = gap_colour(gap, thresholds)
    reasons = [f"{gap:.1f} points behind the pacing line" if gap > 0 else "on or ahead of pace"]
    if recorded is not None and _ORDER[raw] < _ORDER[recorded]:
        held = gap_colour(gap + thresholds.hysteresis, thresholds)
        colour = min(recorded, held, key=lambda c: _ORDER[c])
        if colour != raw:
            reasons.append(
                f"stays {colour} until {thresholds.hysteresis:g} points clear of the threshold"
            )
    if last_update_at is None or now - last_update_at > STALE_AFTER:
        raw, colour = worst(raw, "amber"), worst(colour, "amber")
        reasons.append("no update for 14 days")
    if open_blocker:
        raw, colour = worst(raw, "amber"), worst(colour, "amber")
        reasons.append(f"open blocker: {open_blocker}")
    return HealthVerdict(colour, expected, gap, tuple(reasons), raw)


@dataclass(frozen=True)
class WeightedKr:
    """One KR's share in an objective: its weight (out of 100), progress and health."""

    kr_id: str
    weight: Decimal
    progress: Decimal
    health: Health


def objective_progress(krs: list[WeightedKr]) -> tuple[Decimal, Health | None]:
    """Weighted mean of the KRs' progress; an objective is as healthy as its weakest KR."""
    total_weight = sum((k.weight for k in krs), Decimal(0))
    if not krs or total_weight == 0:
        return Decimal(0), None
    mean = sum((k.weight * k.progress for k in krs), Decimal(0)) / total_weight
    return mean.quantize(Decimal("0.01")), worst(*(k.health for k in krs))
