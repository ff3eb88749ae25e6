"""Every event the OKR topic carries, by wire name: the event families of all the aggregates
(the topic's contract is generated from this, `infra/kafka/contracts.py`)."""

from __future__ import annotations

from pydantic import BaseModel

from domain.aggregate import Aggregate
from domain.calibration import CALIBRATION
from domain.calibration_cadence import CADENCE
from domain.certifications import CERTIFICATION
from domain.cycles import CYCLES, NORTH_STAR
from domain.escalations import ESCALATION
from domain.key_result.decide import KEY_RESULT
from domain.objectives import FOCUS_POLICY, OBJECTIVES
from domain.okr_governance import GOVERNANCE
from domain.okr_proposals import PROPOSAL
from domain.organisation import ORGANISATION
from domain.practices import PRACTICE
from domain.projection_skips import PROJECTION_SKIPS

AGGREGATES: tuple[Aggregate, ...] = (  # type: ignore[type-arg]
    ORGANISATION,
    CYCLES,
    NORTH_STAR,
    OBJECTIVES,
    FOCUS_POLICY,
    GOVERNANCE,
    PROPOSAL,
    KEY_RESULT,
    CALIBRATION,
    CADENCE,
    ESCALATION,
    PRACTICE,
    CERTIFICATION,
    PROJECTION_SKIPS,
)
OKR_EVENT_TYPES: dict[str, type[BaseModel]] = {
    name: model for aggregate in AGGREGATES for name, model in aggregate.events.by_name.items()
}
