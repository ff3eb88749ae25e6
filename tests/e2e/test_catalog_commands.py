"""The catalog is imported as HQ's commands: the same file twice records nothing, a changed KR
target is one redefinition event (who, when, the file's reason) in the audit history over the CLI
and the API, and the board, the OKR read model and the sales side agree on the new target."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import asyncpg
import httpx
import yaml

from domain.catalog import CatalogCycle, CatalogObjective
from tests.stack import (
    QUARTER,
    heads_of,
    okr_read_models_caught_up,
    project_recorded,
    run_cli,
    small_company,
    start_api,
)

EVENTS = "SELECT count(*) FROM event_store"
REASON = "east's Q4 volume raised after the October review"


def plan_file(folder: Path, east_units_target: int, reason: str) -> Path:
    base = small_company()
    weights = {"kr-east-units": Decimal(60), "kr-east-customers": Decimal(40)}
    plan = base.model_copy(
        update={
            "reason": reason,
            "people": heads_of(base.units),
            "cycles": (CatalogCycle(cycle_id="2026-Q4", starts_on=QUARTER[0], ends_on=QUARTER[1]),),
            "key_results": tuple(
                kr.model_copy(update={"target": Decimal(east_units_target)})
                if kr.id == "kr-east-units"
                else kr
                for kr in base.key_results
            ),
            "objectives": (
                CatalogObjective(
                    objective_id="o-east",
                    cycle_id="2026-Q4",
                    title="East grows volume",
                    owner_person_id="p-mgr-east",
                    weights=weights,
                ),
            ),
        }
    )
    path = folder / "company.yaml"
    path.write_text(yaml.safe_dump(plan.model_dump(mode="json"), allow_unicode=True))
    return path


async def load(env, path: Path) -> dict:
    done = await run_cli(env, "catalog", "load", str(path), "--json", "--quiet")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


async def test_a_reload_records_nothing_and_a_changed_target_is_one_audited_event(env, tmp_path):
    path = plan_file(tmp_path, 100_000, "the Q4 plan")
    first = await load(env, path)
    conn = await asyncpg.connect(env.settings.dsn)
    try:
        recorded = await conn.fetchval(EVENTS)
        # one event per unit, person, cycle and KR the file lists; the objective; its weights
        plan = yaml.safe_load(path.read_text())
        listed = sum(len(plan[k]) for k in ("units", "people", "cycles", "key_results"))
        assert first["events"] == recorded == listed + 2, first
        again = await load(env, plan_file(tmp_path, 100_000, "the Q4 plan"))
        assert again["events"] == 0 and await conn.fetchval(EVENTS) == recorded

        changed = await load(env, plan_file(tmp_path, 120_000, REASON))
        assert changed["events"] == 1 and changed["recorded"] == {"target redefinitions": 1}
        new = await conn.fetch("SELECT * FROM event_store ORDER BY position OFFSET $1", recorded)
        assert [(e["stream_id"], e["event_type"], e["actor"]) for e in new] == [
            ("kr-kr-east-units", "okr.kr.target_redefined", "p-hq")
        ]
        payload = json.loads(new[0]["payload"])
        assert (Decimal(payload["previous_target"]), Decimal(payload["new_target"])) == (
            Decimal(100_000),
            Decimal(120_000),
        )
        assert payload["reason"] == REASON
        redefined_at = new[0]["occurred_at"]
    finally:
        await conn.close()

    history = await run_cli(env, "audit", "history", "--kr", "kr-east-units", "--format", "json")
    assert history.returncode == 0, history.stderr
    (cli_row,) = json.loads(history.stdout)
    env.spawn("relay", "relay")
    env.worker()
    await okr_read_models_caught_up(env.settings)
    conn = await asyncpg.connect(env.settings.dsn)
    try:
        from infra.postgres.accounts import create_client

        auditor = await create_client(conn, "auditor", "auditor", "p-audit", "hq")
        hq = await create_client(conn, "hq-board", "hq_admin", "p-hq", "hq")
        okr_target = await conn.fetchval(
            "SELECT target_value FROM okr_key_result WHERE kr_id = 'kr-east-units'"
        )
        sales_target = await conn.fetchval(
            "SELECT target_value FROM key_result WHERE id = 'kr-east-units'"
        )
    finally:
        await conn.close()
    await start_api(env)
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{env.settings.api_port}", timeout=30
    ) as http:
        changes = await http.get(
            "/v1/audit/target-changes",
            params={"kr_id": "kr-east-units"},
            headers={"Authorization": f"Bearer {auditor}"},
        )
        board = await http.get("/v1/board", headers={"Authorization": f"Bearer {hq}"})
    assert changes.status_code == 200, changes.text
    (api_row,) = changes.json()
    for row in (cli_row, api_row):
        assert row["kind"] == "redefinition" and row["decision"] == "redefined"
        assert row["requested_by"] == row["decided_by"] == row["applied_by"] == "p-hq"
        assert row["reason"] == REASON
        assert Decimal(row["current_target"]) == 100_000
        assert Decimal(row["new_target"]) == 120_000
        assert row["applied_at"] == redefined_at.isoformat()
    (card,) = [k for k in board.json()["krs"] if k["kr_id"] == "kr-east-units"]
    assert Decimal(str(card["target"])) == okr_target == sales_target == 120_000

    # it answers no request: the response times count none
    times = await run_cli(env, "reports", "response-times", "--format", "json")
    assert times.returncode == 0, times.stderr
    groups = json.loads(times.stdout)["groups"]
    assert sum(g["hours_to_decision"]["count"] for g in groups) == 0, groups


async def test_rows_an_earlier_loader_wrote_are_recorded_once_and_verify(env):
    """An install upgraded from the table-writing loader: its units and KRs are rows with no
    event behind them. `catalog adopt` records them as HQ's commands once; the chain verifies;
    the OKR read model then holds each KR at the row's target."""
    company = small_company()
    tree = company.tree()
    conn = await asyncpg.connect(env.settings.dsn)
    try:  # what the old loader wrote, straight into the tables
        for unit in sorted(company.units, key=lambda u: len(tree.ancestors_and_self(u.id))):
            await conn.execute(
                "INSERT INTO org_unit (id, name, level, parent_id) VALUES ($1, $2, $3, $4)",
                unit.id, unit.name, unit.level, unit.parent_id,
            )  # fmt: skip
        for kr in company.key_results:
            await conn.execute(
                "INSERT INTO key_result (id, title, owner_unit_id, metric, kind, start_value,"
                " target_value, window_start, window_end, category, channel)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                kr.id, kr.title, kr.owner_unit_id, kr.metric, kr.kind, kr.start, kr.target,
                kr.window_start, kr.window_end, kr.category, kr.channel,
            )  # fmt: skip
    finally:
        await conn.close()

    adopted = await run_cli(env, "catalog", "adopt", "--json")
    assert adopted.returncode == 0, adopted.stderr
    outcome = json.loads(adopted.stdout)
    # every unit and KR, and the adopting HQ admin (nobody was registered)
    assert outcome["recorded"] == {
        "org units": len(company.units),
        "people": 1,
        "key results": len(company.key_results),
    }, outcome
    again = await run_cli(env, "catalog", "adopt", "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["events"] == 0
    verified = await run_cli(env, "audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr

    await project_recorded(env.settings)
    conn = await asyncpg.connect(env.settings.dsn)
    try:
        targets = dict(await conn.fetch("SELECT kr_id, target_value FROM okr_key_result"))
        owners = {r[0] for r in await conn.fetch("SELECT owner_person_id FROM okr_key_result")}
    finally:
        await conn.close()
    assert targets == {kr.id: kr.target for kr in company.key_results}
    assert owners == {"cli-admin"}
