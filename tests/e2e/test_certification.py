"""Certification through the sales path: reps' KRs on high-value-customer penetration (the
share of their customers buying premium) in Q1-Q3 2026, fed by sales through Kafka. Exactly the
rep over 100 % in two calendar-adjacent quarters gets one `alert.person.certification_suggested`
— not the one who made it in one quarter only, not the one whose two good quarters are not
adjacent, not the one over 100 % on another metric — and evaluating again sends nothing new.
Who should be suggested is worked out here from the facts (tests/expected.py). Then the
workflow over HTTP: her city's manager nominates her (nobody else may), HQ grants the
certification with a strategic project, and each person reads what their scope holds."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import asyncpg
import httpx
from playwright.async_api import expect

from domain.alerts import rule_alert_id
from domain.catalog import CompanyCatalog
from domain.key_result.commands import DefineKeyResult
from domain.key_result.metrics import MetricKeyResult, MetricScope
from domain.objectives import DefineObjective, SetKeyResultWeights
from domain.sales import SaleRecorded
from handlers.bootstrap import command_handlers
from infra.postgres.accounts import create_client
from projections.reads.org_directory import OrgDirectory
from simulator.company import STRATEGIC_PROJECTS, person_for
from simulator.pace import PRODUCTS
from tests import expected
from tests.browser import add_board_users, board_sessions
from tests.stack import (
    alerts_seen_on_sse,
    bearer,
    define_quarter,
    evaluate_at,
    load_company,
    okr_read_models_caught_up,
    produce_singles,
    published_alerts,
    register_company_people,
    small_company,
    start_api,
    the_alert_on_the_topic,
    wait_caught_up,
)

ZONE = ZoneInfo("Asia/Shanghai")
PASSWORD = "certification-board-1"
QUARTERS = {
    "2026-Q1": (date(2026, 1, 1), date(2026, 3, 31)),
    "2026-Q2": (date(2026, 4, 1), date(2026, 6, 30)),
    "2026-Q3": (date(2026, 7, 1), date(2026, 9, 30)),
}
PENETRATION_TARGET = Decimal(40)  # % of a quarter's customers buying premium
# rep -> quarter -> (metric, premium buyers out of 10 customers); no entry: no goal that quarter
PLAN = {
    "rep-east-city1-1": {"2026-Q2": ("high_value_customer_penetration", 6),
                         "2026-Q3": ("high_value_customer_penetration", 5)},
    "rep-east-city1-2": {"2026-Q2": ("high_value_customer_penetration", 2),
                         "2026-Q3": ("high_value_customer_penetration", 6)},
    "rep-east-city2-1": {"2026-Q1": ("high_value_customer_penetration", 7),
                         "2026-Q3": ("high_value_customer_penetration", 7)},
    "rep-west-city1-1": {"2026-Q2": ("revenue", 9), "2026-Q3": ("revenue", 9)},
    # at exactly 100.00 % twice: not over 100 %, not suggested
    "rep-east-city2-2": {"2026-Q2": ("high_value_customer_penetration", 4),
                         "2026-Q3": ("high_value_customer_penetration", 4)},
    # at 100.01 % twice (a target of 39.996 %): suggested
    "rep-east-city2-3": {"2026-Q2": ("high_value_customer_penetration", 4),
                         "2026-Q3": ("high_value_customer_penetration", 4)},
}  # fmt: skip
JUST_UNDER_40 = {"rep-east-city2-3": Decimal("39.996")}  # its targets
PREMIUM = next(p for p in PRODUCTS if p.premium)
PLAIN = next(p for p in PRODUCTS if not p.premium)


def sales() -> list[SaleRecorded]:
    facts = []
    for rep, quarters in PLAN.items():
        for cycle_id, (_, premium_buyers) in quarters.items():
            first_day = QUARTERS[cycle_id][0]
            for n in range(10):
                product = PREMIUM if n < premium_buyers else PLAIN
                when = datetime.combine(first_day + timedelta(days=40 + n), time(11), ZONE)
                facts.append(
                    SaleRecorded(
                        source_system="pos-cert", source_id=f"{rep}-{cycle_id}-{n}",
                        occurred_at=when, rep_id=rep, customer_id=f"{rep}-{cycle_id}-c{n}",
                        sku=product.sku, category=product.category, premium=product.premium,
                        channel="retail", quantity=6, amount_minor=6 * product.unit_price_minor,
                    )
                )  # fmt: skip
    return facts


def kr_id(rep: str, cycle_id: str) -> str:
    return f"kr-{rep}-{cycle_id}"


def target(rep: str, metric: str) -> Decimal:
    if metric != "high_value_customer_penetration":
        return Decimal(100)
    return JUST_UNDER_40.get(rep, PENETRATION_TARGET)


async def test_two_adjacent_quarters_over_100_suggest_certification_once(env):
    company = CompanyCatalog(units=small_company().units, strategic_projects=STRATEGIC_PROJECTS)
    await load_company(env.settings, company)
    for cycle_id, days in QUARTERS.items():
        await define_quarter(env.settings, cycle_id, days)
    env.spawn("relay", "relay")
    env.worker()
    facts = sales()
    await produce_singles(env.settings, facts)

    handlers = command_handlers(env.settings.okr_events_topic, OrgDirectory().load)
    hq = person_for("hq", "hq")
    conn = await asyncpg.connect(env.settings.dsn)
    try:
        await register_company_people(
            handlers, conn, company, datetime(2025, 12, 1, 9, tzinfo=ZONE)
        )
        for rep, quarters in PLAN.items():
            owner = person_for(rep, "rep")
            for cycle_id, (metric, _) in quarters.items():
                first, last = QUARTERS[cycle_id]
                at = datetime.combine(first - timedelta(days=5), time(9), ZONE)
                envelope = {"actor": hq, "at": at, "owner_person_id": owner.person_id,
                            "cycle_id": cycle_id}  # fmt: skip
                objective_id = f"o-{rep}-{cycle_id}"
                await handlers.objectives.handle(
                    conn,
                    DefineObjective(command_id=uuid.uuid4(), **envelope,
                                    objective_id=objective_id, title="Customer management",
                                    owner_unit_id=rep),
                )  # fmt: skip
                await handlers.key_results.handle(
                    conn,
                    DefineKeyResult(
                        command_id=uuid.uuid4(), kr_id=kr_id(rep, cycle_id), actor=hq, at=at,
                        title=f"{metric} {cycle_id}", owner_person_id=owner.person_id,
                        owner_unit_id=rep, kind="increase", unit="%", start=Decimal(0),
                        target=target(rep, metric),
                        binding=MetricScope(metric=metric, window_start=first, window_end=last),
                    ),
                )  # fmt: skip
                await handlers.objectives.handle(
                    conn,
                    SetKeyResultWeights(command_id=uuid.uuid4(), **envelope,
                                        objective_id=objective_id,
                                        weights={kr_id(rep, cycle_id): Decimal(100)}),
                )  # fmt: skip
    finally:
        await conn.close()
    await wait_caught_up(env.settings)
    await okr_read_models_caught_up(env.settings)

    # who should be suggested, from the facts: the penetration of each KR, strictly over 100 %
    # of its target, in two quarters of which the second starts the day after the first ends
    measured = CompanyCatalog(
        units=company.units,
        key_results=tuple(
            MetricKeyResult(
                id=kr_id(rep, cycle_id), title="x", owner_unit_id=rep, metric=metric,
                start=Decimal(0), target=target(rep, metric),
                window_start=QUARTERS[cycle_id][0],
                window_end=QUARTERS[cycle_id][1],
            )
            for rep, quarters in PLAN.items()
            for cycle_id, (metric, _) in quarters.items()
        ),
    )  # fmt: skip
    values = expected.kr_actuals(measured, facts, today=date(2026, 11, 30))
    achieved = {
        (rep, cycle_id)
        for rep, quarters in PLAN.items()
        for cycle_id, (metric, _) in quarters.items()
        if metric == "high_value_customer_penetration"
        and values[kr_id(rep, cycle_id)] * 100 / target(rep, metric) > 100
    }
    ordered = list(QUARTERS)
    deserving = {
        (rep, second)
        for rep, second in achieved
        for first in ordered[: ordered.index(second)]
        if (rep, first) in achieved
        and QUARTERS[first][1] + timedelta(days=1) == QUARTERS[second][0]
    }
    # the script, worked out by hand: not rep-east-city2-2 at exactly 100.00 % twice
    assert deserving == {("rep-east-city1-1", "2026-Q3"), ("rep-east-city2-3", "2026-Q3")}

    counts = await evaluate_at(env, "2026-11-30T09:00:00+08:00")
    assert counts["rule_alerts"] == 2, counts
    assert (await evaluate_at(env, "2026-11-30T10:00:00+08:00"))["rule_alerts"] == 0
    rep, cycle_id = "rep-east-city1-1", "2026-Q3"  # the one the workflow follows
    alert = await the_alert_on_the_topic(
        env, rule_alert_id("certification", person_for(rep, "rep").person_id, cycle_id)
    )
    assert alert["cycle_ids"] == ["2026-Q2", "2026-Q3"]
    assert alert["kr_ids"] == [kr_id(rep, "2026-Q2"), kr_id(rep, "2026-Q3")]
    assert [Decimal(p) for p in alert["progress_pct"]] == [
        values[kr_id(rep, q)] * 100 / PENETRATION_TARGET for q in ("2026-Q2", "2026-Q3")
    ]
    suggested = [
        a for a in await published_alerts(env.settings)
        if a["type"] == "alert.person.certification_suggested"
    ]  # fmt: skip
    assert {(a["person_id"], a["cycle_ids"][1]) for a in suggested} == {
        (person_for(r, "rep").person_id, c) for r, c in deserving
    }
    await _workflow(env, person_for(rep, "rep"), cycle_id)

    # On SSE the suggestion reaches the person and those who see everything (HQ, auditors),
    # not another rep nor a manager of another region.
    conn = await asyncpg.connect(env.settings.dsn)
    try:
        readers = {
            name: await create_client(conn, f"sse-{name}", actor.role, actor.person_id,
                                      actor.unit_id)
            for name, actor in (
                ("rep", person_for(rep, "rep")), ("hq", person_for("hq", "hq")),
                ("other-rep", person_for("rep-east-city1-2", "rep")),
                ("west", person_for("west", "region")),
            )
        }  # fmt: skip
        auditor = await create_client(conn, "sse-auditor", "auditor", "p-audit", "hq")
    finally:
        await conn.close()
    base = f"http://127.0.0.1:{env.settings.api_port}"
    kind = "person.certification_suggested"
    readers["auditor"] = auditor
    replays = [alerts_seen_on_sse(base, token, kind) for token in readers.values()]
    seen = dict(zip(readers, await asyncio.gather(*replays), strict=True))
    mine, every = {str(alert["alert_id"])}, {str(a["alert_id"]) for a in suggested}
    assert seen == {"rep": mine, "hq": every, "auditor": every, "other-rep": set(), "west": set()}


async def _workflow(env, rep, cycle_id: str) -> None:
    conn = await asyncpg.connect(env.settings.dsn)
    try:
        tokens = {
            who: await create_client(conn, who, actor.role, actor.person_id, actor.unit_id)
            for who, actor in (
                ("rep", rep), ("hq", person_for("hq", "hq")),
                ("city", person_for("east-city1", "city")),
                ("other-city", person_for("east-city2", "city")),
                ("west", person_for("west", "region")),
            )
        }  # fmt: skip
    finally:
        await conn.close()
    base = await start_api(env)
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:

        async def post(who: str, verb: str, body: dict, person: str = rep.person_id) -> int:
            reply = await http.post(
                f"/v1/okr/certifications/{person}/{cycle_id}/{verb}", json=body,
                headers=bearer(tokens[who]),
            )  # fmt: skip
            return reply.status_code

        grant = {"recommended_projects": ["sp-campus"], "note": "校园渠道需要她的客户经营经验"}
        assert await post("rep", "nominate", {"note": "me"}) == 403
        assert await post("other-city", "nominate", {"note": "not mine"}) == 403
        assert await post("hq", "grant", grant) == 409  # nobody nominated her yet
        not_suggested = person_for("rep-east-city1-2", "rep").person_id
        assert await post("city", "nominate", {"note": "x"}, not_suggested) == 409

        # the happy path on the board: her manager nominates, HQ grants with a project
        city, hq = person_for("east-city1", "city"), person_for("hq", "hq")
        await add_board_users(
            env, {"mia": ("manager", city.person_id, city.unit_id),
                  "hana": ("hq_admin", hq.person_id, hq.unit_id)}, PASSWORD,
        )  # fmt: skip
        async with board_sessions(base, PASSWORD) as board:
            manager = await board.log_in("mia")
            item = manager.locator(f'.certification[data-person="{rep.person_id}"]')
            await item.locator("input[name=note]").fill("两个季度高端客户渗透率超额")
            await item.locator("button.nominate").click()
            await expect(manager.locator("#notice")).to_have_text("已提名，等待总部")
            await okr_read_models_caught_up(env.settings)
            assert await post("hq", "grant", {"recommended_projects": ["sp-nowhere"]}) == 422
            head = await board.log_in("hana")
            item = head.locator(f'.certification[data-person="{rep.person_id}"]')
            await expect(item).to_have_attribute("data-status", "nominated")
            await item.locator('input[name=project][value="sp-campus"]').check()
            await item.locator("button.grant").click()
            await expect(head.locator("#notice")).to_have_text("已授予认证")
            assert board.errors == []
        assert await post("hq", "grant", grant) == 409  # certified already
        await okr_read_models_caught_up(env.settings)

        async def listed(who: str) -> list[dict]:
            reply = await http.get("/v1/okr/certifications", headers=bearer(tokens[who]))
            assert reply.status_code == 200, reply.text
            return reply.json()

        rows = {r["person_id"]: r for r in await listed("hq")}  # hers and rep-east-city2-3's
        assert set(rows) == {rep.person_id, person_for("rep-east-city2-3", "rep").person_id}
        row = rows[rep.person_id]
        assert (row["person_id"], row["cycle_ids"], row["status"]) == (
            rep.person_id, ["2026-Q2", "2026-Q3"], "granted"
        )  # fmt: skip
        assert row["nominated_by"] == person_for("east-city1", "city").person_id
        assert row["recommended_projects"] == ["sp-campus"]
        assert await listed("rep") == [row] and await listed("west") == []
        projects = await http.get("/v1/okr/strategic-projects", headers=bearer(tokens["rep"]))
        assert [p["project_id"] for p in projects.json()] == sorted(
            p.project_id for p in STRATEGIC_PROJECTS
        )
