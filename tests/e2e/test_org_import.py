"""`northstar org import` from CSV: org-stream events, read models, precise bad-row errors."""

from __future__ import annotations

import json

import asyncpg

from tests.stack import eventually, run_cli

UNITS = """id,name,level,parent_id
east-city1,Shanghai,city,east
hq,Northstar Beverages,hq,
east,East,region,hq
rep-sh-1,Shanghai rep 1,rep,east-city1
rep-bad,Nowhere rep,rep,atlantis
"""
PEOPLE = """id,name,role,unit_id
p-ceo,Wang Wei,hq_admin,hq
p-sh,Li Na,manager,east-city1
p-rep-1,Zhang San,rep,rep-sh-1
p-wrong,Zhao Liu,rep,east
p-typo,Chen Qi,director,east
"""


async def test_org_import_from_csv(env, tmp_path):
    units, people = tmp_path / "units.csv", tmp_path / "people.csv"
    units.write_text(UNITS)
    people.write_text(PEOPLE)
    env.spawn("relay", "relay")
    env.worker()

    first = await run_cli(
        env, "org", "import", "--units", str(units), "--people", str(people), "--json"
    )
    assert first.returncode == 2
    assert _counts(first.stdout) == {
        "units_created": 4, "people_registered": 3, "people_changed": 0, "unchanged": 0,
        "rejected": 3,
    }  # fmt: skip
    assert "units.csv:6: unknown parent unit 'atlantis'" in first.stderr
    assert "people.csv:5: role: a rep cannot sit in a region unit (east)" in first.stderr
    assert "people.csv:6: role: Input should be" in first.stderr

    people.write_text(
        PEOPLE.replace("p-rep-1,Zhang San,rep,rep-sh-1", "p-rep-1,Zhang San,manager,east-city1")
    )
    second = await run_cli(
        env, "org", "import", "--units", str(units), "--people", str(people), "--json"
    )
    assert _counts(second.stdout) == {
        "units_created": 0, "people_registered": 0, "people_changed": 1, "unchanged": 6,
        "rejected": 3,  # the same three bad rows
    }  # fmt: skip

    conn = await asyncpg.connect(env.settings.dsn)
    try:

        async def projected() -> bool:
            return (
                await conn.fetchval("SELECT role FROM person WHERE person_id = 'p-rep-1'")
                == "manager"
            )

        await eventually(projected, 60, "the people read model")
        units_seen = {
            r["id"]: r["parent_id"] for r in await conn.fetch("SELECT id, parent_id FROM org_unit")
        }
        people_seen = await conn.fetchval("SELECT count(*) FROM person")
    finally:
        await conn.close()
    assert units_seen == {"hq": None, "east": "hq", "east-city1": "east", "rep-sh-1": "east-city1"}
    assert people_seen == 3


def _counts(stdout: str) -> dict[str, int]:
    report = json.loads(stdout)
    return {name: value for name, value in report.items() if name != "errors"}
