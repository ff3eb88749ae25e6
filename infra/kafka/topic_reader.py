"""Reading a whole topic from the beginning to its current end (committed records only), and
its end offsets; `kafka`: the clients' options (`infra.kafka.connection.kafka_options`)."""

from __future__ import annotations

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


async def end_offsets(kafka: KafkaOptions, topic: str, partition_count: int) -> dict[int, int]:
    """Each partition's end offset (the next offset a record would get), committed or not."""
    consumer = AIOKafkaConsumer(**kafka, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in range(partition_count)]
        ends = await consumer.end_offsets(partitions)
    finally:
        await consumer.stop()
    return {tp.partition: end for tp, end in ends.items()}
