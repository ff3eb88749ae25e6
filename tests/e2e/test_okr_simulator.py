"""The simulator builds the company's OKR tree through the real command path."""

from __future__ import annotations

import asyncpg
import yaml

from domain.key_result.events import kr_stream
from domain.objectives import NORTH_STAR_PARENT
from domain.okr_events import OKR_EVENT_TYPES
from simulator.company import company_catalog
from tests.stack import run_cli


async def test_simulator_creates_the_okr_tree_and_adjustments_through_commands(env, tmp_path):
    from datetime import UTC, datetime

    company = company_catalog(datetime.now(UTC).date())
    company_file = tmp_path / "company.yaml"
    company_file.write_text(yaml.safe_dump(company.model_dump(mode="json"), allow_unicode=True))

    done = await run_cli(
        env, "simulate", "okrs", "--company", str(company_file), "--adjustments", "40"
    )
    assert done.returncode == 0, done.stderr
    again = await run_cli(env, "simulate", "okrs", "--company", str(company_file))
    assert "already seeded" in again.stdout

    conn = await asyncpg.connect(env.settings.dsn)
    try:
        objectives = await conn.fetchval(
            "SELECT count(*) FROM event_store WHERE event_type = 'okr.objective.defined'"
        )
        krs = await conn.fetchval(
            "SELECT count(*) FROM event_store WHERE event_type = 'okr.kr.defined'"
        )
        north_star = await conn.fetchval(
            "SELECT payload FROM event_store WHERE event_type = 'okr.objective.defined'"
            " AND payload->>'objective_id' = 'o-hq'"
        )
        bound = dict(
            await conn.fetch(
                "SELECT stream_id, payload->'binding'->>'metric' FROM event_store"
                " WHERE event_type = 'okr.kr.defined' AND payload->'binding' IS NOT NULL"
                " AND payload->'binding' <> 'null'::jsonb"
            )
        )
        governance = await conn.fetch(
            "SELECT event_type, actor FROM event_store WHERE event_type IN"
            " ('okr.policy.governance_set', 'okr.proposal.submitted') ORDER BY position"
        )
        types = {r[0] for r in await conn.fetch("SELECT DISTINCT event_type FROM event_store")}
        timings = await conn.fetch(
            "SELECT r.occurred_at AS asked, d.occurred_at AS decided, d.actor AS decider"
            " FROM event_store r JOIN event_store d ON d.stream_id = r.stream_id"
            " AND d.payload->>'request_id' = r.payload->>'request_id'"
            " AND d.event_type IN ('okr.kr.target_adjustment_approved',"
            "                      'okr.kr.target_adjustment_rejected')"
            " WHERE r.event_type = 'okr.kr.target_adjustment_requested'"
        )
    finally:
        await conn.close()
    units = len(company.units)
    assert objectives == units
    # the plan's KRs: HQ's five, three per region, city and rep (written out in company.py)
    assert krs == 5 + 3 * (units - 1)
    assert NORTH_STAR_PARENT in north_star
    # the KRs that name a sales metric are bound to it (their progress updates itself)
    assert bound[kr_stream("kr-hq-repeat-buyers")] == "premium_monthly_repeat_buyers"
    assert bound[kr_stream("kr-hq-conversion")] == "first_order_conversion"
    assert bound[kr_stream("kr-east-collection")] == "collection_rate"
    reps = sum(1 for u in company.units if u.level == "rep")
    managers = units - reps - 1
    assert len(bound) == 5 + 2 * reps + 3 * managers  # reps' new-customer KRs stay manual
    assert len(timings) >= 20
    assert all(t["decided"] > t["asked"] for t in timings)
    assert all(t["decider"].startswith("p-mgr-") for t in timings)
    assert f"{len(timings)} decisions" in done.stdout
    assert types <= set(OKR_EVENT_TYPES)  # every type recorded has a published contract
    # the south's OKRs are set centrally: HQ said so, and its HRBP's proposal waits for HQ
    assert [(g["event_type"], g["actor"]) for g in governance] == [
        ("okr.policy.governance_set", "p-mgr-hq"),
        ("okr.proposal.submitted", "p-hrbp-south"),
    ]
