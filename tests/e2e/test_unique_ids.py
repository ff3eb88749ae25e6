"""No id the command side accepts can break a projection: every primary and unique key of the
OKR read models is guarded on the command side, and the guards answer 409/422 with the reason."""

from __future__ import annotations

import re
import sys
from datetime import date
from pathlib import Path

import asyncpg
import httpx

from projections.okr.okr_topic import APPLIERS
from projections.sql_files import load_queries
from tests.stack import (
    define_quarter,
    hq_token,
    load_company,
    okr_read_models_caught_up,
    run_cli,
    small_company,
    start_api,
)

# Every key of a table the OKR topic's projections write, and what keeps a second row with the
# same key from ever reaching it. A new table or key fails this test until its guard is named.
GUARDS = {
    ("okr_stream_position", ("stream_id",)): "the projection's own position, one per stream",
    ("okr_parked_stream", ("stream_id",)): "the projection's own record, one per parked stream",
    ("okr_key_result", ("kr_id",)): "one `kr-` stream per KR; defining it twice is a 409",
    ("key_result", ("id",)): "the same KR id (its stream), inserted ON CONFLICT DO NOTHING",
    ("kr_progress", ("kr_id",)): "the same KR id (its stream), inserted ON CONFLICT DO NOTHING",
    ("okr_adjustment", ("kr_id", "request_id")): "a used request id is a 409 in the KR stream",
    ("okr_check_in", ("event_id",)): "event ids derive from the command id; a retry is answered",
    ("okr_objective", ("objective_id",)): "a company-wide claim on the objective id (409)",
    ("okr_alignment", ("child_id", "parent_id")): "each parent once per command (422), rows of"
    " a claimed objective id replaced as a whole",
    ("okr_kr_weight", ("objective_id", "kr_id")): "weights are a map by KR id of a claimed"
    " objective, replaced as a whole",
    ("okr_policy", ("name",)): "no client id: upserted",
    ("org_unit", ("id",)): "one org stream refuses a second unit with the id; upserted",
    ("person", ("person_id",)): "one org stream refuses a second registration of the person",
    ("okr_cycle", ("cycle_id",)): "one cycles stream refuses a second cycle with the id (409)",
    ("okr_north_star", ("event_id",)): "event ids derive from the command id",
    ("okr_calibration_meeting", ("meeting_id",)): "one `calibration-` stream per meeting;"
    " scheduling it twice is a 409",
    ("okr_calibration_change", ("event_id",)): "event ids derive from the command id",
    ("okr_health_verdict", ("event_id",)): "event ids derive from the command id",
    ("okr_calibration_cadence", ("unit_id",)): "one `cadence-` stream per unit; upserted",
    ("okr_practice", ("practice_id",)): "one `practice-` stream per practice; publishing it"
    " twice is a 409",
    ("okr_practice_adoption", ("practice_id", "unit_id")): "the practice's stream refuses a"
    " second adoption by the same unit (409)",
    ("okr_escalation", ("escalation_id",)): "one `escalation-` stream per escalation; its id"
    " derives from the meeting and KR, or the KR and the escalating event's version",
    ("okr_kr_comment", ("event_id",)): "event ids derive from the command id",
    ("okr_governance", ("region_id",)): "one policy stream; a region's mode is upserted",
    ("okr_proposal", ("proposal_id",)): "one `proposal-` stream per proposal; proposing it"
    " twice is a 409",
    ("okr_certification", ("person_id", "cycle_id")): "one `certification-` stream per person"
    " and cycle; nominating twice is a 409, inserted ON CONFLICT DO NOTHING",
}


def _tables_written_by_the_okr_projection() -> set[str]:
    """Every table an applier of the OKR topic inserts into (read from their modules' text), and
    the progress rows a binding adds through their owner (`kr_progress.add_progress_rows`, its
    statement in `projections/sql/kr_progress.sql`)."""
    texts = [Path(sys.modules[apply.__module__].__file__ or "").read_text() for apply in APPLIERS]
    texts.append(load_queries("kr_progress")["add_rows"])
    return {
        table for text in texts for table in re.findall(r"INSERT INTO (?:\{\w+\}\.)?(\w+)", text)
    }


async def test_every_read_model_key_is_guarded_on_the_command_side(env):
    tables = _tables_written_by_the_okr_projection()
    conn = await asyncpg.connect(env.settings.dsn)
    try:
        rows = await conn.fetch(
            "SELECT c.conrelid::regclass::text AS tbl,"
            " array_agg(a.attname::text ORDER BY k.ord) AS cols"
            " FROM pg_constraint c"
            " CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k (attnum, ord)"
            " JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum"
            " WHERE c.contype IN ('p', 'u') AND c.conrelid::regclass::text = ANY($1::text[])"
            " GROUP BY c.oid, c.conrelid",
            sorted(tables),
        )
        indexes = await conn.fetch(
            "SELECT indexrelid::regclass::text AS name FROM pg_index"
            " WHERE indisunique AND NOT indisprimary AND indrelid::regclass::text = ANY($1)"
            " AND indexrelid NOT IN (SELECT conindid FROM pg_constraint)",
            sorted(tables),
        )
    finally:
        await conn.close()
    keys = {(r["tbl"], tuple(r["cols"])) for r in rows}
    assert tables <= {t for t, _ in keys}, "every table the projection writes has a key"
    assert not indexes, f"unique indexes outside constraints: {indexes}"
    assert keys == set(GUARDS), f"unguarded keys: {keys - set(GUARDS)}"


async def test_the_guards_refuse_duplicates_with_the_reason(env):
    await load_company(env.settings, small_company())
    await define_quarter(env.settings)
    await define_quarter(env.settings, "2027-Q1", (date(2027, 1, 1), date(2027, 3, 31)))
    hq = await hq_token(env.settings)
    await start_api(env)
    env.spawn("relay", "relay")
    env.worker()

    def objective(owner: str, unit: str, cycle: str = "2026-Q4") -> dict:
        return {
            "objective_id": "o-dup",
            "title": "Grow the east",
            "owner_person_id": owner,
            "owner_unit_id": unit,
            "cycle_id": cycle,
        }

    kr = {
        "kr_id": "kr-guarded",
        "title": "Tea units 20,000",
        "owner_person_id": "p-east",
        "owner_unit_id": "east",
        "kind": "increase",
        "unit": "units",
        "start": "0",
        "target": "20000",
    }
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{env.settings.api_port}/v1/okr",
        headers={"Authorization": f"Bearer {hq}"},
        timeout=30,
    ) as http:
        first = await http.post("/objectives", json=objective("p-rep-1", "rep-east-city1-1"))
        assert first.status_code == 201, first.text
        for owner, unit, cycle in (
            ("p-rep-2", "rep-east-city1-2", "2026-Q4"),  # another person's portfolio
            ("p-rep-1", "rep-east-city1-1", "2027-Q1"),  # the same person next quarter
        ):
            again = await http.post("/objectives", json=objective(owner, unit, cycle))
            assert again.status_code == 409, again.text
            assert "owner p-rep-1, cycle 2026-Q4" in again.json()["detail"]
        undefined = await http.post(
            "/objectives",
            json={**objective("p-rep-2", "rep-east-city1-2", "Q4"), "objective_id": "o-2"},
        )
        assert undefined.status_code == 422, undefined.text
        assert "no cycle 'Q4' is defined" in undefined.json()["detail"]
        meeting = await http.post(
            "/calibration/meetings",
            json={
                "meeting_id": "m-1",
                "unit_id": "east",
                "cycle_id": "2026-q4",
                "starts_at": "2026-12-01T02:00:00Z",
            },
        )
        assert meeting.status_code == 422, meeting.text

        assert (await http.post("/key-results", json=kr)).status_code == 201
        twice = await http.post("/key-results", json={**kr, "title": "another"})
        assert twice.status_code == 409 and "already exists" in twice.json()["detail"]
        request = {"request_id": "r-1", "proposed_target": "25000", "reason": "a new outlet"}
        path = "/key-results/kr-guarded/adjustments"
        assert (await http.post(path, json=request)).status_code == 201
        assert (await http.post(f"{path}/r-1/cancel", json={})).status_code == 200
        reused = await http.post(path, json={**request, "proposed_target": "26000"})
        assert reused.status_code == 409 and "was used before" in reused.json()["detail"]
        cycle = {"cycle_id": "2026-Q4", "kind": "month", "starts_on": "2027-02-01"}
        cycle_again = await http.post("/cycles", json={**cycle, "ends_on": "2027-02-28"})
        assert cycle_again.status_code == 409 and "already exists" in cycle_again.json()["detail"]

    cli = await run_cli(
        env,
        *("okr", "define-objective", "o-dup", "--title", "Again"),
        *("--owner", "p-west", "--unit", "west", "--cycle", "2026-Q4"),
    )
    assert cli.returncode == 1 and "owner p-rep-1, cycle 2026-Q4" in cli.stderr, cli.stderr
    cli = await run_cli(
        env,
        *("okr", "define-objective", "o-west", "--title", "West"),
        *("--owner", "p-west", "--unit", "west", "--cycle", "2026-Q9"),
    )
    assert cli.returncode == 1 and "no cycle '2026-Q9' is defined" in cli.stderr, cli.stderr

    conn = await asyncpg.connect(env.settings.dsn)
    try:
        stored = await conn.fetchval(
            "SELECT count(*) FROM event_store WHERE event_type = 'okr.objective.defined'"
        )
        assert stored == 1
        await okr_read_models_caught_up(env.settings)
        owner = await conn.fetchval(
            "SELECT owner_person_id FROM okr_objective WHERE objective_id = 'o-dup'"
        )
        assert owner == "p-rep-1"
    finally:
        await conn.close()
