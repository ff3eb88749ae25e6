"""One number per objective, up to the north star: an HQ objective with no KR of its own, fed by
two contributing objectives, shows the same progress and colour on the board,
`/objectives/{id}/progress`, its owner's scorecard, the calibration agenda and the north-star
banner — each checked against the rule written out here from the KRs' own readings.

The quarter is the calendar quarter of the real today, so "this quarter" is the same for the
board, the scorecard and the agenda whatever the date of the run."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import asyncpg
import httpx

from domain.kernel import Actor
from domain.key_result.commands import RecordCheckIn
from domain.objectives import AlignObjective, Contribution
from handlers.bootstrap import configured_handlers
from projections.reads.org_directory import OrgDirectory
from simulator.people import register_people
from tests.stack import (
    bearer,
    define_goal,
    define_quarter,
    load_company,
    okr_read_models_caught_up,
    people_tokens,
    small_company,
    start_api,
)

HQ = Actor(person_id="p-hq", role="hq_admin", unit_id="hq")
EAST = Actor(person_id="p-east", role="manager", unit_id="east")
WEST = Actor(person_id="p-w1", role="manager", unit_id="west-city1")
CONTRIBUTIONS = {"o-east": Decimal(60), "o-west": Decimal(40)}
CHECK_INS = {"kr-east": Decimal(30), "kr-west": Decimal(85)}  # of targets of 100, from 0
_ORDER = {"green": 0, "amber": 1, "red": 2}


def _quarter_of(today: date) -> tuple[str, tuple[date, date]]:
    first_month = (today.month - 1) // 3 * 3 + 1
    first = date(today.year, first_month, 1)
    following = (
        date(today.year + 1, 1, 1) if first_month == 10 else date(today.year, first_month + 3, 1)
    )
    return f"{today.year}-Q{(first_month + 2) // 3}", (first, following - timedelta(days=1))


async def test_an_objective_fed_by_two_contributors_shows_one_number_everywhere(env):
    zone = ZoneInfo(env.settings.company_timezone)
    now = datetime.now(UTC)
    cycle_id, days = _quarter_of(now.astimezone(zone).date())
    company = small_company()
    await load_company(env.settings, company)
    await define_quarter(env.settings, cycle_id, days)
    env.spawn("relay", "relay")
    env.worker()
    handlers = configured_handlers(env.settings, OrgDirectory().load)
    conn = await asyncpg.connect(env.settings.dsn)
    try:
        await register_people(conn, handlers.org_units, company, [HQ, EAST, WEST], now)
        await define_goal(handlers, conn, HQ, HQ, "o-hq", {}, now, cycle_id)
        await define_goal(handlers, conn, HQ, EAST, "o-east", {"kr-east": 100}, now, cycle_id)
        await define_goal(handlers, conn, HQ, WEST, "o-west", {"kr-west": 100}, now, cycle_id)
        for owner, objective_id, parent, weight in (
            (HQ, "o-hq", "north-star", Decimal(100)),
            (EAST, "o-east", "o-hq", CONTRIBUTIONS["o-east"]),
            (WEST, "o-west", "o-hq", CONTRIBUTIONS["o-west"]),
        ):
            await handlers.objectives.handle(
                conn,
                AlignObjective(
                    command_id=uuid.uuid4(), actor=HQ, at=now, owner_person_id=owner.person_id,
                    cycle_id=cycle_id, objective_id=objective_id,
                    contributes_to=(Contribution(parent_id=parent, weight=weight),),
                ),
            )  # fmt: skip
        for kr_id, value in CHECK_INS.items():
            owner = EAST if kr_id == "kr-east" else WEST
            await handlers.key_results.handle(
                conn,
                RecordCheckIn(
                    command_id=uuid.uuid4(), kr_id=kr_id, actor=owner, at=now,
                    summary="where it stands", progress_value=value, blocker="none",
                ),
            )  # fmt: skip
    finally:
        await conn.close()
    await okr_read_models_caught_up(env.settings)
    tokens = await people_tokens(env.settings, "hq")
    await start_api(env)
    hq = bearer(tokens["hq"])
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{env.settings.api_port}", timeout=30
    ) as http:
        star = await http.put(
            "/v1/okr/north-star",
            json={"metric": "customers", "target": "12000", "unit": "customers",
                  "owner_person_id": "p-hq"},
            headers=hq,
        )  # fmt: skip
        assert star.status_code == 200, star.text
        progress = (await http.get("/v1/okr/objectives/o-hq/progress", headers=hq)).json()
        board = (await http.get("/v1/board", headers=hq)).json()
        card = (
            await http.get(
                "/v1/okr/scorecards/people/p-hq", params={"cycle_id": cycle_id}, headers=hq
            )
        ).json()
        chain = (await http.get("/v1/okr/objectives/o-east/chain", headers=hq)).json()
        agenda = (
            await http.get(
                "/v1/okr/calibration/agenda",
                params={"unit_id": "hq", "cycle_start": days[0], "cycle_end": days[1]},
                headers=hq,
            )
        ).json()

    # The rule, written out: no KR of its own, so the contributors' numbers (each its one KR's
    # progress: check-in value over a 0..100 target) weighted by contribution weight; the
    # weakest contributor's colour.
    kr_progress = {k: CHECK_INS[k] * 100 / Decimal(100) for k in CHECK_INS}
    krs = {kr["kr_id"]: kr for kr in board["krs"] if kr["kr_id"] in CHECK_INS}
    for kr_id, kr in krs.items():
        assert Decimal(str(kr["progress"])) == kr_progress[kr_id], kr
    expected = (
        (CONTRIBUTIONS["o-east"] * kr_progress["kr-east"]
         + CONTRIBUTIONS["o-west"] * kr_progress["kr-west"])
        / sum(CONTRIBUTIONS.values())
    ).quantize(Decimal("0.01"))  # fmt: skip
    colour = max((krs[k]["health"] for k in CHECK_INS), key=_ORDER.__getitem__)

    def same(found: dict) -> None:
        assert (Decimal(str(found["progress"])), found["health"]) == (expected, colour), found

    same(progress)
    assert progress["basis"] == "contributors"
    assert {c["objective_id"]: Decimal(str(c["weight"])) for c in progress["contributors"]} == (
        CONTRIBUTIONS
    )
    (on_board,) = [o for o in board["objectives"] if o["objective_id"] == "o-hq"]
    same(on_board)
    (on_card,) = [o for o in card["objectives"] if o["objective_id"] == "o-hq"]
    same(on_card)
    (on_agenda,) = [
        i for i in agenda if i["section"] == "objective" and i["objective_ids"] == ["o-hq"]
    ]
    same(on_agenda)
    # the chain as o-east's owner sees it: o-hq, then the north star (o-hq alone at 100)
    assert [link["parent_id"] for link in chain] == ["o-hq", "north-star"]
    for link in chain:
        same({"progress": link["parent_progress"], "health": link["parent_health"]})
    # the north star's number on the banner: HQ's objectives aligned to it
    same(board["north_star"]["objectives"])
