"""One number per objective, up to the north star: the rule the board, the objective's progress,
the chain, scorecards, the calibration agenda and the north-star banner all show.

- An objective with KRs of its own (KR weights set) is measured by them: the weighted mean of
  their progress by KR weight; its health is its weakest KR's.
- An objective with none is measured by the objectives contributing to it: the weighted mean of
  their scores by contribution weight (each scored by this same rule, all the way down); its
  health is its weakest contributor's.
- With neither it has no score yet: 0 %, no health.
- The north star is scored as an objective with no KRs of its own: by HQ's objectives that
  contribute to it.

Own KRs come first because they are what the objective's owner committed to measure it by;
contributors are how the work below moves it, and count only where the owner set no measure of
their own. A loop in the alignment (refused on the command side, so only in data from before
that rule) is cut: an objective met again on its own path counts as having no score there."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from domain.health import Health, WeightedKr, objective_progress

Basis = Literal["key_results", "contributors", "none"]


@dataclass(frozen=True)
class Contributor:
    objective_id: str
    weight: Decimal  # the percent it contributes to its parent


@dataclass(frozen=True)
class ObjectiveScore:
    objective_id: str
    progress: Decimal
    health: Health | None
    basis: Basis


def objective_scores(
    wanted: Iterable[str],
    own_krs: Mapping[str, Sequence[WeightedKr]],
    contributors: Mapping[str, Sequence[Contributor]],
) -> dict[str, ObjectiveScore]:
    """The score of every objective of `wanted` and of every objective below them, from each
    objective's own weighted KRs (`own_krs`) and the objectives contributing to it."""
    scores: dict[str, ObjectiveScore] = {}

    def score(objective_id: str, path: frozenset[str]) -> ObjectiveScore:
        if objective_id in scores:
            return scores[objective_id]
        krs = own_krs.get(objective_id, ())
        if krs:
            progress, health = objective_progress(list(krs))
            found = ObjectiveScore(objective_id, progress, health, "key_results")
        else:
            parts = []
            for c in contributors.get(objective_id, ()):
                if c.objective_id in path:
                    continue
                below = score(c.objective_id, path | {c.objective_id})
                if below.health is not None:  # a contributor with no number yet is left out
                    parts.append(WeightedKr(c.objective_id, c.weight, below.progress, below.health))
            if parts:
                progress, health = objective_progress(parts)
                found = ObjectiveScore(objective_id, progress, health, "contributors")
            else:
                found = ObjectiveScore(objective_id, Decimal(0), None, "none")
        scores[objective_id] = found
        return found

    for objective_id in wanted:
        score(objective_id, frozenset({objective_id}))
    return scores
