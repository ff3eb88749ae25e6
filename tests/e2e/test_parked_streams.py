"""Poison never stops the pipeline: an OKR event that cannot apply parks its stream (later
events wait behind it, in order; every other stream and the sales go on, the worker never
exits); `retry` after a repair and `skip` (recorded, shown to auditors) resume it. A sales
record that cannot apply is dead-lettered `apply_failed` and the batch goes on."""

from __future__ import annotations

import json

import asyncpg
import httpx

from domain.key_result.events import kr_stream
from infra.postgres.accounts import create_client
from tests.stack import (
    assert_projection_exact,
    dead_letters,
    define_quarter,
    eventually,
    hq_token,
    load_company,
    produce_singles,
    published_alerts,
    run_cli,
    simulated_facts,
    small_company,
    start_api,
)

SABOTAGE = (
    "INSERT INTO okr_adjustment (kr_id, request_id, status, current_target, proposed_target,"
    " reason, evidence, requested_by, requested_at)"
    " VALUES ($1, $2, 'requested', 1, 2, 'planted by the test', '[]', 'nobody', now())"
)


def _kr(kr_id: str) -> dict:
    return {
        "kr_id": kr_id,
        "title": f"{kr_id} visits converted 40%",
        "owner_person_id": "p-east",
        "owner_unit_id": "east",
        "kind": "increase",
        "unit": "%",
        "start": "10",
        "target": "40",
    }


async def test_a_poisoned_stream_parks_and_everything_else_flows(env):
    company = small_company()
    await load_company(env.settings, company)
    await define_quarter(env.settings)
    hq = await hq_token(env.settings)
    conn = await asyncpg.connect(env.settings.dsn)
    try:
        auditor = await create_client(conn, "aud", "auditor", "p-aud", "hq")
    finally:
        await conn.close()
    await start_api(env)
    env.spawn("relay", "relay")
    worker = env.worker()
    poisoned, healthy = kr_stream("kr-poisoned"), kr_stream("kr-healthy")

    conn = await asyncpg.connect(env.settings.dsn)

    async def position(stream: str) -> int:
        return await conn.fetchval(
            "SELECT coalesce(max(version), 0) FROM okr_stream_position WHERE stream_id = $1",
            stream,
        )

    async def stored(stream: str) -> int:
        return await conn.fetchval("SELECT count(*) FROM event_store WHERE stream_id = $1", stream)

    try:
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{env.settings.api_port}/v1",
            headers={"Authorization": f"Bearer {hq}"},
            timeout=30,
        ) as http:

            async def post(path: str, body: dict) -> None:
                answer = await http.post(path, json=body)
                assert answer.status_code in (200, 201), answer.text

            async def check_in(kr_id: str, value: str) -> None:
                body = {"summary": f"now at {value}", "progress_value": value, "blocker": "none"}
                await post(f"/okr/key-results/{kr_id}/check-ins", body)

            for kr_id in ("kr-poisoned", "kr-healthy"):
                await post("/okr/key-results", _kr(kr_id))
            await eventually(
                lambda: _all(position(s) for s in (poisoned, healthy)), 60, "both KRs projected"
            )

            # A read-model row altered by hand: the stream's next event violates its key.
            await conn.execute(SABOTAGE, "kr-poisoned", "r-1")
            request = {"request_id": "r-1", "proposed_target": "45", "reason": "new outlet"}
            await post("/okr/key-results/kr-poisoned/adjustments", request)
            await check_in("kr-poisoned", "20")  # waits behind the parked event
            await check_in("kr-healthy", "25")  # another stream: goes on
            facts = simulated_facts(company, 400, seed=11)
            await produce_singles(env.settings, facts)

            await eventually(lambda: _eq(position(healthy), stored(healthy)), 60, "healthy KR")
            await assert_projection_exact(env.settings, company, facts)  # sales flow on
            parked = await conn.fetchrow("SELECT * FROM okr_parked_stream")
            assert (parked["stream_id"], parked["version"]) == (poisoned, 2)
            assert parked["reason"] == "UniqueViolationError"
            assert await position(poisoned) == 1
            assert worker.poll() is None, "the worker kept running"

            listed = await run_cli(env, "projections", "parked", "--json")
            assert listed.returncode == 3, listed.stderr
            assert [
                (s["stream_id"], s["version"], s["waiting"])
                for s in json.loads(listed.stdout)["parked"]
            ] == [(poisoned, 2, 2)]
            still = await run_cli(env, "projections", "retry", poisoned)
            assert still.returncode == 1 and "parked again" in still.stderr

            # The repair, then retry: the waiting events apply in order.
            await conn.execute("DELETE FROM okr_adjustment WHERE reason = 'planted by the test'")
            retried = await run_cli(env, "projections", "retry", poisoned)
            assert retried.returncode == 0, retried.stderr
            assert retried.stdout.strip() == (
                f"{poisoned}: 2 event(s) applied; the stream is live again"
            )
            assert await position(poisoned) == await stored(poisoned) == 3
            assert (
                await conn.fetchval(
                    "SELECT proposed_target FROM okr_adjustment WHERE kr_id = 'kr-poisoned'"
                )
                == 45
            )
            assert (
                await conn.fetchval(
                    "SELECT progress_value FROM okr_check_in WHERE kr_id = 'kr-poisoned'"
                )
                == 20
            )
            await check_in("kr-poisoned", "22")  # live again
            await eventually(lambda: _eq(position(poisoned), stored(poisoned)), 60, "live again")

            # Skip: parked again elsewhere; the operator passes over the event, on the record.
            await conn.execute(SABOTAGE, "kr-healthy", "r-9")
            await post(
                "/okr/key-results/kr-healthy/adjustments",
                {"request_id": "r-9", "proposed_target": "50", "reason": "a second wave"},
            )
            await eventually(
                lambda: _exists(conn, "SELECT 1 FROM okr_parked_stream"), 60, "parked again"
            )
            await check_in("kr-healthy", "30")
            skipped = await run_cli(
                env,
                *("projections", "skip", healthy, "3"),
                *("--reason", "request r-9 was planted by a test", "--by", "ops:olga"),
            )
            assert skipped.returncode == 0, skipped.stderr
            assert await position(healthy) == await stored(healthy) == 4
            assert (
                await conn.fetchval(
                    "SELECT progress_value FROM okr_check_in WHERE kr_id = 'kr-healthy'"
                    " ORDER BY reported_at DESC LIMIT 1"
                )
                == 30
            )
            seen = await http.get(
                "/audit/projection-skips", headers={"Authorization": f"Bearer {auditor}"}
            )
            assert seen.status_code == 200, seen.text
            (skip,) = seen.json()
            assert (skip["stream_id"], skip["version"], skip["skipped_by"]) == (
                healthy,
                3,
                "ops:olga",
            )
            assert skip["event_type"] == "okr.kr.target_adjustment_requested"
            document = json.loads((await run_cli(env, "projections", "parked", "--json")).stdout)
            assert document["parked"] == [] and document["skipped"][0]["reason"] == skip["reason"]

        alerts = [
            a
            for a in await published_alerts(env.settings)
            if a["type"].startswith("alert.projection")
        ]
        assert sorted((a["stream_id"], a["version"]) for a in alerts) == [
            (healthy, 3),
            (poisoned, 2),
        ]
        assert worker.poll() is None
    finally:
        await conn.close()


async def test_a_sales_record_that_cannot_apply_is_dead_lettered(env):
    company = small_company()
    await load_company(env.settings, company)
    conn = await asyncpg.connect(env.settings.owner_dsn)  # schema work: the owner's
    try:
        # A deterministic apply failure for one customer's purchases only.
        await conn.execute(
            "ALTER TABLE sales_purchase ADD CONSTRAINT planted CHECK (customer_id <> 'c-poison')"
        )
    finally:
        await conn.close()
    facts = simulated_facts(company, 600, seed=5)
    sale = next(f for f in facts[300:] if f.type == "sales.sale_recorded")
    poison = sale.model_copy(update={"customer_id": "c-poison", "source_id": "poison-x"})
    worker = env.worker()
    await produce_singles(env.settings, [*facts[:300], poison, *facts[300:]])
    await assert_projection_exact(env.settings, company, facts)
    (letter,) = await dead_letters(env.settings, 1)
    headers = dict(letter.headers)
    assert headers["northstar.reason"] == b"apply_failed"
    assert b"planted" in headers["northstar.detail"]
    assert json.loads(letter.value)["source_id"] == "poison-x"
    assert worker.poll() is None


async def _all(values) -> bool:
    return all([await v for v in values])


async def _eq(a, b) -> bool:
    return (await a) == (await b)


async def _exists(conn: asyncpg.Connection, sql: str) -> bool:
    return bool(await conn.fetchval(sql))
