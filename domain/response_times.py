"""Response-time statistics of target adjustments: pure arithmetic over durations in hours."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Summary:
    count: int
    median: float | None
    mean: float | None
    p90: float | None


def percentile(sorted_values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile: the smallest value with at least `share` of the values at or
    below it (p90 of 10 values is the 9th)."""
    if not sorted_values:
        raise ValueError("no values")
    rank = max(1, math.ceil(share * len(sorted_values)))
    return sorted_values[rank - 1]


def summarize(hours: Sequence[float]) -> Summary:
    """Count, median, mean and p90 (None for no values), rounded to 0.01 h."""
    if not hours:
        return Summary(0, None, None, None)
    ordered = sorted(hours)
    middle = len(ordered) // 2
    median = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    return Summary(
        len(ordered),
        round(median, 2),
        round(sum(ordered) / len(ordered), 2),
        round(percentile(ordered, 0.9), 2),
    )


def change_ratio(before: float | None, after: float | None) -> float | None:
    """after / before - 1 (e.g. -0.82 for 7.2 days -> 1.3 days); None when undefined."""
    if before is None or after is None or before == 0:
        return None
    return round(after / before - 1, 3)


@dataclass(frozen=True)
class Waited:
    """How long one request waited for a step: `done` if the step came after `hours`, else it
    was still open when measured, `hours` after it was made (a censored observation)."""

    hours: float
    done: bool


@dataclass(frozen=True)
class Survival:
    """Response times with the requests still open counted, not left out: `median` and `p90`
    are Kaplan-Meier estimates (the first time by which half, or nine in ten, of the requests
    are estimated to have had the step; None when the open ones leave it unknown);
    `mean_of_done` is the plain mean over the done ones, which open requests bias low."""

    count: int
    done: int
    still_open: int
    median: float | None
    p90: float | None
    mean_of_done: float | None


def still_waiting_curve(observations: Sequence[Waited]) -> list[tuple[float, float]]:
    """The Kaplan-Meier product-limit estimate of the share of requests still waiting: one
    (hours, share) point at each time a step came. At a time with both, the steps are counted
    before the censored requests leave the risk set (the usual convention)."""
    at_risk = len(observations)
    share = 1.0
    curve = []
    ordered = sorted(observations, key=lambda o: (o.hours, not o.done))
    index = 0
    while index < len(ordered):
        hours = ordered[index].hours
        done = censored = 0
        while index < len(ordered) and ordered[index].hours == hours:
            done += ordered[index].done
            censored += not ordered[index].done
            index += 1
        if done:
            share *= 1 - done / at_risk
            curve.append((hours, share))
        at_risk -= done + censored
    return curve


def survival(observations: Sequence[Waited]) -> Survival:
    """Count, done, still open, Kaplan-Meier median and p90 (rounded to 0.01 h), mean of the
    done ones."""
    curve = still_waiting_curve(observations)

    def quantile(share_done: float) -> float | None:
        # tolerance: 1 - 9/10 is 0.0999... in floating point
        reached = (h for h, waiting in curve if waiting <= 1 - share_done + 1e-12)
        found = next(reached, None)
        return None if found is None else round(found, 2)

    done = [o.hours for o in observations if o.done]
    return Survival(
        count=len(observations),
        done=len(done),
        still_open=len(observations) - len(done),
        median=quantile(0.5),
        p90=quantile(0.9),
        mean_of_done=round(sum(done) / len(done), 2) if done else None,
    )
