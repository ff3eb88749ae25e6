"""Peer (a): a batched aiokafka + asyncpg consumer, its offsets in PostgreSQL in the same
transaction as the roll-ups (exactly once in effect), in a consumer group so that several
processes share the partitions.

    python -m bench.peers.handrolled DSN BOOTSTRAP TOPIC GROUP ZONE
"""

from __future__ import annotations

import asyncio
import sys
from zoneinfo import ZoneInfo

import asyncpg
from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition

from bench.peers.rollup import TABLE, UPSERT, events_of, fold, load_chains, upsert_args


class SeekToStored(ConsumerRebalanceListener):
    def __init__(self, consumer: AIOKafkaConsumer, conn: asyncpg.Connection) -> None:
        self.consumer, self.conn = consumer, conn

    async def on_partitions_revoked(self, revoked: object) -> None:
        pass

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        for tp in assigned:
            stored = await self.conn.fetchval(
                "SELECT next_offset FROM peer_offset WHERE topic = $1 AND partition = $2",
                tp.topic,
                tp.partition,
            )
            if stored is None:
                await self.consumer.seek_to_beginning(tp)
            else:
                self.consumer.seek(tp, stored)


async def run(dsn: str, bootstrap: str, topic: str, group: str, zone_name: str) -> None:
    zone = ZoneInfo(zone_name)
    conn = await asyncpg.connect(dsn)
    await conn.execute(TABLE)
    chains = await load_chains(conn)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_partition_fetch_bytes=8 * 1024 * 1024,
    )
    # The listener runs in the consumer's own task, beside a batch's transaction.
    consumer.subscribe([topic], listener=SeekToStored(consumer, await asyncpg.connect(dsn)))
    await consumer.start()
    try:
        while True:
            batch = await consumer.getmany(timeout_ms=200, max_records=100)
            if not batch:
                continue
            async with conn.transaction():
                # A rebalance may have handed a partition on and back since this batch was
                # fetched: records below the stored offset were applied already.
                stored = {
                    r["partition"]: r["next_offset"]
                    for r in await conn.fetch(
                        "SELECT partition, next_offset FROM peer_offset"
                        " WHERE topic = $1 AND partition = ANY($2::int[]) FOR UPDATE",
                        topic,
                        [tp.partition for tp in batch],
                    )
                }
                fresh = {
                    tp.partition: [m for m in messages if m.offset >= stored.get(tp.partition, 0)]
                    for tp, messages in batch.items()
                }
                fresh = {p: messages for p, messages in fresh.items() if messages}
                if not fresh:
                    continue
                buckets: dict = {}
                for messages in fresh.values():
                    fold((e for m in messages for e in events_of(m.value)), chains, zone, buckets)
                await conn.execute(UPSERT, *upsert_args(buckets))
                await conn.execute(
                    "INSERT INTO peer_offset SELECT $1, p, o FROM unnest($2::int[], $3::bigint[])"
                    " AS n (p, o) ON CONFLICT (topic, partition) DO UPDATE SET"
                    " next_offset = excluded.next_offset",
                    topic,
                    list(fresh),
                    [messages[-1].offset + 1 for messages in fresh.values()],
                )
    finally:
        await consumer.stop()
        await conn.close()


if __name__ == "__main__":
    asyncio.run(run(*sys.argv[1:6]))
