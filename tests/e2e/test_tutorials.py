"""The tutorials run as written: every fenced block a tutorial marks `<!-- test -->` runs, in
order, in one bash session from the repository's root, against the real stack with the demo
company's plan (the only change: the API's address is this test's own). A renamed flag, route or
field fails here. Afterwards the effect is checked against what the tutorial's own facts say."""

from __future__ import annotations

import json
import re
import subprocess
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import asyncpg

from domain.key_result.commands import RedefineTarget
from handlers.bootstrap import command_handlers
from infra.settings import REPO_ROOT
from simulator.company import company_catalog, person_for
from tests.stack import (
    eventually,
    load_company,
    okr_read_models_caught_up,
    start_api,
    topic_values,
)

TUTORIALS = REPO_ROOT / "docs" / "tutorials"
DEMO_API = "http://127.0.0.1:8400"


def marked_steps(page: str) -> str:
    """The page's blocks marked for testing, as one script."""
    text = (TUTORIALS / page).read_text()
    blocks = re.findall(r"<!-- test -->\n```bash\n(.*?)```", text, flags=re.S)
    assert blocks, f"{page} marks no step for testing"
    return "".join(blocks)


def run_steps(env, script: str, base: str) -> str:
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script.replace(DEMO_API, base)],
        cwd=REPO_ROOT,
        env=env.environ,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"a step failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def shell_json(script: str, name: str) -> dict:
    """The JSON object the script assigns to `name` ('...' with '$NOW' spliced in)."""
    (body,) = re.findall(rf"^{name}='(.*?)'$", script, flags=re.S | re.M)
    return json.loads(body.replace("'$NOW'", datetime.now(UTC).isoformat()))


async def test_the_producer_tutorial_runs_and_counts_its_facts_once(env):
    await load_company(env.settings, company_catalog(date.today()))
    env.worker()
    base = await start_api(env)
    script = marked_steps("producer.md")
    out = run_steps(env, script, base)
    assert '"status": 422' in out or "422" in out.splitlines()

    # The tutorial's own facts: the sale (sent twice), its refund; the refused batch adds none.
    sale, refund = shell_json(script, "SALE"), shell_json(script, "REFUND")
    assert sale["premium"] and refund["sale_source_id"] == sale["source_id"]
    expected = Decimal(sale["amount_minor"] - refund["amount_minor"]) / 100
    kr = f"kr-{sale['rep_id']}-premium-revenue"
    conn = await asyncpg.connect(env.settings.dsn)
    try:

        async def counted() -> bool:
            actual = await conn.fetchval("SELECT actual FROM kr_progress WHERE kr_id = $1", kr)
            return actual == expected

        await eventually(counted, 60, f"{kr} at {expected}")
    finally:
        await conn.close()


async def test_the_subscriber_tutorial_receives_real_alerts(env):
    await load_company(env.settings, company_catalog(date.today()))
    env.spawn("relay", "relay")
    env.worker()
    base = await start_api(env)
    out = run_steps(env, marked_steps("subscriber.md"), base)

    # What the stream and the receiver printed are alerts the alerts topic holds, with the ids
    # and types it holds them under.
    on_topic = {}
    for value in await topic_values(env.settings, env.settings.alerts_topic):
        alert = json.loads(value)
        on_topic[alert["alert_id"]] = alert
    streamed = re.findall(r"^id: (\S+)$", out, flags=re.M)
    received = re.findall(r"^(alert\.\S+) (\S+)$", out, flags=re.M)
    assert streamed and received
    assert {on_topic[i]["kr_id"] for i in streamed} == {"kr-rep-hangzhou-01-premium-revenue"}
    assert all(on_topic[alert_id]["type"] == kind for kind, alert_id in received)


async def test_the_auditor_tutorial_shows_a_redefinition_and_refuses_a_change(env):
    await load_company(env.settings, company_catalog(date.today()))
    env.spawn("relay", "relay")
    env.worker()
    base = await start_api(env)
    # Something to audit: HQ redefines a target (as a reloaded plan would), with its reason.
    handlers = command_handlers(env.settings.okr_events_topic)
    hq = person_for("hq", "hq")
    new_target, reason = Decimal(210_000_000), "the board raised the plan by 5 %"
    conn = await asyncpg.connect(env.settings.owner_dsn)
    try:
        await handlers.key_results.handle(
            conn,
            RedefineTarget(
                command_id=uuid.uuid4(), kr_id="kr-hq-revenue", actor=hq,
                at=datetime.now(UTC), new_target=new_target, reason=reason,
            ),
        )  # fmt: skip

        async def relayed() -> bool:
            return not await conn.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL")

        await eventually(relayed, 120, "the relay to publish everything")
    finally:
        await conn.close()
    await okr_read_models_caught_up(env.settings)
    out = run_steps(env, marked_steps("auditor.md"), base)

    # the table and the CSV each name the change: its kind, the new target and the reason; the
    # auditor's own request is refused; the state as of now holds the new target
    named = [
        line
        for line in out.splitlines()
        if "redefinition" in line and "210000000" in line and reason in line
    ]
    assert len(named) == 2, out
    assert "an auditor asking to change a target: 403" in out
    state = json.loads(out[out.rindex('{\n  "as_of"') :])
    assert Decimal(state["key_results"]["kr-hq-revenue"]["target"]) == new_target
