"""The focus rule against the real stack, on a quarter's first day: three objectives left open
from the quarter that just ended are a cleanup (alerted once, on the owner's board and the
manager's agenda) and block a new objective under HQ's `block` policy, with a 409 naming them;
after closing one, the new objective is allowed.

The quarters are the calendar quarter of the real today and the one before it, so the API's,
the commands' and the evaluation's "today" fall in the new quarter whatever the date of the run;
nothing changes between its first day and today, so today answers as its first day would."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import asyncpg
import httpx

from domain.kernel import Actor
from domain.objectives import DefineObjective
from handlers.bootstrap import configured_handlers
from projections.reads.org_directory import OrgDirectory
from tests.stack import (
    bearer,
    define_quarter,
    evaluate_at,
    eventually,
    load_company,
    okr_read_models_caught_up,
    people_tokens,
    published_alerts,
    small_company,
    start_api,
)

CITY = Actor(person_id="p-city", role="manager", unit_id="east-city1")


def _months_after(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


async def test_objectives_left_from_the_ended_quarter_are_the_cleanup_and_block_the_fourth(env):
    zone = ZoneInfo(env.settings.company_timezone)
    now = datetime.now(UTC)
    today = now.astimezone(zone).date()
    first = date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
    starting = (first, _months_after(first, 3) - timedelta(days=1))
    ended = (_months_after(first, -3), first - timedelta(days=1))
    await load_company(env.settings, small_company())
    await define_quarter(env.settings, "q-ended", ended)
    await define_quarter(env.settings, "q-starting", starting)
    env.spawn("relay", "relay")
    env.worker()
    left_open = [f"o-left-{n}" for n in (1, 2, 3)]
    during_the_ended = datetime.combine(ended[0] + timedelta(days=10), datetime.min.time(), UTC)
    objectives = configured_handlers(env.settings, OrgDirectory().load).objectives
    conn = await asyncpg.connect(env.settings.dsn)
    try:
        for objective_id in left_open:
            await objectives.handle(
                conn,
                DefineObjective(
                    command_id=uuid.uuid4(), actor=CITY, at=during_the_ended,
                    owner_person_id="p-city", cycle_id="q-ended", objective_id=objective_id,
                    title=f"Grow {objective_id}", owner_unit_id="east-city1",
                ),
            )  # fmt: skip
    finally:
        await conn.close()
    await okr_read_models_caught_up(env.settings)
    tokens = await people_tokens(env.settings, "city", "region")
    await start_api(env)
    # The rule, written out: open objectives of a quarter that is over count in today's
    # quarter; three of them leave no room for a fourth, and all three are to close.
    expected_to_close = sorted(left_open)

    await evaluate_at(env, now.isoformat())
    await evaluate_at(env, (now + timedelta(seconds=1)).isoformat())

    async def cleanup_alerts() -> list[dict]:
        return [
            a
            for a in await published_alerts(env.settings)
            if a["type"] == "alert.person.cleanup_due"
        ]

    async def alerted() -> bool:
        return bool(await cleanup_alerts())

    await eventually(alerted, 60, "the cleanup alert on the topic")
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{env.settings.api_port}/v1/okr", timeout=30
    ) as http:
        fourth = {
            "owner_person_id": "p-city", "cycle_id": "q-starting", "objective_id": "o-new",
            "title": "Win the new quarter", "owner_unit_id": "east-city1",
        }  # fmt: skip
        refused = await http.post("/objectives", json=fourth, headers=bearer(tokens["city"]))
        cleanup = (await http.get("/cleanup", headers=bearer(tokens["city"]))).json()
        agenda = await http.get(
            "/calibration/agenda",
            params={"unit_id": "east", "cycle_start": starting[0], "cycle_end": starting[1]},
            headers=bearer(tokens["region"]),
        )
        board = (
            await http.get(
                f"http://127.0.0.1:{env.settings.api_port}/v1/board",
                headers=bearer(tokens["city"]),
            )
        ).json()
        closed = await http.post(
            "/objectives/o-left-2/close",
            json={"owner_person_id": "p-city", "cycle_id": "q-ended", "outcome": "dropped"},
            headers=bearer(tokens["city"]),
        )
        assert closed.status_code == 200, closed.text
        allowed = await http.post("/objectives", json=fourth, headers=bearer(tokens["city"]))

    (alert,) = await cleanup_alerts()  # once, though evaluated twice
    assert (alert["person_id"], alert["cycle_id"]) == ("p-city", "q-starting")
    assert sorted(alert["to_close"]) == expected_to_close
    assert alert["in_force_at_start"] == len(expected_to_close)

    assert refused.status_code == 409, refused.text
    for objective_id in expected_to_close:
        assert f"{objective_id} (q-ended, cycle over)" in refused.json()["detail"]

    (task,) = cleanup["tasks"]
    assert (task["owner_person_id"], task["done"]) == ("p-city", False)
    assert sorted(task["to_close"]) == expected_to_close

    assert agenda.status_code == 200, agenda.text
    (item,) = [i for i in agenda.json() if i["section"] == "cleanup_due"]
    assert (
        item["owner_person_id"] == "p-city" and sorted(item["objective_ids"]) == expected_to_close
    )

    past = {o["objective_id"]: o["cycle_over"] for o in board["objectives"]}
    assert {past[o] for o in expected_to_close} == {True}

    assert allowed.status_code in (200, 201), allowed.text
