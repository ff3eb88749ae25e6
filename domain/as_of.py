"""What a KR or an objective looked like at a moment: a fold of its recorded events up to it,
as plain JSON-ready documents an auditor can read and compare."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from domain.event_chain import RecordedEvent
from domain.key_result.decide import KEY_RESULT
from domain.objectives import OBJECTIVES

Document = dict[str, Any]


def kr_snapshot(kr_id: str, events: Iterable[RecordedEvent]) -> Document | None:
    """The KR after `events` (its stream, in order); None if it was not defined yet."""
    state = KEY_RESULT.fold(events)
    if not state.defined:
        return None
    pending, check_in = state.pending, state.last_check_in
    return {
        "kr_id": kr_id,
        "title": state.title,
        "owner_person_id": state.owner_person_id,
        "owner_unit_id": state.owner_unit_id,
        "kind": state.kind,
        "unit": state.unit,
        "start": _digits(state.start),
        "target": _digits(state.target),
        "metric": state.binding.metric if state.binding else None,
        "open_request": pending
        and {
            "request_id": pending.request_id,
            "proposed_target": _digits(pending.proposed_target),
            "requested_by": pending.requested_by,
            "approved": pending.approved,
        },
        "open_blocker": state.open_blocker,
        "blocker_escalated": state.blocker_escalated,
        "last_check_in": check_in
        and {
            "at": check_in.at.isoformat(),
            "progress_value": _digits(check_in.progress_value),
            "summary": check_in.summary,
        },
    }


def objective_snapshots(events: Iterable[RecordedEvent]) -> dict[str, Document]:
    """The objectives of one portfolio stream after `events`, by id."""
    return {
        o.objective_id: {
            "objective_id": o.objective_id,
            "title": o.title,
            "owner_person_id": o.owner_person_id,
            "owner_unit_id": o.owner_unit_id,
            "cycle_id": o.cycle_id,
            "status": "active" if o.active else f"closed: {o.outcome}",
            "contributes_to": _contributions(o.contributes_to),
            "kr_weights": {kr_id: _digits(weight) for kr_id, weight in o.weights},
        }
        for o in OBJECTIVES.fold(events).objectives
    }


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
