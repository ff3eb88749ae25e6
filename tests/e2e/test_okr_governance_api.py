"""Centralised or distributed OKRs through the API on the real stack: the same KR definition by
a region manager is accepted while the region is distributed and refused once HQ centralises it,
where an HRBP's proposal approved by HQ defines it instead; the policy is an audited event."""

from __future__ import annotations

import json

import asyncpg
import httpx

from domain.okr_events import OKR_EVENT_TYPES
from tests.stack import (
    bearer,
    define_quarter,
    load_company,
    okr_read_models_caught_up,
    people_tokens,
    small_company,
    start_api,
)


def kr(kr_id: str) -> dict[str, str]:
    return {
        "kr_id": kr_id,
        "title": "Tasting conversion 30%",
        "owner_person_id": "p-rep",
        "owner_unit_id": "rep-east-city1-1",
        "kind": "increase",
        "unit": "%",
        "start": "18",
        "target": "30",
    }


async def test_the_regions_policy_decides_who_defines_its_krs(env):
    await load_company(env.settings, small_company())
    await define_quarter(env.settings)
    env.spawn("relay", "relay")
    env.worker()
    tokens = await people_tokens(env.settings, "hq", "region", "hrbp", "rep", "west")
    await start_api(env)
    hq, region, hrbp, rep = (bearer(tokens[n]) for n in ("hq", "region", "hrbp", "rep"))
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{env.settings.api_port}/v1/okr", timeout=30
    ) as http:
        distributed = await http.post("/key-results", json=kr("kr-distributed"), headers=region)
        comment = {"comment": "HQ: tie this to the tasting campaign"}
        hq_comments = await http.post(
            "/key-results/kr-distributed/comments", json=comment, headers=hq
        )
        rep_comments = await http.post(
            "/key-results/kr-distributed/comments", json=comment, headers=rep
        )
        hrbp_in_distributed = await http.post(
            "/proposals/key-results", json={**kr("kr-early"), "proposal_id": "p-0"}, headers=hrbp
        )
        by_manager = await http.put(
            "/policy/governance/east", json={"mode": "centralised"}, headers=region
        )
        centralise = await http.put(
            "/policy/governance/east",
            json={"mode": "centralised", "reason": "HRBP-led OKRs this year"},
            headers=hq,
        )
        centralised = await http.post("/key-results", json=kr("kr-centralised"), headers=region)
        own_objective = await http.post(
            "/objectives",
            json={
                "objective_id": "o-rep-own",
                "title": "Grow tastings",
                "owner_person_id": "p-rep",
                "owner_unit_id": "rep-east-city1-1",
                "cycle_id": "2026-Q4",
            },
            headers=rep,
        )
        manager_proposes = await http.post(
            "/proposals/key-results", json={**kr("kr-m"), "proposal_id": "p-m"}, headers=region
        )
        proposed = await http.post(
            "/proposals/key-results", json={**kr("kr-proposed"), "proposal_id": "p-1"}, headers=hrbp
        )
        hrbp_approves = await http.post("/proposals/p-1/approve", json={}, headers=hrbp)
        await okr_read_models_caught_up(env.settings)
        pending = await http.get("/proposals", params={"status": "pending"}, headers=hq)
        before_approval = await http.get("/key-results/kr-proposed", headers=hq)
        approved = await http.post("/proposals/p-1/approve", json={"note": "ok"}, headers=hq)
        again = await http.post("/proposals/p-1/approve", json={}, headers=hq)
        await okr_read_models_caught_up(env.settings)
        defined = await http.get("/key-results/kr-proposed", headers=hq)
        seen_by_hrbp = await http.get("/proposals", headers=hrbp)
        seen_in_west = await http.get("/proposals", headers=bearer(tokens["west"]))
        modes = await http.get("/policy/governance", headers=rep)
        commented = await http.get("/key-results/kr-distributed", headers=region)
        asyncapi = await http.get(f"http://127.0.0.1:{env.settings.api_port}/asyncapi.json")

    assert distributed.status_code == 201, distributed.text
    assert hrbp_in_distributed.status_code == 409, hrbp_in_distributed.text
    assert hq_comments.status_code == 201, hq_comments.text
    assert rep_comments.status_code == 403
    ((said, by),) = [(c["comment"], c["commented_by"]) for c in commented.json()["comments"]]
    assert (said, by) == (comment["comment"], "p-hq")
    assert by_manager.status_code == 403
    assert centralise.status_code == 200, centralise.text
    assert centralised.status_code == 403 and "centrally" in centralised.json()["detail"]
    assert own_objective.status_code == 403, own_objective.text
    assert manager_proposes.status_code == 403
    assert proposed.status_code == 201, proposed.text
    assert hrbp_approves.status_code == 403
    assert [p["proposal_id"] for p in pending.json()] == ["p-1"]
    assert before_approval.status_code == 404  # a proposal defines nothing until approved
    assert approved.status_code == 200, approved.text
    assert again.status_code == 409
    got = defined.json()
    assert (got["owner_unit_id"], str(got["target_value"]), got["title"]) == (
        "rep-east-city1-1",
        "30",
        "Tasting conversion 30%",
    )
    (mine,) = seen_by_hrbp.json()
    assert (mine["status"], mine["decided_by"], mine["proposed_by"]) == (
        "approved",
        "p-hq",
        "p-hrbp",
    )
    assert seen_in_west.json() == []  # an east proposal is outside a west manager's part
    by_region = {r["region_id"]: r["mode"] for r in modes.json()["regions"]}
    assert by_region == {"east": "centralised", "west": "distributed"}

    conn = await asyncpg.connect(env.settings.dsn)
    try:
        policy = await conn.fetchrow(
            "SELECT actor, payload FROM event_store WHERE event_type = 'okr.policy.governance_set'"
        )
        types = await conn.fetch("SELECT DISTINCT event_type FROM event_store")
        definition = await conn.fetchrow(
            "SELECT d.actor, d.causation_id = a.event_id AS caused FROM event_store d"
            " JOIN event_store a ON a.event_type = 'okr.proposal.approved'"
            " WHERE d.stream_id = 'kr-kr-proposed' AND d.event_type = 'okr.kr.defined'"
        )
    finally:
        await conn.close()
    # every event type the store holds is in the published contract, on this env's topics
    assert {r["event_type"] for r in types} <= set(OKR_EVENT_TYPES)
    served = {c["address"] for c in asyncapi.json()["channels"].values()}
    assert {env.settings.sales_topic, env.settings.okr_events_topic} < served
    assert policy["actor"] == "p-hq"
    assert json.loads(policy["payload"])["previous"] == "distributed"
    assert (definition["actor"], definition["caused"]) == ("p-hq", True)
