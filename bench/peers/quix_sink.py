"""Peer (b): Quix Streams 3.x with a batching sink. Its built-in PostgreSQL sink replaces
values, so the sink is a custom `BatchingSink` that adds each checkpoint's batch to the
roll-ups; Quix commits offsets to Kafka after the sink flushed (at least once).

    python -m bench.peers.quix_sink DSN BOOTSTRAP TOPIC GROUP ZONE
"""

from __future__ import annotations

import asyncio
import sys
from zoneinfo import ZoneInfo

import asyncpg
from quixstreams import Application
from quixstreams.sinks import BatchingSink, SinkBatch

from bench.peers.rollup import TABLE, UPSERT, Chains, fold, load_chains, upsert_args


class RollupSink(BatchingSink):
    def __init__(self, dsn: str, zone: ZoneInfo) -> None:
        super().__init__()
        self.dsn, self.zone = dsn, zone
        self.loop = asyncio.new_event_loop()
        self.conn: asyncpg.Connection
        self.chains: Chains

    def setup(self) -> None:
        self.conn = self.loop.run_until_complete(asyncpg.connect(self.dsn))
        self.loop.run_until_complete(self.conn.execute(TABLE))
        self.chains = self.loop.run_until_complete(load_chains(self.conn))

    def write(self, batch: SinkBatch) -> None:
        buckets = fold((item.value for item in batch), self.chains, self.zone, {})
        self.loop.run_until_complete(self.conn.execute(UPSERT, *upsert_args(buckets)))


def main(dsn: str, bootstrap: str, topic: str, group: str, zone_name: str) -> None:
    app = Application(
        broker_address=bootstrap,
        consumer_group=group,
        auto_offset_reset="earliest",
        commit_interval=1.0,
        loglevel="WARNING",
    )
    sdf = app.dataframe(app.topic(topic, value_deserializer="json"))
    sdf = sdf.apply(
        lambda body: body["events"] if body.get("type") == "sales.batch" else [body], expand=True
    )
    sdf.sink(RollupSink(dsn, ZoneInfo(zone_name)))
    app.run()


if __name__ == "__main__":
    main(*sys.argv[1:6])
