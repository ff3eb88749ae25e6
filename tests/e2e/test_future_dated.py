"""No fact from the future (docs/reference/sales-contract.md): a sale dated more than
NORTHSTAR_SALES_FUTURE_TOLERANCE_S after it arrived is refused at the HTTP edge (422 naming
`events.N.occurred_at`, nothing of the batch accepted) and dead-lettered `future_dated` from
Kafka (the record alone, or the batch item with `#<index>`); one within the tolerance counts.
The business clock and every KR's "as of" never run ahead of the latest fact that counted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import orjson
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from domain.sales import SaleFact
from infra.kafka.codec import encode_batch_raw
from infra.kafka.topics import ensure_topics
from infra.postgres.accounts import create_client
from tests.stack import (
    assert_projection_exact,
    dead_letters,
    load_company,
    produce_raw,
    produce_singles,
    simulated_facts,
    small_company,
    start_api,
)

TOLERANCE_S = 300  # the documented default, set explicitly (tests script time ahead otherwise)


def dated(fact: SaleFact, source_id: str, occurred_at: datetime) -> SaleFact:
    return fact.model_copy(update={"source_id": source_id, "occurred_at": occurred_at})


async def test_facts_dated_after_their_arrival_are_refused_and_the_clock_stays(env):
    env.environ_extra["NORTHSTAR_SALES_FUTURE_TOLERANCE_S"] = str(TOLERANCE_S)
    company = small_company()
    await load_company(env.settings, company)
    env.worker()
    base = await start_api(env)
    now = datetime.now(UTC)
    template = simulated_facts(company, 60, seed=25)
    past = [
        dated(f, f"past-{n}", now - timedelta(hours=2, minutes=-n)) for n, f in enumerate(template)
    ]
    within = dated(template[0], "within-tolerance", now + timedelta(seconds=60))
    a_year_ahead = dated(template[1], "a-year-ahead", now + timedelta(days=365))
    in_a_batch = dated(template[2], "ahead-in-a-batch", now + timedelta(days=3))

    conn = await asyncpg.connect(env.settings.dsn)
    try:
        token = await create_client(conn, "future-ingest", "ingest")
    finally:
        await conn.close()
    async with httpx.AsyncClient(
        base_url=base, headers={"Authorization": f"Bearer {token}"}
    ) as http:
        body = b'{"events":[' + past[0].model_dump_json().encode() + b","
        body += a_year_ahead.model_dump_json().encode() + b"]}"
        reply = await http.post(
            "/v1/sales/batch", content=body, headers={"Content-Type": "application/json"}
        )
    assert reply.status_code == 422, reply.text
    (error,) = reply.json()["errors"]
    assert error["field"] == "events.1.occurred_at"
    assert "more than 5 minutes after the fact arrived" in error["message"]

    await produce_singles(env.settings, [*past[:40], within])
    await produce_raw(env.settings, a_year_ahead.model_dump_json().encode())
    batch = [past[40], in_a_batch, past[41]]
    await produce_raw(env.settings, encode_batch_raw([f.model_dump_json().encode() for f in batch]))
    counted = [*past[:42], within]
    await assert_projection_exact(env.settings, company, counted)

    letters = await dead_letters(env.settings, 2)
    by_id = {dict(m.headers)["northstar.dead_letter_id"].decode(): m for m in letters}
    assert len(by_id) == 2
    for letter in letters:
        assert dict(letter.headers)["northstar.reason"] == b"future_dated"
    (single,) = [m for i, m in by_id.items() if "#" not in i]
    (item,) = [m for i, m in by_id.items() if "#" in i]
    assert single.value == a_year_ahead.model_dump_json().encode()  # the original bytes
    assert next(i for i in by_id if "#" in i).endswith("#1")
    assert orjson.loads(item.value)["source_id"] == "ahead-in-a-batch"
    assert b"occurred_at" in dict(item.headers)["northstar.detail"]

    latest_counted = max(f.occurred_at for f in counted)
    conn = await asyncpg.connect(env.settings.dsn)
    try:
        clock = await conn.fetchval("SELECT max(business_time) FROM sales_clock")
        as_of = await conn.fetchval("SELECT max(as_of) FROM kr_progress")
    finally:
        await conn.close()
    assert clock == latest_counted, (clock, latest_counted)
    # every KR's "as of" follows that clock (a KR whose window holds today moves with it)
    windows_hold_today = any(
        kr.window_start <= now.date() <= kr.window_end for kr in company.key_results
    )
    assert (as_of is not None) == windows_hold_today
    assert as_of is None or as_of <= latest_counted


async def test_services_start_puts_an_older_sales_topic_on_broker_time(env):
    """A sales topic made before the rule (producer time) is set to the broker's append time
    by `ensure_topics`, which `northstar services start` runs."""
    topic = ConfigResource(ConfigResourceType.TOPIC, env.settings.sales_topic)
    admin = AIOKafkaAdminClient(bootstrap_servers=env.settings.kafka_bootstrap)
    await admin.start()
    try:

        async def timestamp_type() -> str:
            (described,) = await admin.describe_configs([topic])
            return dict((e[0], e[1]) for e in described.resources[0][4])["message.timestamp.type"]

        assert await timestamp_type() == "LogAppendTime"  # made now: by the spec
        older = {"message.timestamp.type": "CreateTime", "retention.ms": "-1"}
        await admin.alter_configs(
            [ConfigResource(ConfigResourceType.TOPIC, env.settings.sales_topic, older)]
        )
        assert await timestamp_type() == "CreateTime"
        await ensure_topics(env.settings)
        assert await timestamp_type() == "LogAppendTime"
    finally:
        await admin.close()
