"""Wire codec for the sales topic: bytes in, validated facts or reasoned rejects out."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal, get_args

import orjson
from pydantic import TypeAdapter, ValidationError

from domain.kernel import field_errors
from domain.sales import SALES_EVENT_TYPES, SaleFact, SalesBatch, SalesEvent, future_dated

_events_adapter: TypeAdapter[list[SalesEvent]] = TypeAdapter(list[SalesEvent])
_event_adapter: TypeAdapter[SalesEvent] = TypeAdapter(SalesEvent)

EVENT_CLASSES = {t.model_fields["type"].default: t for t in SALES_EVENT_TYPES}
BATCH_TYPE = "sales.batch"
MAX_BATCH_EVENTS = 10_000


# Why a record is dead-lettered (the README's list; `northstar dead-letters --reason`).
RejectReason = Literal[
    "not_json",
    "not_an_object",
    "unknown_type",
    "schema_invalid",
    "too_large",
    "unknown_rep",
    "future_dated",
    "apply_failed",
]
REJECT_REASONS: tuple[str, ...] = get_args(RejectReason)


@dataclass(frozen=True, slots=True)
class Reject:
    """A record (or one item of a batch record) that cannot be accepted, and why."""

    reason: RejectReason
    detail: str
    original: bytes
    index: int | None = None
    errors: tuple[tuple[str, str], ...] = ()


@dataclass(slots=True)
class Decoded:
    facts: list[SaleFact] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)


def decode_event(item: object, original: bytes, index: int | None = None) -> SaleFact | Reject:
    if not isinstance(item, dict):
        return Reject("not_an_object", "a sales event must be a JSON object", original, index)
    event_type = item.get("type")
    event_class = EVENT_CLASSES.get(event_type) if isinstance(event_type, str) else None
    if event_class is None:
        return Reject("unknown_type", f"unknown event type {event_type!r}", original, index)
    try:
        return event_class.model_validate(item)  # type: ignore[no-any-return]
    except ValidationError as exc:
        errors = tuple(
            (e["field"], e["message"])
            for e in field_errors(exc.errors(include_url=False))  # type: ignore[arg-type]
        )
        detail = "; ".join(f"{field}: {message}" for field, message in errors)
        return Reject("schema_invalid", detail, original, index, errors)


def arrival(timestamp_ms: int) -> datetime | None:
    """When a sales record reached Northstar: its timestamp, which the broker sets on the sales
    topic (`message.timestamp.type=LogAppendTime`), so a replay judges it as live did."""
    return datetime.fromtimestamp(timestamp_ms / 1000, UTC) if timestamp_ms >= 0 else None


def decode_record(
    value: bytes | None,
    max_bytes: int,
    arrived_at: datetime | None = None,
    future_tolerance: timedelta = timedelta(0),
) -> Decoded:
    """Decode one Kafka record holding either a single sales event or a `sales.batch`; with
    `arrived_at` (the record's broker time), facts dated more than `future_tolerance` after it
    are rejected `future_dated` (`domain.sales.future_dated`)."""
    out = _decode(value, max_bytes)
    if arrived_at is not None and out.facts:
        latest = arrived_at + future_tolerance
        if any(fact.occurred_at > latest for fact in out.facts):  # one comparison per fact
            _reject_future(out, value or b"", arrived_at, future_tolerance)
    return out


def _reject_future(out: Decoded, raw: bytes, arrived_at: datetime, tolerance: timedelta) -> None:
    """Move the facts dated after their arrival from `out.facts` to `out.rejects`: the whole
    record for a single event, the item (with its index) for one inside a batch."""
    body = orjson.loads(raw)
    in_batch = isinstance(body, dict) and body.get("type") == BATCH_TYPE
    items: list[object] = body["events"] if in_batch else [body]
    taken: set[int] = set()
    kept = []
    for fact in out.facts:
        reason = future_dated(fact.occurred_at, arrived_at, tolerance)
        if reason is None:
            kept.append(fact)
            continue
        errors = (("occurred_at", reason),)
        if not in_batch:
            out.rejects.append(Reject("future_dated", reason, raw, None, errors))
            continue
        index = _item_of(fact, items, taken)
        out.rejects.append(
            Reject("future_dated", reason, orjson.dumps(items[index]), index, errors)
        )
    out.facts = kept


def _item_of(fact: SaleFact, items: Sequence[object], taken: set[int]) -> int:
    """The index of the batch item `fact` was decoded from (the first not taken yet)."""
    key = (fact.type, fact.source_system, fact.source_id)  # type: ignore[attr-defined]
    for index, item in enumerate(items):
        if index in taken or not isinstance(item, dict):
            continue
        if (item.get("type"), item.get("source_system"), item.get("source_id")) == key:
            taken.add(index)
            return index
    raise LookupError(f"no item of the batch is {key}")


def _decode(value: bytes | None, max_bytes: int) -> Decoded:
    out = Decoded()
    raw = value or b""
    if len(raw) > max_bytes:
        out.rejects.append(
            Reject("too_large", f"{len(raw)} bytes exceeds the {max_bytes}-byte limit", raw)
        )
        return out
    fast = _validate_whole(raw)
    if fast is not None:
        out.facts.extend(fast)
        return out
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        out.rejects.append(Reject("not_json", str(exc), raw))
        return out
    if isinstance(body, dict) and body.get("type") == BATCH_TYPE:
        items = body.get("events")
        if not isinstance(items, list) or not items or len(items) > MAX_BATCH_EVENTS:
            out.rejects.append(
                Reject(
                    "schema_invalid",
                    f"events: a list of 1..{MAX_BATCH_EVENTS} events is required",
                    raw,
                )
            )
            return out
        for index, item in enumerate(items):
            _sort(decode_event(item, b"", index), out, item)
        return out
    _sort(decode_event(body, raw), out, None)
    return out


def _validate_whole(raw: bytes) -> list[SaleFact] | None:
    """One pass in pydantic-core for the common, valid case; None sends the record down the
    item-by-item path that names each problem."""
    try:
        if raw.startswith(b'{"type":"sales.batch"'):
            return list(SalesBatch.model_validate_json(raw).events)
        return [_event_adapter.validate_json(raw)]
    except ValidationError:
        return None


def validate_many(lines: Sequence[bytes]) -> list[SaleFact] | None:
    """Validate JSON-encoded events in one call; None when any is invalid."""
    try:
        return list(_events_adapter.validate_json(b"[" + b",".join(lines) + b"]"))
    except ValidationError:
        return None


def _sort(result: SaleFact | Reject, out: Decoded, item: object) -> None:
    if isinstance(result, Reject):
        if item is not None:
            result = Reject(
                result.reason, result.detail, orjson.dumps(item), result.index, result.errors
            )
        out.rejects.append(result)
    else:
        out.facts.append(result)


def encode_event(event: SaleFact) -> bytes:
    return event.model_dump_json().encode()


def encode_batch(events: Iterable[SaleFact]) -> bytes:
    return encode_batch_raw([e.model_dump_json().encode() for e in events])


def encode_batch_raw(encoded_events: Sequence[bytes]) -> bytes:
    """A `sales.batch` record from events already encoded as JSON objects."""
    body = b",".join(encoded_events)
    return b'{"type":"sales.batch","schema_version":1,"events":[' + body + b"]}"
