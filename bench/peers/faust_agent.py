"""Peer (c): the per-event Faust agent a tutorial would write: one upsert per fact and unit,
Faust committing offsets after the events were processed (at least once).

    python -m bench.peers.faust_agent DSN BOOTSTRAP TOPIC GROUP ZONE
"""

from __future__ import annotations

import sys
from zoneinfo import ZoneInfo

import asyncpg
import faust

from bench.peers.rollup import TABLE, UPSERT, fold, load_chains

dsn, bootstrap, topic_name, group, zone_name = sys.argv[1:6]
zone = ZoneInfo(zone_name)
app = faust.App(group, broker=f"kafka://{bootstrap}", web_enabled=False, topic_partitions=4)
sales = app.topic(topic_name, value_serializer="json")
state: dict = {}


async def connect() -> None:
    state["pool"] = await asyncpg.create_pool(dsn, min_size=1, max_size=2)
    async with state["pool"].acquire() as conn:
        await conn.execute(TABLE)
        state["chains"] = await load_chains(conn)


@app.agent(sales)
async def roll_up(stream: faust.Stream) -> None:
    if "pool" not in state:
        await connect()
    async for body in stream:
        events = body["events"] if body.get("type") == "sales.batch" else [body]
        for event in events:
            for key, sums in fold([event], state["chains"], zone, {}).items():
                async with state["pool"].acquire() as conn:
                    await conn.execute(UPSERT, *[[v] for v in (*key, *sums)])


if __name__ == "__main__":
    sys.argv = [sys.argv[0], "worker", "--loglevel", "warn"]
    app.main()
