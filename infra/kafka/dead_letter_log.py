"""The sales dead-letter topic as operators use it: each record the pipeline could not accept,
with its reason, and replay — the original bytes published to the sales topic again once the
cause is fixed (the projection counts a fact once by its source id, so replaying twice, or
replaying a record that was counted after all, changes nothing)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from aiokafka import AIOKafkaProducer, ConsumerRecord

from infra.kafka.connection import KafkaOptions
from infra.kafka.topic_reader import read_records

REPLAYED_FROM = "northstar.replayed_from"  # header of a replayed record: the dead letter's id


@dataclass(frozen=True)
class DeadLetter:
    dead_letter_id: str
    reason: str
    detail: str
    source_topic: str
    source_partition: int
    source_offset: int
    dead_lettered_at: datetime
    value: bytes

    def summary(self) -> dict[str, object]:
        """Everything but the bytes, as `northstar dead-letters list --format json` shows it."""
        return {
            "dead_letter_id": self.dead_letter_id,
            "reason": self.reason,
            "detail": self.detail,
            "source": f"{self.source_topic}/{self.source_partition}/{self.source_offset}",
            "dead_lettered_at": self.dead_lettered_at.isoformat(),
            "bytes": len(self.value),
        }


def _dead_letter(record: ConsumerRecord[bytes, bytes]) -> DeadLetter:
    headers = {name: value.decode(errors="replace") for name, value in record.headers}
    return DeadLetter(
        dead_letter_id=headers.get("northstar.dead_letter_id", f"dlq/{record.offset}"),
        reason=headers.get("northstar.reason", ""),
        detail=headers.get("northstar.detail", ""),
        source_topic=headers.get("northstar.source_topic", ""),
        source_partition=int(headers.get("northstar.source_partition", "-1")),
        source_offset=int(headers.get("northstar.source_offset", "-1")),
        dead_lettered_at=datetime.fromtimestamp(record.timestamp / 1000, UTC),
        value=record.value or b"",
    )


async def read_dead_letters(kafka: KafkaOptions, topic: str) -> list[DeadLetter]:
    """Every dead letter on the topic, oldest first; one per id (a worker that crashed after
    publishing may publish the same dead letter again)."""
    seen: dict[str, DeadLetter] = {}
    for record in await read_records(kafka, topic, 1):
        letter = _dead_letter(record)
        seen.setdefault(letter.dead_letter_id, letter)
    return list(seen.values())


def chosen(
    letters: Iterable[DeadLetter],
    reasons: Sequence[str] = (),
    since: datetime | None = None,
    ids: Sequence[str] = (),
) -> list[DeadLetter]:
    """The dead letters with one of `reasons`, dead-lettered at or after `since`, among `ids`
    (an empty filter keeps everything)."""
    return [
        letter
        for letter in letters
        if (not reasons or letter.reason in reasons)
        and (since is None or letter.dead_lettered_at >= since)
        and (not ids or letter.dead_letter_id in ids)
    ]


def _customer_key(value: bytes) -> bytes | None:
    """The record's key as producers send it (the customer id), when the value names one."""
    try:
        document = json.loads(value)
    except ValueError:
        return None
    customer = document.get("customer_id") if isinstance(document, dict) else None
    return str(customer).encode() if customer else None


async def replay(
    kafka: KafkaOptions,
    sales_topic: str,
    letters: Sequence[DeadLetter],
    advance: Callable[[int], object] = lambda _n: None,
) -> int:
    """Publish each dead letter's original bytes to the sales topic (keyed by customer, with
    the dead letter's id in a header) and wait until the broker has them all."""
    producer = AIOKafkaProducer(
        **kafka,
        acks="all",
        enable_idempotence=True,
        max_request_size=16 * 1024 * 1024,
    )
    await producer.start()
    try:
        futures = []
        for letter in letters:
            futures.append(
                await producer.send(
                    sales_topic,
                    value=letter.value,
                    key=_customer_key(letter.value),
                    headers=[(REPLAYED_FROM, letter.dead_letter_id.encode())],
                )
            )
        for future in futures:
            await future
            advance(1)
    finally:
        await producer.stop()
    return len(futures)
