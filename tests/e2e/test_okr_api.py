"""The KR target-adjustment workflow over HTTP, with people's tokens and precise refusals."""

from __future__ import annotations

import asyncpg
import httpx

from infra.postgres.accounts import create_client
from tests.stack import load_company, small_company, start_api

PEOPLE = {
    "hq": ("hq_admin", "p-hq", "hq"),
    "rep": ("rep", "p-rep", "rep-east-city1-1"),
    "city": ("manager", "p-city", "east-city1"),
    "other_city": ("manager", "p-city-2", "east-city2"),
    "auditor": ("auditor", "p-audit", "hq"),
}
DEFINE = {
    "kr_id": "kr-rep-q4",
    "title": "Q4 revenue 500k",
    "owner_person_id": "p-rep",
    "owner_unit_id": "rep-east-city1-1",
    "kind": "increase",
    "unit": "CNY",
    "start": "0",
    "target": "500000",
}


async def test_adjustment_workflow_over_http(env):
    await load_company(env.settings, small_company())
    conn = await asyncpg.connect(env.settings.dsn)
    try:
        tokens = {
            who: await create_client(conn, who, role, person, unit)
            for who, (role, person, unit) in PEOPLE.items()
        }
        reader = await create_client(conn, "reader", "reader")
    finally:
        await conn.close()
    await start_api(env)

    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{env.settings.api_port}/v1/okr", timeout=30
    ) as http:

        async def post(who, path, body=None, key=None):
            headers = {"Authorization": f"Bearer {tokens.get(who, reader)}"}
            if key:
                headers["Idempotency-Key"] = key
            return await http.post(path, json=body or {}, headers=headers)

        adj = "/key-results/kr-rep-q4/adjustments"
        assert (await post("rep", "/key-results", DEFINE)).status_code == 403
        created = await post("hq", "/key-results", DEFINE, key="define-1")
        assert created.status_code == 201, created.text
        assert created.json()["hints"] == []
        again = await post("hq", "/key-results", DEFINE, key="define-1")
        assert again.json() == {**created.json(), "replayed": True}
        activity = await post(
            "hq", "/key-results", {**DEFINE, "kr_id": "kr-visits", "title": "完成5次客户拜访"}
        )
        assert [h["code"] for h in activity.json()["hints"]] == ["kr_is_activity"]
        typed = await http.get(
            "/hints",
            params={"title": "Improve premium share"},
            headers={"Authorization": f"Bearer {tokens['rep']}"},
        )
        assert [h["code"] for h in typed.json()] == ["kr_without_number"]
        assert (await post("hq", "/key-results", DEFINE)).status_code == 409

        missing = await post("rep", adj, {"request_id": "adj-1"})
        assert missing.status_code == 422
        assert {e["field"] for e in missing.json()["errors"]} >= {
            "body.proposed_target",
            "body.reason",
        }
        unknown = await post(
            "rep",
            "/key-results/kr-nope/adjustments",
            {"request_id": "a", "proposed_target": "1", "reason": "why not"},
        )
        assert unknown.status_code == 404
        asked = await post(
            "rep",
            adj,
            {
                "request_id": "adj-1",
                "proposed_target": "450000",
                "reason": "flagship store closed for renovation",
                "evidence": ["crm://visit/991"],
            },
        )
        assert asked.status_code == 201, asked.text

        own = await post("rep", f"{adj}/adj-1/approve")
        assert own.status_code == 403
        assert "their own adjustment request" in own.json()["detail"]
        assert (
            await post("auditor", f"{adj}/adj-1/reject", {"reason": "not now"})
        ).status_code == 403
        assert (await post("other_city", f"{adj}/adj-1/approve")).status_code == 403
        assert (await post("reader", f"{adj}/adj-1/approve")).status_code == 403
        assert (await post("city", f"{adj}/adj-1/apply")).status_code == 409
        assert (await post("city", f"{adj}/adj-1/approve", {"note": "ok"})).status_code == 200
        assert (await post("hq", f"{adj}/adj-1/reject", {"reason": "late"})).status_code == 409
        applied = await post("city", f"{adj}/adj-1/apply")
        assert applied.status_code == 200 and applied.json()["last_version"] == 4

        three = await post("rep", "/key-results/kr-rep-q4/check-ins", {"summary": "slow week"})
        assert {e["field"] for e in three.json()["errors"]} == {
            "body.progress_value",
            "body.blocker",
        }
        checked = await post(
            "rep",
            "/key-results/kr-rep-q4/check-ins",
            {"summary": "slow week", "progress_value": "120000", "blocker": "out of stock"},
        )
        assert checked.status_code == 201, checked.text
        raised = await post(
            "rep",
            "/key-results/kr-rep-q4/blocker/escalate",
            {"to_unit_id": "east", "note": "need stock"},
        )
        assert raised.status_code == 201, raised.text

        timings = await http.get(
            "/key-results/kr-rep-q4/adjustments",
            headers={"Authorization": f"Bearer {tokens['auditor']}"},
        )
        history = await http.get(
            "/key-results/kr-rep-q4/events",
            headers={"Authorization": f"Bearer {tokens['auditor']}"},
        )
    assert [(e["type"], e["actor"]) for e in history.json()] == [
        ("okr.kr.defined", "p-hq"),
        ("okr.kr.target_adjustment_requested", "p-rep"),
        ("okr.kr.target_adjustment_approved", "p-city"),
        ("okr.kr.target_adjustment_applied", "p-city"),
        ("okr.kr.check_in_recorded", "p-rep"),
        ("okr.kr.blocker_escalated", "p-rep"),
    ]
    assert [(t["request_id"], t["decision"]) for t in timings.json()] == [("adj-1", "approved")]
    assert timings.json()[0]["hours_to_applied"] >= timings.json()[0]["hours_to_decision"] >= 0
    assert history.json()[3]["payload"] == {
        "request_id": "adj-1",
        "previous_target": "500000",
        "new_target": "450000",
    }


async def test_every_okr_command_names_missing_and_unknown_fields(env):
    """Walks the OpenAPI document: every command endpoint answers 422 naming each missing
    required field and any unknown one; with nothing required, unknown ids answer 404."""
    await load_company(env.settings, small_company())
    conn = await asyncpg.connect(env.settings.dsn)
    try:
        token = await create_client(conn, "hq", "hq_admin", "p-hq", "hq")
    finally:
        await conn.close()
    await start_api(env)
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{env.settings.api_port}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    ) as http:
        spec = (await http.get("/openapi.json")).json()
        schemas = spec["components"]["schemas"]
        checked = 0
        for path, operations in spec["paths"].items():
            if not path.startswith("/v1/okr"):
                continue
            for method, operation in operations.items():
                if method not in ("post", "put") or "requestBody" not in operation:
                    continue
                ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
                required = schemas[ref.rsplit("/", 1)[1]].get("required", [])
                url = path.replace("{", "").replace("}", "")  # ids that do not exist
                empty = await http.request(method, url, json={})
                unknown = await http.request(method, url, json={"zzz": 1})
                if required:
                    assert empty.status_code == 422, (path, empty.text)
                    named = {e["field"] for e in empty.json()["errors"]}
                    assert {f"body.{f}" for f in required} <= named, (path, named)
                else:
                    assert empty.status_code == 404, (path, empty.text)
                assert unknown.status_code == 422, (path, unknown.text)
                assert "body.zzz" in {e["field"] for e in unknown.json()["errors"]}, path
                checked += 1
    assert checked >= 15
