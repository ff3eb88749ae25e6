"""Tamper evidence: re-walking each stream's hash chain, and comparing two copies of the log."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from domain.event_chain import GENESIS_HASH, RecordedEvent, canonical_bytes, chain_hash


@dataclass(frozen=True)
class ChainedEvent:
    """An event as stored, with the chain fields stored next to it."""

    event: RecordedEvent
    prev_hash: bytes
    hash: bytes


@dataclass(frozen=True)
class Finding:
    """One thing that does not add up, named so an auditor can go and look."""

    stream_id: str
    version: int | None
    problem: str

    def __str__(self) -> str:
        where = self.stream_id if self.version is None else f"{self.stream_id} v{self.version}"
        return f"{where}: {self.problem}"


def first_broken_link(stream_id: str, events: Sequence[ChainedEvent]) -> Finding | None:
    """Walk one stream in stored version order: versions 1, 2, 3... each linking to the hash of
    the one before (the first to the genesis hash) and hashing to what is stored. Returns the
    first link that fails (an altered, removed, inserted or reordered event), or None."""
    expected_prev, expected_version = GENESIS_HASH, 1
    for stored in events:
        version = stored.event.version
        if version != expected_version:
            return Finding(
                stream_id,
                expected_version,
                f"version {expected_version} is missing (the next stored is v{version}):"
                " an event was removed or renumbered",
            )
        if stored.prev_hash != expected_prev:
            return Finding(
                stream_id,
                version,
                "does not link to the hash of the version before it: events were removed,"
                " inserted or reordered",
            )
        if chain_hash(stored.prev_hash, stored.event) != stored.hash:
            return Finding(stream_id, version, "its content no longer matches its hash: altered")
        expected_prev, expected_version = stored.hash, version + 1
    return None


def compare_copies(
    store: Mapping[str, RecordedEvent],
    topic: Iterable[RecordedEvent],
    unpublished: set[str],
) -> list[Finding]:
    """The topic must carry exactly the store's events (by id, with the same content), except
    those the outbox has not published yet."""
    findings: list[Finding] = []
    seen: set[str] = set()
    for copy in topic:
        key = str(copy.event_id)
        original = store.get(key)
        if original is None:
            findings.append(
                Finding(
                    copy.stream_id, copy.version, f"event {key} is on the topic, not in the store"
                )
            )
        elif key not in seen and canonical_bytes(copy) != canonical_bytes(original):
            findings.append(
                Finding(
                    copy.stream_id, copy.version, f"event {key} differs between store and topic"
                )
            )
        seen.add(key)
    for key, original in store.items():
        if key not in seen and key not in unpublished:
            findings.append(
                Finding(
                    original.stream_id,
                    original.version,
                    f"event {key} was published but is not on the topic",
                )
            )
    return sorted(findings, key=lambda f: (f.stream_id, f.version or 0))
