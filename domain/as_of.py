"""What a KR or an objective looked like at a moment: a fold of its recorded events up to it,
as plain JSON-ready documents an auditor can read and compare."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from domain.event_chain import RecordedEvent
from domain.key_result_stream import (
    BlockerEscalated,
    CheckInRecorded,
    KeyResultDefined,
    TargetAdjustmentApplied,
    TargetAdjustmentApproved,
    TargetAdjustmentCancelled,
    TargetAdjustmentRejected,
    TargetAdjustmentRequested,
    kr_event_of,
)
from domain.objectives import (
    KeyResultWeightsSet,
    ObjectiveAligned,
    ObjectiveClosed,
    ObjectiveDefined,
    portfolio_event_of,
)

Document = dict[str, Any]


def kr_snapshot(kr_id: str, events: Iterable[RecordedEvent]) -> Document | None:
    """The KR after `events` (its stream, in order); None if it was not defined yet."""
    doc: Document | None = None
    for recorded in events:
        event = kr_event_of(recorded)
        if isinstance(event, KeyResultDefined):
            doc = {
                "kr_id": kr_id,
                "title": event.title,
                "owner_person_id": event.owner_person_id,
                "owner_unit_id": event.owner_unit_id,
                "kind": event.kind,
                "unit": event.unit,
                "start": _digits(event.start),
                "target": _digits(event.target),
                "metric": event.binding.metric if event.binding else None,
                "open_request": None,
                "open_blocker": None,
                "blocker_escalated": False,
                "last_check_in": None,
            }
        elif doc is None or event is None:
            continue
        elif isinstance(event, TargetAdjustmentRequested):
            doc["open_request"] = {
                "request_id": event.request_id,
                "proposed_target": _digits(event.proposed_target),
                "requested_by": recorded.actor,
                "approved": False,
            }
        elif isinstance(event, TargetAdjustmentApproved) and doc["open_request"]:
            doc["open_request"] = {**doc["open_request"], "approved": True}
        elif isinstance(event, TargetAdjustmentApplied):
            doc["target"] = _digits(event.new_target)
            doc["open_request"] = None
        elif isinstance(event, TargetAdjustmentRejected | TargetAdjustmentCancelled):
            doc["open_request"] = None
        elif isinstance(event, CheckInRecorded):
            if event.blocker != doc["open_blocker"]:
                doc["blocker_escalated"] = False
            doc["open_blocker"] = event.blocker
            doc["last_check_in"] = {
                "at": recorded.occurred_at.isoformat(),
                "progress_value": _digits(event.progress_value),
                "summary": event.summary,
            }
        elif isinstance(event, BlockerEscalated):
            doc["blocker_escalated"] = True
    return doc


def objective_snapshots(events: Iterable[RecordedEvent]) -> dict[str, Document]:
    """The objectives of one portfolio stream after `events`, by id."""
    objectives: dict[str, Document] = {}
    for recorded in events:
        event = portfolio_event_of(recorded)
        if isinstance(event, ObjectiveDefined):
            objectives[event.objective_id] = {
                "objective_id": event.objective_id,
                "title": event.title,
                "owner_person_id": event.owner_person_id,
                "owner_unit_id": event.owner_unit_id,
                "cycle_id": event.cycle_id,
                "status": "active",
                "contributes_to": _contributions(event.contributes_to),
                "kr_weights": {},
            }
        elif event is None or getattr(event, "objective_id", None) not in objectives:
            continue
        elif isinstance(event, ObjectiveAligned):
            objectives[event.objective_id]["contributes_to"] = _contributions(event.contributes_to)
        elif isinstance(event, KeyResultWeightsSet):
            objectives[event.objective_id]["kr_weights"] = {
                k: _digits(v) for k, v in sorted(event.weights.items())
            }
        elif isinstance(event, ObjectiveClosed):
            objectives[event.objective_id]["status"] = f"closed: {event.outcome}"
    return objectives


def diff(before: Mapping[str, Document], after: Mapping[str, Document]) -> list[Document]:
    """What changed between two sets of documents keyed by id: added, removed, and each changed
    field with its old and new value."""
    changes: list[Document] = []
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old is None:
            changes.append({"id": key, "change": "added", "now": new})
        elif new is None:
            changes.append({"id": key, "change": "removed", "was": old})
        else:
            for name in sorted(set(old) | set(new)):
                if old.get(name) != new.get(name):
                    changes.append(
                        {
                            "id": key,
                            "change": "changed",
                            "field": name,
                            "was": old.get(name),
                            "now": new.get(name),
                        }
                    )
    return changes


def _contributions(parents: Iterable[Any]) -> dict[str, str]:
    return {p.parent_id: _digits(p.weight) for p in parents}


def _digits(value: object) -> str:
    return format(value, "f")
