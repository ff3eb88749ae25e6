"""Sales in through Kafka, HTTP and a file -> exact KR progress at every level of the org tree."""

from __future__ import annotations

import httpx

from tests.stack import (
    assert_projection_exact,
    load_company,
    produce_singles,
    run_cli,
    simulated_facts,
    small_company,
    start_api,
    write_jsonl,
)


async def _token(env, role: str) -> str:
    import asyncpg

    from infra.postgres.accounts import create_client

    conn = await asyncpg.connect(env.settings.dsn)
    try:
        return await create_client(conn, f"test-{role}", role)
    finally:
        await conn.close()


async def test_kafka_http_and_file_sales_project_exactly(env, tmp_path):
    company = small_company()
    await load_company(env.settings, company)
    facts = simulated_facts(company, 1500, seed=11)
    via_kafka, via_http, via_file = facts[:600], facts[600:1100], facts[1100:]
    duplicates = facts[:25] + facts[700:720]  # resent through another path: counted once

    env.worker()
    await start_api(env)
    ingest_token = await _token(env, "ingest")

    await produce_singles(env.settings, via_kafka)
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{env.settings.api_port}",
        headers={"Authorization": f"Bearer {ingest_token}"},
    ) as http:
        for start in range(0, len(via_http), 200):
            chunk = via_http[start : start + 200]
            reply = await http.post(
                "/v1/sales/batch",
                content=_batch(chunk),
                headers={"Content-Type": "application/json"},
            )
            assert reply.status_code == 202, reply.text
            assert reply.json() == {"accepted": len(chunk)}
        reply = await http.post(
            "/v1/sales/batch",
            content=_batch(duplicates[:25]),
            headers={"Content-Type": "application/json"},
        )
        assert reply.status_code == 202

    jsonl = write_jsonl(tmp_path / "sales.jsonl", via_file + duplicates[25:])
    done = await run_cli(env, "ingest", str(jsonl), "--quiet")
    assert done.returncode == 0, done.stderr
    assert f"sent {len(via_file) + 20} facts" in done.stdout

    await assert_projection_exact(env.settings, company, facts + duplicates)


def _batch(facts) -> bytes:
    return b'{"events":[' + b",".join(f.model_dump_json().encode() for f in facts) + b"]}"


async def test_csv_import_reports_bad_lines_and_sends_the_rest(env, tmp_path):
    company = small_company()
    await load_company(env.settings, company)
    header = (
        "type,source_system,source_id,occurred_at,rep_id,customer_id,sku,category,"
        "premium,channel,quantity,amount_minor\n"
    )
    good = (
        "sales.sale_recorded,crm,c-1,2026-11-16T02:00:00Z,rep-east-city1-1,cust-1,"
        "green-tea,tea,false,retail,10,3500\n"
    )
    bad = (
        "sales.sale_recorded,crm,c-2,2026-11-16T02:00:00Z,rep-east-city1-1,cust-1,"
        "green-tea,tea,false,retail,-3,3500\n"
    )
    csv_file = tmp_path / "sales.csv"
    csv_file.write_text(header + good + bad)
    done = await run_cli(env, "ingest", str(csv_file), "--quiet")
    assert done.returncode == 2
    assert "sales.csv:3: schema_invalid: quantity: Input should be greater than 0" in done.stderr
    assert "sent 1 facts" in done.stdout
    assert (tmp_path / "sales.csv.rejects.jsonl").read_text().count("\n") == 1
