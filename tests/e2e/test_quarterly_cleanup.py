"""The quarterly cleanup against the real stack: an owner who carried five active objectives
into the quarter has a task from its first day, sees it, and it is done once they close two; an
owner with two has none; a cycle id nobody defined is refused."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import asyncpg
import httpx

from domain.kernel import Actor
from domain.objectives import DefineObjective
from handlers.bootstrap import command_handlers
from northstar_cli.okr_admin import set_focus_policy
from projections.reads.org_directory import OrgDirectory
from tests.stack import (
    bearer,
    define_quarter,
    load_company,
    okr_read_models_caught_up,
    people_tokens,
    small_company,
    start_api,
)

BEFORE_Q4 = datetime(2026, 9, 20, 9, tzinfo=UTC)  # the objectives were set before Q4 started
OWNERS = {("p-city", "east-city1"): 5, ("p-c2", "east-city2"): 2}


async def test_cleanup_tasks_appear_for_owners_above_three_and_go_when_done(env):
    await load_company(env.settings, small_company())
    await define_quarter(env.settings)
    await set_focus_policy(env.settings, "warn")  # how an owner comes to hold five
    env.spawn("relay", "relay")
    env.worker()
    objectives = command_handlers(env.settings.okr_events_topic, OrgDirectory().load).objectives
    conn = await asyncpg.connect(env.settings.dsn)
    try:
        for (owner, unit), count in OWNERS.items():
            actor = Actor(person_id=owner, role="manager", unit_id=unit)
            for n in range(1, count + 1):
                await objectives.handle(
                    conn,
                    DefineObjective(
                        command_id=uuid.uuid4(), actor=actor, at=BEFORE_Q4,
                        owner_person_id=owner, cycle_id="2026-Q4", objective_id=f"{owner}-o{n}",
                        title=f"Objective {n}", owner_unit_id=unit,
                    ),
                )  # fmt: skip
    finally:
        await conn.close()
    tokens = await people_tokens(env.settings, "hq", "city", "city2")
    await okr_read_models_caught_up(env.settings)
    await start_api(env)
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{env.settings.api_port}/v1/okr", timeout=30
    ) as http:

        async def cleanup(who: str) -> dict:
            # the quarter named: on a later day the quarter running "today" is another one
            answer = await http.get(
                "/cleanup", params={"cycle_id": "2026-Q4"}, headers=bearer(tokens[who])
            )
            assert answer.status_code == 200, answer.text
            return answer.json()

        before = await cleanup("hq")
        mine = await cleanup("city")
        other_city = await cleanup("city2")
        for n in (1, 2):
            closed = await http.post(
                f"/objectives/p-city-o{n}/close",
                json={"owner_person_id": "p-city", "cycle_id": "2026-Q4", "outcome": "dropped"},
                headers=bearer(tokens["city"]),
            )
            assert closed.status_code == 200, closed.text
        await okr_read_models_caught_up(env.settings)
        after = await cleanup("hq")
        undefined = await http.post(
            "/objectives",
            json={"owner_person_id": "p-city", "cycle_id": "2027-Q9", "objective_id": "o-x",
                  "title": "Somewhere", "owner_unit_id": "east-city1"},
            headers=bearer(tokens["city"]),
        )  # fmt: skip

    assert before["cycle_id"] == "2026-Q4"
    (task,) = before["tasks"]
    assert (task["owner_person_id"], task["active_at_start"], task["done"]) == ("p-city", 5, False)
    assert mine["tasks"] == before["tasks"] and other_city["tasks"] == []
    (done,) = after["tasks"]
    assert (done["active_now"], done["done"]) == (3, True)
    assert done["objective_ids"] == ["p-city-o3", "p-city-o4", "p-city-o5"]
    assert undefined.status_code == 422
    assert "no cycle '2027-Q9' is defined" in undefined.text
