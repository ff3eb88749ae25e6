"""`northstar audit history` after a simulated quarter: exactly the adjustments the simulator
made, with response times computed here from the simulator's own log; filters; CSV and JSON;
the same over the API for auditors only."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta

import asyncpg
import httpx

from infra.postgres.accounts import create_client
from simulator.company import REGIONS
from tests.stack import eventually, run_cli, seed_simulated_quarter, start_api


def hours(later: str, earlier: str) -> float:
    delta = datetime.fromisoformat(later) - datetime.fromisoformat(earlier)
    return round(delta.total_seconds() / 3600, 3)


def expected_rows(log: list[dict]) -> dict[tuple[str, str], dict]:
    """What the simulator says it did, with response times computed from its own clock."""
    return {
        (e["kr_id"], e["request_id"]): {
            "requested_at": datetime.fromisoformat(e["requested_at"]),
            "requested_by": e["requested_by"],
            "decision": e.get("decision"),
            "decided_by": e.get("decided_by"),
            "hours_to_decision": hours(e["decided_at"], e["requested_at"])
            if e.get("decided_at")
            else None,
            "hours_to_applied": hours(e["applied_at"], e["requested_at"])
            if e.get("applied_at")
            else None,
        }
        for e in log
    }


def reported_rows(rows: list[dict]) -> dict[tuple[str, str], dict]:
    return {
        (r["kr_id"], r["request_id"]): {
            "requested_at": datetime.fromisoformat(r["requested_at"]),
            "requested_by": r["requested_by"],
            "decision": r["decision"],
            "decided_by": r["decided_by"],
            "hours_to_decision": r["hours_to_decision"],
            "hours_to_applied": r["hours_to_applied"],
        }
        for r in rows
    }


async def test_audit_history_lists_exactly_what_the_simulator_did(env, tmp_path):
    _, log = await seed_simulated_quarter(env, tmp_path, adjustments=60)
    assert len(log) >= 30 and any(e.get("decision") == "rejected" for e in log)

    everything = await run_cli(env, "audit", "history", "--format", "json")
    assert everything.returncode == 0, everything.stderr
    rows = json.loads(everything.stdout)
    assert reported_rows(rows) == expected_rows(log)
    assert all(r["reason"] and r["evidence"] and r["current_target"] for r in rows)
    assert all(
        (r["new_target"] == r["proposed_target"]) == (r["decision"] == "approved") for r in rows
    )

    one = log[0]["kr_id"]
    exported = tmp_path / "one.csv"
    done = await run_cli(
        env, "audit", "history", "--kr", one, "--format", "csv", "--out", str(exported)
    )
    assert done.returncode == 0, done.stderr
    lines = list(csv.DictReader(io.StringIO(exported.read_text())))
    assert {r["request_id"] for r in lines} == {e["request_id"] for e in log if e["kr_id"] == one}

    # as-of and diff around the first applied change: the target moves, the request closes
    applied = next(e for e in log if e.get("applied_at"))
    kr, moment = applied["kr_id"], datetime.fromisoformat(applied["applied_at"])
    change = next(r for r in rows if r["request_id"] == applied["request_id"])

    async def target_at(when: datetime) -> str:
        done = await run_cli(env, "audit", "as-of", when.isoformat(), "--kr", kr)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)["key_results"][kr]["target"]

    assert await target_at(moment - timedelta(seconds=1)) == change["current_target"]
    assert await target_at(moment) == change["new_target"]
    diffed = await run_cli(
        env,
        *("audit", "diff", (moment - timedelta(seconds=1)).isoformat(), moment.isoformat()),
        *("--kr", kr, "--json"),
    )
    changed = {c["field"]: (c["was"], c["now"]) for c in json.loads(diffed.stdout)["key_results"]}
    assert changed["target"] == (change["current_target"], change["new_target"])
    assert changed["open_request"][1] is None and set(changed) == {"target", "open_request"}

    # Filters that need the read models: the relay and the worker bring them up to date.
    env.spawn("relay", "relay")
    env.worker()
    conn = await asyncpg.connect(env.settings.dsn)
    try:

        async def projected() -> bool:
            return await conn.fetchval("SELECT count(*) FROM okr_key_result") >= len(
                {e["kr_id"] for e in log}
            ) and not await conn.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL")

        await eventually(projected, 120, "the OKR read models")
        auditor = await create_client(conn, "auditor", "auditor", "p-audit", "hq")
        rep = await create_client(conn, "rep", "rep", "p-rep-x", "hq")
    finally:
        await conn.close()
    east_cities = {city for city, _ in REGIONS["east"][1]}
    in_east = [e for e in log if e["kr_id"].split("-")[2] in east_cities]
    region = await run_cli(env, "audit", "history", "--region", "east", "--format", "json")
    assert reported_rows(json.loads(region.stdout)) == expected_rows(in_east)
    since = sorted(e["requested_at"] for e in log)[len(log) // 2]
    later = await run_cli(
        env,
        "audit",
        "history",
        "--since",
        datetime.fromisoformat(since).isoformat(),
        "--format",
        "json",
    )
    assert reported_rows(json.loads(later.stdout)) == expected_rows(
        [
            e
            for e in log
            if datetime.fromisoformat(e["requested_at"]) >= datetime.fromisoformat(since)
        ]
    )

    base = await start_api(env)
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        path = "/v1/audit/target-changes"
        reply = await http.get(
            path, params={"kr_id": one}, headers={"Authorization": f"Bearer {auditor}"}
        )
        assert reply.status_code == 200, reply.text
        assert reported_rows(reply.json()) == expected_rows([e for e in log if e["kr_id"] == one])
        as_csv = await http.get(
            path, params={"format": "csv"}, headers={"Authorization": f"Bearer {auditor}"}
        )
        assert as_csv.headers["content-type"].startswith("text/csv")
        assert len(list(csv.DictReader(io.StringIO(as_csv.text)))) == len(log)
        denied = await http.get(path, headers={"Authorization": f"Bearer {rep}"})
        assert denied.status_code == 403
        # auditors read everything and change nothing
        write = await http.post(
            f"/v1/okr/key-results/{one}/adjustments",
            json={"request_id": "audit-try", "proposed_target": "1", "reason": "testing"},
            headers={"Authorization": f"Bearer {auditor}"},
        )
        assert write.status_code == 403, write.text
