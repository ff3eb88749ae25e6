"""Poison records go to the dead-letter topic with a reason and their bytes; the rest is exact;
the HTTP endpoint answers bad input with 4xx and field-level messages, never 5xx."""

from __future__ import annotations

import asyncpg
import httpx
import orjson
from aiokafka import AIOKafkaProducer

from infra.postgres.accounts import create_client
from tests.stack import (
    assert_projection_exact,
    dead_letters,
    load_company,
    produce_singles,
    simulated_facts,
    small_company,
    start_api,
)


def _sale(**overrides) -> dict:
    return {
        "type": "sales.sale_recorded",
        "source_system": "pos",
        "source_id": "poison-1",
        "occurred_at": "2026-11-16T02:00:00Z",
        "rep_id": "rep-east-city1-1",
        "customer_id": "c-1",
        "sku": "tea",
        "category": "tea",
        "premium": False,
        "channel": "retail",
        "quantity": 2,
        "amount_minor": 700,
        **overrides,
    }


POISON = {
    "not_json": b"{this is not json",
    "schema_invalid": orjson.dumps({k: v for k, v in _sale().items() if k != "customer_id"}),
    "unknown_type": orjson.dumps(_sale(type="sales.sale_teleported")),
    "negative_quantity": orjson.dumps(_sale(quantity=-4, source_id="poison-2")),
    "too_large": b'{"type":"sales.sale_recorded","blob":"' + b"x" * (10 * 1024 * 1024) + b'"}',
    "unknown_rep": orjson.dumps(_sale(rep_id="rep-nowhere", source_id="poison-3")),
}
EXPECTED_REASON = {"negative_quantity": "schema_invalid"}


async def test_poison_records_are_dead_lettered_and_the_rest_is_exact(env):
    company = small_company()
    await load_company(env.settings, company)
    facts = simulated_facts(company, 800, seed=5)
    env.worker()

    await produce_singles(env.settings, facts[:400])
    producer = AIOKafkaProducer(
        bootstrap_servers=env.settings.kafka_bootstrap, max_request_size=16 * 1024 * 1024
    )
    await producer.start()
    try:
        for raw in POISON.values():
            await producer.send_and_wait(env.settings.sales_topic, raw, key=b"c-1")
    finally:
        await producer.stop()
    await produce_singles(env.settings, facts[400:])

    letters = await dead_letters(env.settings, len(POISON))
    by_bytes = {m.value: dict(m.headers) for m in letters}
    assert len(letters) == len(POISON)
    for name, raw in POISON.items():
        headers = by_bytes[raw]
        assert headers["northstar.reason"].decode() == EXPECTED_REASON.get(name, name)
        assert headers["northstar.detail"]
        assert headers["northstar.source_topic"].decode() == env.settings.sales_topic
    negative = by_bytes[POISON["negative_quantity"]]
    assert b"quantity: Input should be greater than 0" in negative["northstar.detail"]
    await assert_projection_exact(env.settings, company, facts)


async def test_http_ingest_answers_bad_input_with_precise_4xx(env):
    company = small_company()
    await load_company(env.settings, company)
    conn = await asyncpg.connect(env.settings.dsn)
    try:
        ingest = await create_client(conn, "ingest-client", "ingest")
        reader = await create_client(conn, "reader-client", "reader")
    finally:
        await conn.close()
    await start_api(env)

    def body(*events) -> bytes:
        return orjson.dumps({"events": list(events)})

    cases = [
        (ingest, b"{not json", 400, None),
        (ingest, orjson.dumps({"rows": []}), 422, "events"),
        (ingest, body(), 422, "events"),
        (ingest, body(_sale(), _sale(quantity=-1)), 422, "events.1.quantity"),
        (ingest, body(_sale(occurred_at="2026-11-16T02:00:00")), 422, "events.0.occurred_at"),
        (ingest, body(_sale(amount_minor="lots")), 422, "events.0.amount_minor"),
        (ingest, body(_sale(type="sales.unknown")), 422, "events.0"),
        (ingest, body(_sale(extra_field=1)), 422, "events.0.extra_field"),
        (ingest, body(_sale(rep_id="rep-ghost")), 422, "events.0.rep_id"),
        (ingest, b'{"events":["' + b"x" * (10 * 1024 * 1024) + b'"]}', 413, None),
        (None, body(_sale()), 401, None),
        ("ns_wrong", body(_sale()), 401, None),
        (reader, body(_sale()), 403, None),
    ]
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{env.settings.api_port}", timeout=30
    ) as http:
        for token, content, status, field in cases:
            headers = {"Content-Type": "application/json"}
            if token:
                headers["Authorization"] = f"Bearer {token}"
            reply = await http.post("/v1/sales/batch", content=content, headers=headers)
            assert reply.status_code == status, (content[:80], reply.text)
            assert reply.headers["content-type"] == "application/problem+json"
            if field:
                assert field in [e["field"] for e in reply.json()["errors"]], reply.text
        reply = await http.get(
            "/v1/key-results/kr-hq-revenue", headers={"Authorization": f"Bearer {reader}"}
        )
        assert reply.status_code == 200
        assert reply.json()["actual"] == "0"
        # No sales yet: the health floor for a KR without updates applies, whatever the date.
        assert reply.json()["health"] in ("amber", "red")
        assert "no update for 14 days" in reply.json()["health_reasons"]
        missing = await http.get(
            "/v1/key-results/kr-nope", headers={"Authorization": f"Bearer {reader}"}
        )
        assert missing.status_code == 404
