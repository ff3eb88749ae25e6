"""The chain walk and the copy comparison, on hand-made events."""

import uuid
from datetime import UTC, datetime

from domain.audit import ChainedEvent, compare_copies, first_broken_link
from domain.event_chain import GENESIS_HASH, RecordedEvent, chain_hash

WHEN = datetime(2026, 11, 27, 9, tzinfo=UTC)


def event(version: int, note: str = "x") -> RecordedEvent:
    return RecordedEvent(
        event_id=uuid.uuid5(uuid.NAMESPACE_URL, f"s/{version}/{note}"),
        stream_id="s",
        version=version,
        type="t",
        schema_version=1,
        payload={"note": note},
        actor="a",
        occurred_at=WHEN,
        recorded_at=WHEN,
        correlation_id=uuid.UUID(int=1),
    )


def chained(events: list[RecordedEvent]) -> list[ChainedEvent]:
    out, prev = [], GENESIS_HASH
    for e in events:
        digest = chain_hash(prev, e)
        out.append(ChainedEvent(e, prev, digest))
        prev = digest
    return out


def test_an_intact_stream_has_no_broken_link():
    assert first_broken_link("s", chained([event(1), event(2), event(3)])) is None


def test_each_kind_of_tampering_names_its_link():
    good = chained([event(1), event(2), event(3)])
    altered = [good[0], ChainedEvent(event(2, "y"), good[1].prev_hash, good[1].hash), good[2]]
    assert "altered" in first_broken_link("s", altered).problem
    assert first_broken_link("s", altered).version == 2
    removed = [good[0], good[2]]
    assert first_broken_link("s", removed).problem.startswith("version 2 is missing")
    renumbered = [good[0], ChainedEvent(event(2, "x"), good[2].prev_hash, good[2].hash)]
    assert "does not link" in first_broken_link("s", renumbered).problem


def test_the_copies_must_hold_the_same_events():
    a, b = event(1), event(2)
    store = {str(a.event_id): a, str(b.event_id): b}
    assert compare_copies(store, [a, b], set()) == []
    assert compare_copies(store, [a], {str(b.event_id)}) == []  # not published yet
    (missing,) = compare_copies(store, [a], set())
    assert "published but is not on the topic" in missing.problem
    (extra,) = compare_copies({str(a.event_id): a}, [a, b], set())
    assert "on the topic, not in the store" in extra.problem
    (changed,) = compare_copies(store, [a, b.model_copy(update={"payload": {"note": "z"}})], set())
    assert "differs" in changed.problem
