"""Every role x every endpoint x an object in its scope and one outside it, on the seeded
company over real HTTP: each out-of-scope read or write is refused (403/404), each in-scope one
is allowed (2xx), unauthenticated calls get 401. The test fails if the API gains an endpoint
that no row below exercises."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import pytest

from infra.postgres.accounts import create_client
from tests.stack import eventually, live_okr_company, start_api

PEOPLE = {
    "rep": ("rep", "p-rep-shanghai-01", "rep-shanghai-01"),
    "manager": ("manager", "p-mgr-shanghai", "shanghai"),
    "hq": ("hq_admin", "p-mgr-hq", "hq"),
    "auditor": ("auditor", "p-audit", "hq"),
    "hrbp": ("hrbp", "p-hrbp-south", "south"),  # outside Shanghai and Hangzhou
}
SERVICES = {"ingest": "ingest", "reader": "reader", "admin": "admin"}
ROLES = (*PEOPLE, *SERVICES)
KR_REP = "kr-rep-shanghai-01-premium-revenue"  # the rep's; under the manager
KR_SIBLING = "kr-rep-shanghai-02-premium-revenue"  # under the manager, not the rep's
KR_ELSEWHERE = "kr-rep-hangzhou-01-premium-revenue"  # outside both
OBJ_REP, OBJ_ELSEWHERE = "o-rep-shanghai-01", "o-hangzhou"
CYCLE = "2026-Q4"
# endpoints everybody may call: no object, no role (they are how one gets a role)
PUBLIC = {("GET", "/healthz"), ("POST", "/v1/session"), ("GET", "/v1/session/link/{token}")}


@dataclass
class Matrix:
    http: httpx.AsyncClient
    tokens: dict[str, str]
    covered: set[tuple[str, str]] = field(default_factory=set)
    failures: list[str] = field(default_factory=list)

    async def call(
        self, role: str | None, method: str, route: str, body: Any = None, **params: Any
    ) -> httpx.Response:
        query = params.pop("query", None)
        path = route.format(**params)
        headers = {"Authorization": f"Bearer {self.tokens[role]}"} if role else {}
        return await self.http.request(method, path, json=body, headers=headers, params=query)

    async def expect(
        self,
        allowed: set[str],
        method: str,
        route: str,
        body: Any = None,
        roles: tuple[str, ...] = ROLES,
        **params: Any,
    ) -> None:
        """`allowed` roles get 2xx, the others 403/404, nobody 401."""
        self.covered.add((method, route))
        for role in (None, *roles):
            reply = await self.call(role, method, route, body, **params)
            code = reply.status_code
            if role is None:
                ok = code == 401
            elif role in allowed:
                ok = 200 <= code < 300
            else:
                ok = code in (403, 404)
            if not ok:
                self.failures.append(f"{role} {method} {route} {params}: {code} {reply.text[:200]}")


@pytest.fixture
async def matrix(env, tmp_path):
    await live_okr_company(env, tmp_path, adjustments=0)
    conn = await asyncpg.connect(env.settings.dsn)
    try:
        tokens = {name: await create_client(conn, name, *who) for name, who in PEOPLE.items()}
        for name, role in SERVICES.items():
            tokens[name] = await create_client(conn, name, role)
        tokens["hz-manager"] = await create_client(
            conn, "hz-manager", "manager", "p-mgr-hangzhou", "hangzhou"
        )
    finally:
        await conn.close()
    base = await start_api(env)
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        yield Matrix(http, tokens)


KR_READS = (
    "/v1/okr/key-results/{kr_id}",
    "/v1/okr/key-results/{kr_id}/adjustments",
    "/v1/okr/key-results/{kr_id}/events",
    "/v1/okr/key-results/{kr_id}/check-in-hints",
)


async def test_every_role_every_endpoint_in_and_out_of_scope(matrix: Matrix):
    m = matrix
    people = set(PEOPLE)
    all_readers = {"hq", "auditor"}

    # ---- reads of one KR or objective: in scope for some people, out of scope for others
    for route in KR_READS:
        await m.expect({"rep", "manager", *all_readers}, "GET", route, kr_id=KR_REP)
        await m.expect({"manager", *all_readers}, "GET", route, kr_id=KR_SIBLING)
        await m.expect(all_readers, "GET", route, kr_id=KR_ELSEWHERE)
    for route in (
        "/v1/okr/objectives/{objective_id}/chain",
        "/v1/okr/objectives/{objective_id}/progress",
    ):
        await m.expect({"rep", "manager", *all_readers}, "GET", route, objective_id=OBJ_REP)
        await m.expect(all_readers, "GET", route, objective_id=OBJ_ELSEWHERE)
    agenda = "/v1/okr/calibration/agenda"
    window = {"cycle_start": "2026-10-01", "cycle_end": "2026-12-31"}
    for unit, allowed in (
        ("rep-shanghai-01", {"rep", "manager", *all_readers}),
        ("shanghai", {"manager", *all_readers}),
        ("hangzhou", all_readers),
    ):
        await m.expect(allowed, "GET", agenda, query={**window, "unit_id": unit})
        await m.expect(allowed, "GET", "/v1/okr/scorecards/units/{unit_id}", unit_id=unit)
        months = {"unit_id": unit, "from": "2026-10", "to": "2026-11"}
        await m.expect(allowed, "GET", "/v1/analytics/churn", query=months)
        days = {"unit_id": unit, "from": "2026-10-01", "to": "2026-11-30"}
        await m.expect(allowed, "GET", "/v1/analytics/scenarios", query=days)
    person_card = "/v1/okr/scorecards/people/{person_id}"
    for person, allowed in (
        ("p-rep-shanghai-01", {"rep", "manager", *all_readers}),
        ("p-rep-shanghai-02", {"manager", *all_readers}),
        ("p-rep-hangzhou-01", all_readers),
    ):
        await m.expect(allowed, "GET", person_card, person_id=person)

    # ---- lists and documents filtered to the caller's scope
    for route in ("/v1/okr/objectives", "/v1/board", "/v1/session"):
        await m.expect(people, "GET", route)
    listed = await m.call("rep", "GET", "/v1/okr/objectives")
    assert OBJ_ELSEWHERE not in {o["objective_id"] for o in listed.json()}
    for role, absent in (("rep", KR_SIBLING), ("manager", KR_ELSEWHERE)):
        board = (await m.call(role, "GET", "/v1/board")).json()
        assert absent not in {k["kr_id"] for k in board["krs"]}, role
    await m.expect(people, "GET", "/v1/okr/cleanup")  # each sees their own subtree's owners
    for route in ("/v1/okr/north-star", "/v1/okr/cycles"):
        await m.expect(people, "GET", route)  # company-wide facts: every person reads them
    await m.expect(people, "GET", "/v1/okr/hints", query={"title": "完成拜访"})

    # ---- service and audit reads
    catalog = {"reader", "admin", "hq", "auditor"}
    await m.expect(catalog, "GET", "/v1/key-results")
    await m.expect(catalog, "GET", "/v1/key-results/{kr_id}", kr_id=KR_REP)
    auditors = {"auditor", "hq", "admin"}
    for route in (
        "/v1/audit/target-changes",
        "/v1/audit/weight-changes",
        "/v1/audit/escalation-response-times",
        "/v1/audit/adoption",
        "/v1/audit/manual-vs-system",
        "/v1/analytics/launches",
        "/v1/audit/projection-skips",
        "/v1/audit/charts/response-times.svg",
        "/v1/audit/charts/goal-views.svg",
        "/v1/audit/charts/field-figures.svg",
    ):
        await m.expect(auditors, "GET", route)
    m.covered.add(("GET", "/v1/alerts/stream"))
    for role in (None, *ROLES):
        headers = {"Authorization": f"Bearer {m.tokens[role]}"} if role else {}
        async with m.http.stream("GET", "/v1/alerts/stream", headers=headers) as reply:
            want = 401 if role is None else 403 if role == "ingest" else 200
            assert reply.status_code == want, role

    # ---- writes: ingest
    sale = {
        "type": "sales.sale_recorded",
        "source_system": "pos",
        "source_id": "matrix-1",
        "occurred_at": datetime.now(UTC).isoformat(),
        "rep_id": "rep-shanghai-01",
        "customer_id": "c-1",
        "sku": "sku-premium-1",
        "category": "premium",
        "channel": "retail",
        "quantity": 1,
        "amount_minor": 1000,
        "premium": True,
    }
    await m.expect({"ingest", "admin"}, "POST", "/v1/sales/batch", {"events": [sale]})

    # ---- writes on KRs
    def kr(kr_id: str, owner: str, unit: str) -> dict[str, Any]:
        return {
            "kr_id": kr_id,
            "title": "Visits 40",
            "owner_person_id": owner,
            "owner_unit_id": unit,
            "kind": "increase",
            "unit": "visits",
            "start": "0",
            "target": "40",
        }

    define = "/v1/okr/key-results"
    await m.expect(
        set(),
        "POST",
        define,
        kr("kr-m-out", "p-rep-hangzhou-01", "rep-hangzhou-01"),
        roles=("rep", "manager", "auditor", *SERVICES),
    )
    await m.expect(
        {"manager"},
        "POST",
        define,
        kr("kr-m-in", "p-rep-shanghai-02", "rep-shanghai-02"),
        roles=("rep", "manager", "auditor"),
    )
    await m.expect(
        {"hq"}, "POST", define, kr("kr-h-in", "p-rep-hangzhou-01", "rep-hangzhou-01"), roles=("hq",)
    )
    three = "/v1/okr/key-results/three-fields"
    form = {"description": "Tasting conversion 30%", "target": "30"}
    await m.expect({"manager", "hq"}, "POST", three, form, roles=("rep", "manager", "auditor",
                   *SERVICES, "hq"))  # fmt: skip

    request = "/v1/okr/key-results/{kr_id}/adjustments"
    ask = {"proposed_target": "777000", "reason": "two new stores", "evidence": ["crm://1"]}
    writers_out = ("auditor", *SERVICES)
    # out of scope (and the roles that never write): refused
    await m.expect(
        set(),
        "POST",
        request,
        {**ask, "request_id": "x-1"},
        roles=("rep", *writers_out),
        kr_id=KR_SIBLING,
    )
    await m.expect(
        set(),
        "POST",
        request,
        {**ask, "request_id": "x-2"},
        roles=("rep", "manager", *writers_out),
        kr_id=KR_ELSEWHERE,
    )
    # in scope: allowed
    await m.expect(
        {"rep"}, "POST", request, {**ask, "request_id": "r-1"}, roles=("rep",), kr_id=KR_REP
    )
    await m.expect(
        {"manager"},
        "POST",
        request,
        {**ask, "request_id": "m-1"},
        roles=("manager",),
        kr_id=KR_SIBLING,
    )
    await m.expect(
        {"hq"}, "POST", request, {**ask, "request_id": "h-1"}, roles=("hq",), kr_id=KR_ELSEWHERE
    )

    decide = "/v1/okr/key-results/{kr_id}/adjustments/{request_id}/{verb}"
    apply_ = "/v1/okr/key-results/{kr_id}/adjustments/{request_id}/apply"
    # nobody out of scope decides or applies (the rep never decides; the manager not in Hangzhou)
    for verb, body in (("approve", {"note": "x"}), ("reject", {"reason": "keep it"})):
        route = decide.replace("{verb}", verb)
        await m.expect(
            set(),
            "POST",
            route,
            body,
            roles=("rep", *writers_out),
            kr_id=KR_SIBLING,
            request_id="m-1",
        )
        await m.expect(
            set(),
            "POST",
            route,
            body,
            roles=("rep", "manager", *writers_out),
            kr_id=KR_ELSEWHERE,
            request_id="h-1",
        )
    await m.expect(
        set(),
        "POST",
        apply_,
        {},
        roles=("rep", "manager", *writers_out),
        kr_id=KR_ELSEWHERE,
        request_id="h-1",
    )
    # in scope: the manager approves the rep's request and applies it; HQ the manager's
    approve = decide.replace("{verb}", "approve")
    await m.expect(
        {"manager"},
        "POST",
        approve,
        {"note": "ok"},
        roles=("manager",),
        kr_id=KR_REP,
        request_id="r-1",
    )
    await m.expect(
        {"manager"}, "POST", apply_, {}, roles=("manager",), kr_id=KR_REP, request_id="r-1"
    )
    await m.expect(
        {"hq"}, "POST", approve, {"note": "ok"}, roles=("hq",), kr_id=KR_SIBLING, request_id="m-1"
    )
    await m.expect(
        set(), "POST", apply_, {}, roles=("rep", *writers_out), kr_id=KR_SIBLING, request_id="m-1"
    )
    await m.expect({"hq"}, "POST", apply_, {}, roles=("hq",), kr_id=KR_SIBLING, request_id="m-1")
    # reject: the Hangzhou manager rejects HQ's request on their rep's KR; the manager the rep's
    reject = decide.replace("{verb}", "reject")
    m.tokens["hz"] = m.tokens["hz-manager"]
    await m.expect(
        {"hz"},
        "POST",
        reject,
        {"reason": "keep it"},
        roles=("hz",),
        kr_id=KR_ELSEWHERE,
        request_id="h-1",
    )
    await m.expect(
        {"rep"},
        "POST",
        request,
        {**ask, "request_id": "r-2", "proposed_target": "778000"},
        roles=("rep",),
        kr_id=KR_REP,
    )
    await m.expect(
        {"manager"},
        "POST",
        reject,
        {"reason": "keep it"},
        roles=("manager",),
        kr_id=KR_REP,
        request_id="r-2",
    )
    # cancel: only the requester
    cancel = "/v1/okr/key-results/{kr_id}/adjustments/{request_id}/cancel"
    await m.expect(
        {"rep"},
        "POST",
        request,
        {**ask, "request_id": "r-3", "proposed_target": "779000"},
        roles=("rep",),
        kr_id=KR_REP,
    )
    await m.expect(
        set(),
        "POST",
        cancel,
        {},
        roles=("manager", "hq", *writers_out),
        kr_id=KR_REP,
        request_id="r-3",
    )
    await m.expect({"rep"}, "POST", cancel, {}, roles=("rep",), kr_id=KR_REP, request_id="r-3")

    check_in = "/v1/okr/key-results/{kr_id}/check-ins"
    blocked = {"summary": "本周拜访 14 家门店", "progress_value": "3", "blocker": "缺货"}
    await m.expect(set(), "POST", check_in, blocked, roles=("rep", *writers_out), kr_id=KR_SIBLING)
    await m.expect(set(), "POST", check_in, blocked, roles=("manager",), kr_id=KR_ELSEWHERE)
    await m.expect(
        {"rep", "manager", "hq"},
        "POST",
        check_in,
        blocked,
        roles=("rep", "manager", "hq"),
        kr_id=KR_REP,
    )
    comments = "/v1/okr/key-results/{kr_id}/comments"
    note = {"comment": "see the tasting results"}
    await m.expect(set(), "POST", comments, note, roles=("rep", "hrbp", *writers_out), kr_id=KR_REP)
    await m.expect(set(), "POST", comments, note, roles=("manager",), kr_id=KR_ELSEWHERE)
    await m.expect({"manager", "hq"}, "POST", comments, note, roles=("manager", "hq"), kr_id=KR_REP)
    escalate = "/v1/okr/key-results/{kr_id}/blocker/escalate"
    await m.expect(
        set(),
        "POST",
        escalate,
        {"to_unit_id": "east"},
        roles=("rep", *writers_out),
        kr_id=KR_SIBLING,
    )
    await m.expect({"rep"}, "POST", escalate, {"to_unit_id": "east"}, roles=("rep",), kr_id=KR_REP)

    # ---- objectives
    def objective(oid: str, owner: str, unit: str) -> dict[str, Any]:
        return {
            "objective_id": oid,
            "title": "Grow premium",
            "owner_person_id": owner,
            "owner_unit_id": unit,
            "cycle_id": CYCLE,
        }

    objectives = "/v1/okr/objectives"
    await m.expect(
        set(),
        "POST",
        objectives,
        objective("o-x", "p-rep-hangzhou-01", "rep-hangzhou-01"),
        roles=("rep", "manager", *writers_out),
    )
    await m.expect(
        {"rep"},
        "POST",
        objectives,
        objective("o-r", "p-rep-shanghai-01", "rep-shanghai-01"),
        roles=("rep",),
    )
    await m.expect(
        {"manager"},
        "POST",
        objectives,
        objective("o-m", "p-rep-shanghai-02", "rep-shanghai-02"),
        roles=("manager",),
    )
    mine = {"owner_person_id": "p-rep-shanghai-01", "cycle_id": CYCLE}
    elsewhere = {"owner_person_id": "p-mgr-hangzhou", "cycle_id": CYCLE}
    align = "/v1/okr/objectives/{objective_id}/align"
    weights = "/v1/okr/objectives/{objective_id}/kr-weights"
    close = "/v1/okr/objectives/{objective_id}/close"
    parents = {"contributes_to": [{"parent_id": "o-shanghai", "weight": "20"}]}
    await m.expect(
        set(),
        "POST",
        align,
        {**elsewhere, **parents},
        roles=("rep", "manager", *writers_out),
        objective_id=OBJ_ELSEWHERE,
    )
    await m.expect(
        {"rep", "manager", "hq"},
        "POST",
        align,
        {**mine, **parents},
        roles=("rep", "manager", "hq"),
        objective_id="o-r",
    )
    await m.expect(
        set(),
        "PUT",
        weights,
        {**elsewhere, "weights": {KR_ELSEWHERE: "100"}},
        roles=("rep", "manager", *writers_out),
        objective_id=OBJ_ELSEWHERE,
    )
    await m.expect(
        {"rep", "manager", "hq"},
        "PUT",
        weights,
        {**mine, "weights": {KR_REP: "100"}},
        roles=("rep", "manager", "hq"),
        objective_id="o-r",
    )
    await m.expect(
        set(),
        "POST",
        close,
        {**elsewhere, "outcome": "dropped"},
        roles=("rep", "manager", *writers_out),
        objective_id=OBJ_ELSEWHERE,
    )
    await m.expect(
        {"rep"}, "POST", close, {**mine, "outcome": "dropped"}, roles=("rep",), objective_id="o-r"
    )

    # ---- HQ's own writes
    await m.expect({"hq"}, "PUT", "/v1/okr/policy/focus", {"mode": "block"})
    cycle = {
        "cycle_id": "2027-Q1",
        "kind": "quarter",
        "starts_on": "2027-01-01",
        "ends_on": "2027-03-31",
    }
    await m.expect({"hq"}, "POST", "/v1/okr/cycles", cycle, roles=ROLES)
    star = {
        "metric": "premium repeat buyers",
        "target": "12000",
        "unit": "customers",
        "owner_person_id": "p-mgr-hq",
    }
    await m.expect({"hq"}, "PUT", "/v1/okr/north-star", star)

    # ---- calibration
    meetings = "/v1/okr/calibration/meetings"
    at = datetime.now(UTC).isoformat()

    def meeting(mid: str, unit: str) -> dict[str, Any]:
        return {"meeting_id": mid, "unit_id": unit, "cycle_id": CYCLE, "starts_at": at}

    await m.expect(
        set(),
        "POST",
        meetings,
        meeting("cal-x", "hangzhou"),
        roles=("rep", "manager", *writers_out),
    )
    await m.expect({"manager"}, "POST", meetings, meeting("cal-sh", "shanghai"), roles=("manager",))
    await m.expect({"hq"}, "POST", meetings, meeting("cal-hz", "hangzhou"), roles=("hq",))
    outcomes = "/v1/okr/calibration/meetings/{meeting_id}/outcomes"
    decided = {"decisions": ["more tastings in January"]}
    await m.expect(
        set(),
        "POST",
        outcomes,
        decided,
        roles=("rep", "manager", *writers_out),
        meeting_id="cal-hz",
    )
    await m.expect({"manager"}, "POST", outcomes, decided, roles=("manager",), meeting_id="cal-sh")
    minutes = "/v1/okr/calibration/meetings/{meeting_id}"

    async def projected() -> bool:  # the minutes and the inbox are read models
        answers = [
            await m.call("hq", "GET", minutes, meeting_id=mid) for mid in ("cal-sh", "cal-hz")
        ]
        inbox = (await m.call("hq", "GET", "/v1/okr/escalations")).json()
        return all(a.status_code == 200 for a in answers) and any(
            e["kr_id"] == KR_REP for e in inbox
        )

    await eventually(projected, 60, "the minutes and the escalation in the read models")
    await m.expect({"manager", *all_readers}, "GET", minutes, meeting_id="cal-sh")
    listed = "/v1/okr/calibration/meetings"
    await m.expect({"manager", *all_readers}, "GET", listed, query={"unit_id": "shanghai"})
    await m.expect(all_readers, "GET", listed, query={"unit_id": "hangzhou"})
    cadence = "/v1/okr/calibration/cadences/{unit_id}"
    rhythm = {"every_days": 14, "first_at": at}
    await m.expect(
        set(), "PUT", cadence, rhythm, roles=("rep", "manager", *writers_out), unit_id="hangzhou"
    )
    await m.expect({"manager", "hq"}, "PUT", cadence, rhythm, roles=("manager", "hq"),
                   unit_id="shanghai")  # fmt: skip
    await m.expect(all_readers, "GET", minutes, meeting_id="cal-hz")

    # ---- escalations: the rep's blocker went to the east region; HQ sees and answers it
    await m.expect(people, "GET", "/v1/okr/escalations")
    inbox = (await m.call("hq", "GET", "/v1/okr/escalations")).json()
    (raised,) = [e["escalation_id"] for e in inbox if e["kr_id"] == KR_REP]
    assert raised not in {
        e["escalation_id"] for e in (await m.call("manager", "GET", "/v1/okr/escalations")).json()
    }
    for verb, body in (("acknowledge", {"note": "seen"}), ("resolve", {"note": "truck sent"})):
        await m.expect(
            {"hq"},
            "POST",
            f"/v1/okr/escalations/{{escalation_id}}/{verb}",
            body,
            roles=("rep", "manager", "auditor", *SERVICES, "hq"),  # hq last: it changes state
            escalation_id=raised,
        )

    # ---- practices
    practices = "/v1/okr/practices"

    def practice(pid: str, unit: str) -> dict[str, Any]:
        return {
            "practice_id": pid,
            "kr_id": KR_REP,
            "unit_id": unit,
            "title": "Tastings",
            "description": "weekend tastings",
            "evidence": "crm://report/1",
        }

    await m.expect(
        set(), "POST", practices, practice("pr-x", "rep-shanghai-02"), roles=("rep", *writers_out)
    )
    await m.expect({"rep"}, "POST", practices, practice("pr-r", "rep-shanghai-01"), roles=("rep",))
    adopt = "/v1/okr/practices/{practice_id}/adopt"
    await m.expect(
        set(),
        "POST",
        adopt,
        {"unit_id": "rep-hangzhou-01"},
        roles=("rep", "manager", *writers_out),
        practice_id="pr-r",
    )
    await m.expect(
        {"manager"},
        "POST",
        adopt,
        {"unit_id": "rep-shanghai-02"},
        roles=("manager",),
        practice_id="pr-r",
    )

    async def published() -> bool:  # practices are read models
        return (await m.call("hq", "GET", "/v1/okr/practices/{practice_id}",
                             practice_id="pr-r")).status_code == 200  # fmt: skip

    await eventually(published, 60, "the practice in the read models")
    await m.expect(people, "GET", "/v1/okr/practices", query={"tag": "tastings"})
    await m.expect(people, "GET", "/v1/okr/practices/{practice_id}", practice_id="pr-r")

    # ---- who sets a region's OKRs: HQ centralises the south, whose HRBP proposes, HQ decides
    governance = "/v1/okr/policy/governance/{region_id}"
    await m.expect({"hq"}, "PUT", governance, {"mode": "centralised"}, region_id="south")
    await m.expect(people, "GET", "/v1/okr/policy/governance")
    south_kr = kr("kr-south", "p-rep-guangzhou-01", "rep-guangzhou-01")
    await m.expect(
        set(),
        "POST",
        define,
        {**south_kr, "kr_id": "kr-south-m"},
        roles=("rep", "manager", "hrbp", "auditor", *SERVICES),
    )
    propose_kr = "/v1/okr/proposals/key-results"
    await m.expect({"hrbp"}, "POST", propose_kr, {**south_kr, "proposal_id": "pp-1"})
    shanghai_kr = kr("kr-sh-p", "p-rep-shanghai-02", "rep-shanghai-02")
    await m.expect(set(), "POST", propose_kr, {**shanghai_kr, "proposal_id": "pp-x"})
    south_objective = objective("o-south", "p-rep-guangzhou-01", "rep-guangzhou-01")
    await m.expect(
        {"hrbp"}, "POST", "/v1/okr/proposals/objectives", {**south_objective, "proposal_id": "pp-2"}
    )
    for verb, body, pid in (("approve", {"note": "ok"}, "pp-1"), ("reject", {"reason": "not now"},
                            "pp-2")):  # fmt: skip
        await m.expect(
            {"hq"},
            "POST",
            f"/v1/okr/proposals/{{proposal_id}}/{verb}",
            body,
            roles=("rep", "manager", "hrbp", "auditor", *SERVICES, "hq"),  # hq last: it decides
            proposal_id=pid,
        )
    await m.expect(people, "GET", "/v1/okr/proposals")

    # ---- certification: nominated by a manager above the person, granted by HQ; nobody in
    # this company was suggested (no two ended cycles), so the one allowed gets 409
    await m.expect(people, "GET", "/v1/okr/certifications")
    await m.expect(people, "GET", "/v1/okr/strategic-projects")
    card = "/v1/okr/certifications/{person_id}/{cycle_id}"
    who = {"person_id": "p-rep-shanghai-01", "cycle_id": CYCLE}
    for verb, body, decider in (
        ("nominate", {"note": "两个季度超额"}, "manager"),
        ("grant", {"recommended_projects": ["sp-campus"]}, "hq"),
    ):
        others = tuple(r for r in ROLES if r != decider)
        await m.expect(set(), "POST", f"{card}/{verb}", body, roles=others, **who)
        reply = await m.call(decider, "POST", f"{card}/{verb}", body, **who)
        assert reply.status_code == 409, reply.text
    shanghai_view = await m.call("manager", "GET", "/v1/okr/proposals")
    assert shanghai_view.json() == []  # the south's proposals are outside Shanghai's part

    # ---- logging out ends only one's own session; services have none
    await m.expect(people, "DELETE", "/v1/session")

    assert not m.failures, "\n".join(m.failures)
    schema = (await m.http.get("/openapi.json")).json()
    endpoints = {
        (method.upper(), path) for path, item in schema["paths"].items() for method in item
    }
    assert endpoints - PUBLIC - m.covered == set(), "endpoints without a row in the matrix"
