"""The edge producer: validated facts -> batched records on the sales topic, keyed so that one
customer's facts always land in the same partition (the per-customer metrics stay local)."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Sequence

from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import DefaultPartitioner

from domain.sales import SaleFact
from infra.kafka.codec import encode_batch_raw
from infra.kafka.connection import KafkaOptions

RECORD_BATCH_SIZE = 500


class SalesPublisher:
    def __init__(self, kafka: KafkaOptions, topic: str) -> None:
        self.topic = topic
        self.producer = AIOKafkaProducer(
            **kafka,
            acks="all",
            enable_idempotence=True,
            linger_ms=5,
            max_request_size=16 * 1024 * 1024,
            compression_type=None,
        )
        self._partitioner = DefaultPartitioner()
        self._partitions: list[int] = []
        self._partition_cache: dict[str, int] = {}

    async def start(self) -> None:
        await self.producer.start()
        partitions = await self.producer.partitions_for(self.topic)
        self._partitions = sorted(partitions)

    async def stop(self) -> None:
        await self.producer.stop()

    def partition_of(self, customer_id: str) -> int:
        """The partition Kafka's default partitioner picks for this customer id as key
        (murmur2 in pure Python costs ~3 µs, so each customer's answer is kept)."""
        partition = self._partition_cache.get(customer_id)
        if partition is None:
            if len(self._partition_cache) > 1_000_000:
                self._partition_cache.clear()
            partition = self._partitioner(customer_id.encode(), self._partitions, self._partitions)
            self._partition_cache[customer_id] = partition
        return partition

    async def publish(
        self, facts: Sequence[SaleFact], encoded: Sequence[bytes] | None = None
    ) -> int:
        """Send the facts as `sales.batch` records and wait until the broker has all of them.
        `encoded` (each fact's JSON, already validated) spares encoding them again."""
        for future in await self.send(facts, encoded):
            await future
        return len(facts)

    async def send(
        self, facts: Sequence[SaleFact], encoded: Sequence[bytes] | None = None
    ) -> list[asyncio.Future[object]]:
        """Hand the records to the producer; the futures complete when the broker has them."""
        if encoded is None:
            encoded = [fact.model_dump_json().encode() for fact in facts]
        by_partition: dict[int, list[tuple[SaleFact, bytes]]] = defaultdict(list)
        for fact, raw in zip(facts, encoded, strict=True):
            by_partition[self.partition_of(fact.customer_id)].append((fact, raw))
        futures = []
        for partition, group in by_partition.items():
            for start in range(0, len(group), RECORD_BATCH_SIZE):
                chunk = group[start : start + RECORD_BATCH_SIZE]
                futures.append(
                    await self.producer.send(
                        self.topic,
                        value=encode_batch_raw([raw for _, raw in chunk]),
                        key=chunk[0][0].customer_id.encode(),
                        partition=partition,
                    )
                )
        return futures

    async def publish_one(self, fact: SaleFact, value: bytes | None = None) -> None:
        """Send one fact as its own record (the plain Kafka-contract form), keyed by customer."""
        await self.producer.send_and_wait(
            self.topic,
            value=value or fact.model_dump_json().encode(),
            key=fact.customer_id.encode(),
        )
