"""Who may read which goal, over the API, on the seeded company: each person their own goals
and the objectives (with their KRs) their goals align to up to the north star; managers their
subtree; HQ and auditors everything. Every refusal is a 403 and is logged."""

from __future__ import annotations

import asyncpg
import httpx
import pytest

from infra.postgres.accounts import create_client
from tests.stack import ARTIFACTS, live_okr_company, start_api

PEOPLE = {
    "rep-sh": ("rep", "p-rep-shanghai-01", "rep-shanghai-01"),
    "mgr-sh": ("manager", "p-mgr-shanghai", "shanghai"),
    "mgr-hz": ("manager", "p-mgr-hangzhou", "hangzhou"),
    "mgr-east": ("manager", "p-mgr-east", "east"),
    "hq": ("hq_admin", "p-mgr-hq", "hq"),
    "auditor": ("auditor", "p-audit", "hq"),
}
KRS = {
    "own": "kr-rep-shanghai-01-premium-revenue",
    "sibling": "kr-rep-shanghai-02-premium-revenue",
    "other-city": "kr-rep-hangzhou-01-premium-revenue",
    "my-city": "kr-shanghai-premium-share",
    "north-star": "kr-hq-repeat-buyers",
    "other-region": "kr-beijing-collection",
}
OBJECTIVES = {
    "own": "o-rep-shanghai-01",
    "my-city": "o-shanghai",
    "my-region": "o-east",
    "north-star": "o-hq",
    "other-city": "o-hangzhou",
    "other-region": "o-north",
}
# who may read what (the rest is refused)
ALLOWED_KRS = {
    "rep-sh": {"own", "my-city", "north-star"},
    "mgr-sh": {"own", "sibling", "my-city", "north-star"},
    "mgr-hz": {"other-city", "north-star"},
    "mgr-east": {"own", "sibling", "other-city", "my-city", "north-star"},
    "hq": set(KRS),
    "auditor": set(KRS),
}
ALLOWED_OBJECTIVES = {
    "rep-sh": {"own", "my-city", "my-region", "north-star"},
    "mgr-sh": {"own", "my-city", "my-region", "north-star"},
    "mgr-hz": {"my-region", "north-star", "other-city"},
    "mgr-east": {"own", "my-city", "my-region", "north-star", "other-city"},
    "hq": set(OBJECTIVES),
    "auditor": set(OBJECTIVES),
}


@pytest.fixture
async def api_with_people(env, tmp_path):
    await live_okr_company(env, tmp_path, adjustments=10)
    conn = await asyncpg.connect(env.settings.dsn)
    try:
        tokens = {
            who: await create_client(conn, who, role, person, unit)
            for who, (role, person, unit) in PEOPLE.items()
        }
    finally:
        await conn.close()
    return await start_api(env), tokens


async def test_every_person_reads_exactly_their_scope(env, api_with_people):
    base, tokens = api_with_people
    async with httpx.AsyncClient(base_url=f"{base}/v1/okr", timeout=30) as http:
        for who, token in tokens.items():
            auth = {"Authorization": f"Bearer {token}"}
            for name, kr_id in KRS.items():
                for path in (f"/key-results/{kr_id}", f"/key-results/{kr_id}/events"):
                    reply = await http.get(path, headers=auth)
                    want = 200 if name in ALLOWED_KRS[who] else 403
                    assert reply.status_code == want, (who, path, reply.text)
            for name, objective_id in OBJECTIVES.items():
                for path in (
                    f"/objectives/{objective_id}/progress",
                    f"/objectives/{objective_id}/chain",
                ):
                    reply = await http.get(path, headers=auth)
                    want = 200 if name in ALLOWED_OBJECTIVES[who] else 403
                    assert reply.status_code == want, (who, path, reply.text)
            listed = {
                o["objective_id"] for o in (await http.get("/objectives", headers=auth)).json()
            }
            expected = {OBJECTIVES[n] for n in ALLOWED_OBJECTIVES[who]}
            assert expected <= listed, who
            assert not ({OBJECTIVES[n] for n in OBJECTIVES} - expected) & listed, who
        refused = await http.get(
            f"/key-results/{KRS['sibling']}",
            headers={"Authorization": f"Bearer {tokens['rep-sh']}"},
        )
        assert "outside p-rep-shanghai-01's scope" in refused.json()["detail"]
    api_log = (ARTIFACTS / env.name / "api.log").read_text()
    denial = next(
        line
        for line in api_log.splitlines()
        if "access_denied" in line and KRS["sibling"] in line and "p-rep-shanghai-01" in line
    )
    assert "outside p-rep-shanghai-01's scope" in denial  # who, what and why


async def test_the_alert_stream_carries_only_alerts_in_the_persons_scope(env):
    from tests.stack import (
        load_company,
        produce_singles,
        read_sse,
        simulated_facts,
        small_company,
        wait_caught_up,
    )

    company = small_company()
    await load_company(env.settings, company)
    conn = await asyncpg.connect(env.settings.dsn)
    try:
        rep = await create_client(conn, "rep", "rep", "p-r1", "rep-east-city1-1")
        hq = await create_client(conn, "hq", "hq_admin", "p-hq", "hq")
    finally:
        await conn.close()
    env.worker()
    await produce_singles(env.settings, simulated_facts(company, 600, seed=5))
    await wait_caught_up(env.settings)
    base = await start_api(env)
    received: dict[str, set[str]] = {}
    async with httpx.AsyncClient(base_url=base, timeout=None) as http:
        for who, token in (("rep", rep), ("hq", hq)):
            async with http.stream(
                "GET",
                "/v1/alerts/stream",
                params={"since": "2000-01-01T00:00:00Z"},
                headers={"Authorization": f"Bearer {token}"},
            ) as stream:
                events = await read_sse(stream, want=1000, timeout=5)
            received[who] = {e["data"]["kr_id"] for e in events}
    assert received["rep"] == {"kr-rep-east-city1-1-revenue"}
    assert len(received["hq"]) == len(company.key_results)
