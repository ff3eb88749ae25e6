"""Ids a client chooses that must be unique across streams. A stream is unique by itself (one
KR per `kr-` stream, one org, one cycles stream), but an objective lives in its owner's
portfolio for one cycle, so its id needs a company-wide claim, recorded with the event."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# event type -> (namespace, payload field holding the id)
CLAIMED_IDS: Mapping[str, tuple[str, str]] = {
    "okr.objective.defined": ("objective", "objective_id"),
}


def claims_of(event_type: str, payload: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """The (namespace, id) pairs an event takes for good."""
    claim = CLAIMED_IDS.get(event_type)
    return ((claim[0], str(payload[claim[1]])),) if claim else ()


def taken_message(namespace: str, claimed_id: str, holder: Mapping[str, Any]) -> str:
    """Why a second claim of the same id is refused, naming who holds it."""
    if namespace == "objective":
        return (
            f"objective {claimed_id!r} already exists (owner {holder.get('owner_person_id')},"
            f" cycle {holder.get('cycle_id')}); objective ids are unique company-wide"
        )
    return f"{namespace} {claimed_id!r} already exists"
