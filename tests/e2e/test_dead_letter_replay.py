"""Dead-letter replay on the real stack: sales of a rep the org tree does not know yet are
dead-lettered `unknown_rep` (beside one record that is not JSON); once the rep is added, `northstar
dead-letters replay --reason unknown_rep` brings them in and the totals equal an independent
computation over every fact; replaying again changes nothing."""

from __future__ import annotations

import json

from domain.catalog import CompanyCatalog
from domain.org_tree import OrgUnit
from tests.stack import (
    assert_projection_exact,
    dead_letters,
    load_company,
    produce_raw,
    produce_singles,
    run_cli,
    simulated_facts,
    small_company,
)

NEW_REP = "rep-east-city1-4"  # joins the org tree only after its sales arrived


async def test_replayed_dead_letters_count_once_after_the_fix(env):
    company = small_company()
    await load_company(env.settings, company)
    env.worker()
    facts = [
        f.model_copy(update={"rep_id": NEW_REP}) if f.rep_id == "rep-east-city1-3" else f
        for f in simulated_facts(company, 400, seed=41)
    ]
    unknown = [f for f in facts if f.rep_id == NEW_REP]
    assert len(unknown) >= 10
    await produce_singles(env.settings, facts)
    await produce_raw(env.settings, b"{not json")
    await dead_letters(env.settings, len(unknown) + 1)
    known = [f for f in facts if f.rep_id != NEW_REP]
    await assert_projection_exact(env.settings, company, known)

    listed = await run_cli(env, "dead-letters", "list", "--format", "json")
    assert listed.returncode == 0, listed.stderr
    reasons = [letter["reason"] for letter in json.loads(listed.stdout)]
    assert sorted(reasons) == sorted(["unknown_rep"] * len(unknown) + ["not_json"])
    first = json.loads(listed.stdout)[0]["dead_letter_id"]
    shown = await run_cli(env, "dead-letters", "show", first)
    assert shown.returncode == 0 and first in shown.stdout

    # the fix: the rep joins the tree under its city
    grown = CompanyCatalog(
        units=(
            *company.units,
            OrgUnit(id=NEW_REP, name=NEW_REP, level="rep", parent_id="east-city1"),
        ),
        key_results=company.key_results,
    )
    await load_company(env.settings, grown)
    dry = await run_cli(env, "dead-letters", "replay", "--reason", "unknown_rep", "--dry-run")
    assert f"{len(unknown)} dead letters would be replayed" in dry.stdout
    for _ in range(2):  # the second replay must change nothing
        replayed = await run_cli(env, "dead-letters", "replay", "--reason", "unknown_rep")
        assert replayed.returncode == 0, replayed.stderr
        assert f"{len(unknown)} dead letters replayed" in replayed.stdout
        await assert_projection_exact(env.settings, grown, facts)
    # nothing replayed was dead-lettered again: only the record that is not JSON is left over
    again = await run_cli(env, "dead-letters", "list", "--format", "json")
    assert len(json.loads(again.stdout)) == len(unknown) + 1
