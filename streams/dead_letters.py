"""Publishes records that cannot be accepted, with their original bytes and the reason."""

from __future__ import annotations

from aiokafka import AIOKafkaProducer

from infra import metrics
from infra.kafka.codec import Reject
from infra.kafka.connection import KafkaOptions


def dead_letter_id(topic: str, partition: int, offset: int, index: int | None) -> str:
    """Deterministic id: a record dead-lettered again after a crash is recognisably the same."""
    suffix = "" if index is None else f"#{index}"
    return f"{topic}/{partition}/{offset}{suffix}"


def dead_letter_headers(
    reject: Reject, topic: str, partition: int, offset: int
) -> list[tuple[str, bytes]]:
    return [
        (
            "northstar.dead_letter_id",
            dead_letter_id(topic, partition, offset, reject.index).encode(),
        ),
        ("northstar.reason", reject.reason.encode()),
        ("northstar.detail", reject.detail[:4000].encode()),
        ("northstar.source_topic", topic.encode()),
        ("northstar.source_partition", str(partition).encode()),
        ("northstar.source_offset", str(offset).encode()),
    ]


class DeadLetterPublisher:
    """Owns an idempotent producer, started on first use inside the worker's event loop."""

    def __init__(self, kafka: KafkaOptions, topic: str) -> None:
        self.kafka = kafka
        self.topic = topic
        self._producer: AIOKafkaProducer | None = None

    async def _started(self) -> AIOKafkaProducer:
        if self._producer is None:
            producer = AIOKafkaProducer(
                **self.kafka,
                acks="all",
                enable_idempotence=True,
                max_request_size=16 * 1024 * 1024,
            )
            await producer.start()
            self._producer = producer
        return self._producer

    async def publish(self, rejects: list[tuple[Reject, str, int, int]]) -> None:
        """Send every reject and wait until the broker has them all."""
        producer = await self._started()
        for reject, *_ in rejects:
            metrics.DEAD_LETTERS.labels(reason=reject.reason).inc()
        futures = [
            await producer.send(
                self.topic,
                value=reject.original,
                key=dead_letter_id(topic, partition, offset, reject.index).encode(),
                headers=dead_letter_headers(reject, topic, partition, offset),
            )
            for reject, topic, partition, offset in rejects
        ]
        for future in futures:
            await future

    async def stop(self) -> None:
        """Close the producer, if it was started (it flushes what it holds first)."""
        if self._producer is not None:
            producer, self._producer = self._producer, None
            await producer.stop()
