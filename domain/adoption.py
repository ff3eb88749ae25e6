"""Adoption arithmetic: a share or a mean with its 95 % confidence interval, and the burden of
the forms people fill in (their fields, read from the commands the forms send)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel

from domain.key_result.commands import KeyResultSpec, RecordCheckIn, RequestTargetAdjustment
from domain.objectives import ObjectiveSpec

Z95 = 1.959964  # the normal distribution's 97.5th percentile

# What each form sends, and the fields the system fills in for the person (ids, who, when).
FORMS: dict[str, type[BaseModel]] = {
    "check_in": RecordCheckIn,
    "key_result": KeyResultSpec,
    "objective": ObjectiveSpec,
    "target_adjustment": RequestTargetAdjustment,
}
FILLED_IN_FOR_THEM = frozenset(
    {"command_id", "kr_id", "objective_id", "request_id", "actor", "at", "owner_person_id"}
)


@dataclass(frozen=True)
class Interval:
    """An estimate and its 95 % interval over `n` observations (None when there are none)."""

    value: float | None
    low: float | None
    high: float | None
    n: int


def wilson_interval(successes: int, n: int) -> Interval:
    """A share with Wilson's score interval (sound near 0 % and 100 % and for small n, where
    the plain normal interval leaves [0, 1])."""
    if n == 0:
        return Interval(None, None, None, 0)
    share = successes / n
    z2 = Z95 * Z95
    centre = (share + z2 / (2 * n)) / (1 + z2 / n)
    half = Z95 * math.sqrt(share * (1 - share) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return Interval(round(share, 4), round(centre - half, 4), round(centre + half, 4), n)


def mean_interval(values: Sequence[float]) -> Interval:
    """A mean with the normal interval mean +/- 1.96 standard errors (the sample standard
    deviation; one value gives no spread: the interval is the value)."""
    n = len(values)
    if n == 0:
        return Interval(None, None, None, 0)
    mean = sum(values) / n
    spread = (
        math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1)) / math.sqrt(n) if n > 1 else 0
    )
    return Interval(round(mean, 3), round(mean - Z95 * spread, 3), round(mean + Z95 * spread, 3), n)


def form_burden() -> dict[str, dict[str, object]]:
    """Per form: the fields a person must fill in and those they may."""
    burden = {}
    for name, model in FORMS.items():
        fields = {k: f for k, f in model.model_fields.items() if k not in FILLED_IN_FOR_THEM}
        required = sorted(k for k, f in fields.items() if f.is_required())
        burden[name] = {
            "required": len(required),
            "optional": len(fields) - len(required),
            "required_fields": required,
        }
    return burden
