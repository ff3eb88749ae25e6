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
