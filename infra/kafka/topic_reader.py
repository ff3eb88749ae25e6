"""Reading a whole topic from the beginning to its current end (committed records only), its
end offsets, and how many committed records lie ahead of a consumer's position; `kafka`: the
clients' options (`infra.kafka.connection.kafka_options`)."""

from __future__ import annotations

import time

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from infra.kafka.connection import KafkaOptions


async def read_topic(kafka: KafkaOptions, topic: str, partition_count: int) -> list[bytes]:
    """Every committed record value of `topic` (created with `partition_count` partitions, as
    `infra.kafka.topics` does) up to the end offsets seen at the start."""
    return [record.value for record in await read_records(kafka, topic, partition_count)]


async def read_records(
    kafka: KafkaOptions, topic: str, partition_count: int
) -> list[ConsumerRecord[bytes, bytes]]:
    """Every committed record of `topic` (value, key, headers, timestamp, position) up to the
    end offsets seen at the start."""
    consumer = AIOKafkaConsumer(
        **kafka,
        isolation_level="read_committed",
        enable_auto_commit=False,
        max_partition_fetch_bytes=8 * 1024 * 1024,
    )
    await consumer.start()
    records: list[ConsumerRecord[bytes, bytes]] = []
    try:
        partitions = [TopicPartition(topic, p) for p in range(partition_count)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        while any([await consumer.position(tp) < end for tp, end in ends.items()]):
            for messages in (await consumer.getmany(timeout_ms=500, max_records=5000)).values():
                for message in messages:
                    if message.offset < ends[TopicPartition(message.topic, message.partition)]:
                        records.append(message)
    finally:
        await consumer.stop()
    return records


async def end_offsets(
    kafka: KafkaOptions, partitions_of: dict[str, int]
) -> dict[TopicPartition, int]:
    """Each partition's end offset (the next offset a record would get), committed or not, of
    every topic of `partitions_of` (topic -> its partition count), asked in one request."""
    consumer = AIOKafkaConsumer(**kafka, enable_auto_commit=False)
    await consumer.start()
    try:
        return await consumer.end_offsets(
            [TopicPartition(t, p) for t, count in partitions_of.items() for p in range(count)]
        )
    finally:
        await consumer.stop()


async def records_between(
    kafka: KafkaOptions,
    gaps: dict[TopicPartition, tuple[int, int]],
    limit: int = 10_000,
    within_s: float = 2.0,
) -> dict[TopicPartition, int]:
    """For each partition's (position, end): the committed records from `position` up to `end`,
    which `end - position` overstates on a transactional topic by one commit marker per
    transaction (a caught-up consumer of the relay's topics sits just before one). Gaps larger
    than `limit`, or not read through within `within_s`, are given as `end - position`."""
    found = {tp: end - position for tp, (position, end) in gaps.items()}
    small = {tp: gap for tp, gap in gaps.items() if 0 < gap[1] - gap[0] <= limit}
    if not small:
        return found
    consumer = AIOKafkaConsumer(**kafka, isolation_level="read_committed", enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(list(small))
        for tp, (position, _) in small.items():
            consumer.seek(tp, position)
        counted = dict.fromkeys(small, 0)
        reading = set(small)
        deadline = time.monotonic() + within_s
        while reading and time.monotonic() < deadline:
            for tp, messages in (await consumer.getmany(*reading, timeout_ms=100)).items():
                counted[tp] += sum(1 for m in messages if m.offset < small[tp][1])
            reading = {tp for tp in reading if await consumer.position(tp) < small[tp][1]}
        found.update({tp: counted[tp] for tp in small if tp not in reading})
    finally:
        await consumer.stop()
    return found
