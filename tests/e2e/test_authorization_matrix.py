"""Every role x every endpoint of the API's route table, on the seeded company over real HTTP,
one test row each: unauthenticated calls get exactly 401; a role in the row's allowed set gets
exactly the route's own success status; every other role exactly 403 ("a refused read or write
is a 403 naming why": every object named here exists) — and the event store says what the call
did: a refusal or a read appended nothing, an allowed command appended at least one event.
A route with no case below is a failing row of its own.

Rows do not depend on each other: every object a row changes is its own, made (by the roles
allowed to) before any row runs, and a refusal is aimed at objects no allowed row touches."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest

from infra.postgres.accounts import create_client
from tests.stack import (
    create_env,
    drop_env,
    eventually,
    live_okr_company,
    okr_read_models_caught_up,
    start_api,
)

PEOPLE = {
    "rep": ("rep", "p-rep-shanghai-01", "rep-shanghai-01"),
    "manager": ("manager", "p-mgr-shanghai", "shanghai"),
    "hq": ("hq_admin", "p-mgr-hq", "hq"),
    "auditor": ("auditor", "p-audit", "hq"),
    "hrbp": ("hrbp", "p-hrbp-south", "south"),  # outside Shanghai and Hangzhou
    "hz": ("manager", "p-mgr-hangzhou", "hangzhou"),  # only where named
}
SERVICES = {"ingest": "ingest", "reader": "reader", "admin": "admin"}
ROLES = ("rep", "manager", "hq", "auditor", "hrbp", *SERVICES)
PERSONS = ("rep", "manager", "hq", "auditor", "hrbp")
READERS = ("hq", "auditor")  # who reads everything
NEVER_WRITE = ("auditor", *SERVICES)
KR_REP = "kr-rep-shanghai-01-premium-revenue"  # the rep's; under the manager
KR_SIBLING = "kr-rep-shanghai-02-premium-revenue"  # under the manager, not the rep's
KR_ELSEWHERE = "kr-rep-hangzhou-01-premium-revenue"  # outside both
OBJ_REP, OBJ_ELSEWHERE = "o-rep-shanghai-01", "o-hangzhou"
# whose KRs the rows' own objects are: (person, unit)
REP = ("p-rep-shanghai-01", "rep-shanghai-01")
SIBLING = ("p-rep-shanghai-02", "rep-shanghai-02")
HZ_REP = ("p-rep-hangzhou-01", "rep-hangzhou-01")
SOUTH_REP = ("p-rep-guangzhou-01", "rep-guangzhou-01")
PUBLIC = {("GET", "/healthz"), ("POST", "/v1/session"), ("GET", "/v1/session/link/{token}")}
ADJUSTMENT = "/v1/okr/key-results/{kr_id}/adjustments/{request_id}"


@dataclass(frozen=True)
class Case:
    """One endpoint on one object: the roles tried, those allowed. Strings in params, query
    and body may hold `{role}` (each role's own id) and `{cycle}` (the seeded quarter)."""

    method: str
    route: str
    allowed: tuple[str, ...]
    roles: tuple[str, ...] = ROLES
    params: tuple[tuple[str, str], ...] = ()
    body: Any = None
    query: tuple[tuple[str, str], ...] = ()
    label: str = ""
    status: int | None = None  # the allowed roles' answer, when not the route's success


def case(method: str, route: str, allowed: tuple[str, ...] | set[str] = (), **kw: Any) -> Case:
    params = tuple(sorted((k, v) for k, v in kw.pop("params", {}).items()))
    query = tuple(sorted(kw.pop("query", {}).items()))
    return Case(method, route, tuple(sorted(allowed)), params=params, query=query, **kw)


def kr_body(kr_id: str, owner: tuple[str, str]) -> dict[str, Any]:
    return {
        "kr_id": kr_id,
        "title": "Visits 40",
        "owner_person_id": owner[0],
        "owner_unit_id": owner[1],
        "kind": "increase",
        "unit": "visits",
        "start": "0",
        "target": "40",
    }


def objective_body(objective_id: str, owner: tuple[str, str]) -> dict[str, Any]:
    return {
        "objective_id": objective_id,
        "title": "Grow premium",
        "owner_person_id": owner[0],
        "owner_unit_id": owner[1],
        "cycle_id": "{cycle}",
    }


def portfolio(owner: tuple[str, str]) -> dict[str, str]:
    return {"owner_person_id": owner[0], "cycle_id": "{cycle}"}


ASK = {"proposed_target": "777000", "reason": "two new stores", "evidence": ["crm://1"]}
BLOCKED = {"summary": "本周拜访 14 家门店", "progress_value": "3", "blocker": "缺货"}
SALE = {
    "type": "sales.sale_recorded",
    "source_system": "pos",
    "source_id": "matrix-{role}",
    "occurred_at": "2026-11-16T10:00:00+08:00",
    "rep_id": "rep-shanghai-01",
    "customer_id": "c-1",
    "sku": "sku-premium-1",
    "category": "premium",
    "channel": "retail",
    "quantity": 1,
    "amount_minor": 1000,
    "premium": True,
}
PRACTICE = {
    "kr_id": KR_REP,
    "title": "Tastings",
    "description": "weekend tastings",
    "evidence": "crm://report/1",
}
WINDOW = {"cycle_start": "2026-10-01", "cycle_end": "2026-12-31"}


def read_cases() -> list[Case]:
    people, cases = PERSONS, []
    for route in (
        "/v1/okr/key-results/{kr_id}",
        "/v1/okr/key-results/{kr_id}/adjustments",
        "/v1/okr/key-results/{kr_id}/events",
        "/v1/okr/key-results/{kr_id}/check-in-hints",
    ):
        cases += [
            case("GET", route, {"rep", "manager", *READERS}, params={"kr_id": KR_REP}),
            case("GET", route, {"manager", *READERS}, params={"kr_id": KR_SIBLING}),
            case("GET", route, READERS, params={"kr_id": KR_ELSEWHERE}),
        ]
    for route in (
        "/v1/okr/objectives/{objective_id}/chain",
        "/v1/okr/objectives/{objective_id}/progress",
    ):
        cases += [
            case("GET", route, {"rep", "manager", *READERS}, params={"objective_id": OBJ_REP}),
            case("GET", route, READERS, params={"objective_id": OBJ_ELSEWHERE}),
        ]
    for unit, allowed in (
        ("rep-shanghai-01", {"rep", "manager", *READERS}),
        ("shanghai", {"manager", *READERS}),
        ("hangzhou", set(READERS)),
    ):
        cases += [
            case("GET", "/v1/okr/calibration/agenda", allowed, query={**WINDOW, "unit_id": unit}),
            case(
                "GET",
                "/v1/okr/scorecards/units/{unit_id}",
                allowed,
                params={"unit_id": unit},
                query={"cycle_id": "{cycle}"},
            ),
            case(
                "GET",
                "/v1/reports/churn",
                allowed,
                query={"unit_id": unit, "from": "2026-10", "to": "2026-11"},
            ),
            case(
                "GET",
                "/v1/reports/scenarios",
                allowed,
                query={"unit_id": unit, "from": "2026-10-01", "to": "2026-11-30"},
            ),
            case("GET", "/v1/okr/calibration/meetings", allowed, query={"unit_id": unit}),
        ]
    for person, allowed in (
        ("p-rep-shanghai-01", {"rep", "manager", *READERS}),
        ("p-rep-shanghai-02", {"manager", *READERS}),
        ("p-rep-hangzhou-01", set(READERS)),
    ):
        cases.append(
            case(
                "GET",
                "/v1/okr/scorecards/people/{person_id}",
                allowed,
                params={"person_id": person},
                query={"cycle_id": "{cycle}"},
            )
        )
    for route in (
        "/v1/okr/objectives",
        "/v1/board",
        "/v1/session",
        "/v1/okr/north-star",
        "/v1/okr/cycles",
        "/v1/okr/escalations",
        "/v1/okr/policy/governance",
        "/v1/okr/proposals",
        "/v1/okr/certifications",
        "/v1/okr/strategic-projects",
    ):
        cases.append(case("GET", route, people))
    cases += [
        case("GET", "/v1/okr/cleanup", people, query={"cycle_id": "{cycle}"}),
        case("GET", "/v1/okr/hints", people, query={"title": "完成拜访"}),
        case("GET", "/v1/okr/practices", people, query={"tag": "tastings"}),
        case("GET", "/v1/okr/practices/{practice_id}", people, params={"practice_id": "pr-set"}),
        case("GET", "/v1/key-results", {"reader", "admin", *READERS}),
        case(
            "GET",
            "/v1/key-results/{kr_id}",
            {"reader", "admin", *READERS},
            params={"kr_id": KR_REP},
        ),
        case("GET", "/v1/alerts/stream", {*PERSONS, "reader", "admin"}),
        case(
            "GET",
            "/v1/okr/calibration/meetings/{meeting_id}",
            {"manager", *READERS},
            params={"meeting_id": "cal-sh-set"},
        ),
        case(
            "GET",
            "/v1/okr/calibration/meetings/{meeting_id}",
            READERS,
            params={"meeting_id": "cal-hz-set"},
        ),
    ]
    for route in (
        "/v1/audit/target-changes",
        "/v1/audit/weight-changes",
        "/v1/reports/escalation-times",
        "/v1/reports/adoption",
        "/v1/reports/manual-vs-system",
        "/v1/reports/launches",
        "/v1/audit/projection-skips",
        "/v1/reports/charts/response-times.svg",
        "/v1/reports/charts/goal-views.svg",
        "/v1/reports/charts/field-figures.svg",
    ):
        cases.append(case("GET", route, {"auditor", "hq", "admin"}))
    return cases


def write_cases() -> list[Case]:
    adjust = "/v1/okr/key-results/{kr_id}/adjustments"
    out = ("rep", *NEVER_WRITE, "hrbp")
    return [
        case("POST", "/v1/sales/batch", {"ingest", "admin"}, body={"events": [SALE]}),
        # KRs
        case(
            "POST",
            "/v1/okr/key-results",
            (),
            roles=("rep", "manager", *NEVER_WRITE, "hrbp"),
            body=kr_body("mx-def-{role}", HZ_REP),
            label="hangzhou",
        ),
        case(
            "POST",
            "/v1/okr/key-results",
            {"manager"},
            roles=("manager",),
            body=kr_body("mx-def-manager", SIBLING),
        ),
        case(
            "POST", "/v1/okr/key-results", {"hq"}, roles=("hq",), body=kr_body("mx-def-hq", HZ_REP)
        ),
        case(
            "POST",
            "/v1/okr/key-results",
            (),
            roles=("rep", "manager", "hrbp", *NEVER_WRITE),
            body=kr_body("mx-south-{role}", SOUTH_REP),
            label="centralised south",
        ),
        case(
            "POST",
            "/v1/okr/key-results/three-fields",
            {"manager", "hq"},
            body={"description": "Tasting conversion 30%", "target": "30"},
        ),
        # target adjustments, each allowed one on a KR of its own
        case(
            "POST",
            adjust,
            (),
            roles=out,
            params={"kr_id": KR_SIBLING},
            body={**ASK, "request_id": "x-{role}"},
        ),
        case(
            "POST",
            adjust,
            (),
            roles=("manager", *out),
            params={"kr_id": KR_ELSEWHERE},
            body={**ASK, "request_id": "x-{role}"},
        ),
        case(
            "POST",
            adjust,
            {"rep"},
            roles=("rep",),
            params={"kr_id": "mx-ask-rep"},
            body={**ASK, "request_id": "r-1"},
        ),
        case(
            "POST",
            adjust,
            {"manager"},
            roles=("manager",),
            params={"kr_id": "mx-ask-manager"},
            body={**ASK, "request_id": "m-1"},
        ),
        case(
            "POST",
            adjust,
            {"hq"},
            roles=("hq",),
            params={"kr_id": "mx-ask-hq"},
            body={**ASK, "request_id": "h-1"},
        ),
        *[
            c
            for verb, body in (("approve", {"note": "ok"}), ("reject", {"reason": "keep it"}))
            for c in (
                case(
                    "POST",
                    f"{ADJUSTMENT}/{verb}",
                    (),
                    roles=out,
                    body=body,
                    params={"kr_id": "mx-open-sibling", "request_id": "open"},
                ),
                case(
                    "POST",
                    f"{ADJUSTMENT}/{verb}",
                    (),
                    roles=("manager", *out),
                    body=body,
                    params={"kr_id": "mx-open-hz", "request_id": "open"},
                ),
            )
        ],
        case(
            "POST",
            f"{ADJUSTMENT}/approve",
            {"manager"},
            roles=("manager",),
            body={"note": "ok"},
            params={"kr_id": "mx-approve-manager", "request_id": "open"},
        ),
        case(
            "POST",
            f"{ADJUSTMENT}/approve",
            {"hq"},
            roles=("hq",),
            body={"note": "ok"},
            params={"kr_id": "mx-approve-hq", "request_id": "open"},
        ),
        case(
            "POST",
            f"{ADJUSTMENT}/reject",
            {"hz"},
            roles=("hz",),
            body={"reason": "keep it"},
            params={"kr_id": "mx-reject-hz", "request_id": "open"},
        ),
        case(
            "POST",
            f"{ADJUSTMENT}/reject",
            {"manager"},
            roles=("manager",),
            body={"reason": "keep it"},
            params={"kr_id": "mx-reject-manager", "request_id": "open"},
        ),
        case(
            "POST",
            f"{ADJUSTMENT}/apply",
            (),
            roles=("manager", *out),
            body={},
            params={"kr_id": "mx-approved-hz", "request_id": "open"},
        ),
        case(
            "POST",
            f"{ADJUSTMENT}/apply",
            (),
            roles=out,
            body={},
            params={"kr_id": "mx-approved-sibling", "request_id": "open"},
        ),
        case(
            "POST",
            f"{ADJUSTMENT}/apply",
            {"manager"},
            roles=("manager",),
            body={},
            params={"kr_id": "mx-apply-manager", "request_id": "open"},
        ),
        case(
            "POST",
            f"{ADJUSTMENT}/apply",
            {"hq"},
            roles=("hq",),
            body={},
            params={"kr_id": "mx-apply-hq", "request_id": "open"},
        ),
        case(
            "POST",
            f"{ADJUSTMENT}/cancel",
            (),
            roles=("manager", "hq", *NEVER_WRITE, "hrbp"),
            body={},
            params={"kr_id": "mx-cancel-other", "request_id": "open"},
        ),
        case(
            "POST",
            f"{ADJUSTMENT}/cancel",
            {"rep"},
            roles=("rep",),
            body={},
            params={"kr_id": "mx-cancel-rep", "request_id": "open"},
        ),
        # check-ins, comments, escalated blockers
        case(
            "POST",
            "/v1/okr/key-results/{kr_id}/check-ins",
            (),
            roles=out,
            body=BLOCKED,
            params={"kr_id": KR_SIBLING},
        ),
        case(
            "POST",
            "/v1/okr/key-results/{kr_id}/check-ins",
            (),
            roles=("manager",),
            body=BLOCKED,
            params={"kr_id": KR_ELSEWHERE},
        ),
        case(
            "POST",
            "/v1/okr/key-results/{kr_id}/check-ins",
            {"rep", "manager", "hq"},
            roles=("rep", "manager", "hq"),
            body=BLOCKED,
            params={"kr_id": KR_REP},
        ),
        case(
            "POST",
            "/v1/okr/key-results/{kr_id}/comments",
            (),
            roles=out,
            body={"comment": "see the tastings"},
            params={"kr_id": KR_REP},
        ),
        case(
            "POST",
            "/v1/okr/key-results/{kr_id}/comments",
            (),
            roles=("manager",),
            body={"comment": "see the tastings"},
            params={"kr_id": KR_ELSEWHERE},
        ),
        case(
            "POST",
            "/v1/okr/key-results/{kr_id}/comments",
            {"manager", "hq"},
            roles=("manager", "hq"),
            body={"comment": "see the tastings"},
            params={"kr_id": KR_REP},
        ),
        case(
            "POST",
            "/v1/okr/key-results/{kr_id}/blocker/escalate",
            (),
            roles=out,
            body={"to_unit_id": "east"},
            params={"kr_id": "mx-blocked-sibling"},
        ),
        case(
            "POST",
            "/v1/okr/key-results/{kr_id}/blocker/escalate",
            {"rep"},
            roles=("rep",),
            body={"to_unit_id": "east"},
            params={"kr_id": "mx-blocked-rep"},
        ),
        # objectives, each allowed change on an objective of its own
        case(
            "POST",
            "/v1/okr/objectives",
            (),
            roles=("rep", "manager", *NEVER_WRITE, "hrbp"),
            body=objective_body("o-x-{role}", HZ_REP),
        ),
        case(
            "POST",
            "/v1/okr/objectives",
            {"rep"},
            roles=("rep",),
            body=objective_body("mx-o-rep", REP),
        ),
        case(
            "POST",
            "/v1/okr/objectives",
            {"manager"},
            roles=("manager",),
            body=objective_body("mx-o-manager", SIBLING),
        ),
        case(
            "POST",
            "/v1/okr/objectives/{objective_id}/align",
            (),
            roles=("rep", "manager", *NEVER_WRITE, "hrbp"),
            params={"objective_id": OBJ_ELSEWHERE},
            body={
                "owner_person_id": "p-mgr-hangzhou",
                "cycle_id": "{cycle}",
                "contributes_to": [{"parent_id": "o-shanghai", "weight": "20"}],
            },
        ),
        case(
            "POST",
            "/v1/okr/objectives/{objective_id}/align",
            {"rep", "manager", "hq"},
            roles=("rep", "manager", "hq"),
            params={"objective_id": "mx-align-{role}"},
            body={
                **portfolio(REP),
                "contributes_to": [{"parent_id": "o-shanghai", "weight": "20"}],
            },
        ),
        case(
            "PUT",
            "/v1/okr/objectives/{objective_id}/kr-weights",
            (),
            roles=("rep", "manager", *NEVER_WRITE, "hrbp"),
            params={"objective_id": OBJ_ELSEWHERE},
            body={
                "owner_person_id": "p-mgr-hangzhou",
                "cycle_id": "{cycle}",
                "weights": {KR_ELSEWHERE: "100"},
            },
        ),
        case(
            "PUT",
            "/v1/okr/objectives/{objective_id}/kr-weights",
            {"rep", "manager", "hq"},
            roles=("rep", "manager", "hq"),
            params={"objective_id": "mx-weigh-{role}"},
            body={**portfolio(REP), "weights": {KR_REP: "100"}},
        ),
        case(
            "POST",
            "/v1/okr/objectives/{objective_id}/close",
            (),
            roles=("rep", "manager", *NEVER_WRITE, "hrbp"),
            params={"objective_id": OBJ_ELSEWHERE},
            body={"owner_person_id": "p-mgr-hangzhou", "cycle_id": "{cycle}", "outcome": "dropped"},
        ),
        case(
            "POST",
            "/v1/okr/objectives/{objective_id}/close",
            {"rep"},
            roles=("rep",),
            params={"objective_id": "mx-close-rep"},
            body={**portfolio(REP), "outcome": "dropped"},
        ),
        # HQ's own
        case("PUT", "/v1/okr/policy/focus", {"hq"}, body={"mode": "warn"}),
        case(
            "POST",
            "/v1/okr/cycles",
            {"hq"},
            body={
                "cycle_id": "2031-Q1",
                "kind": "quarter",
                "starts_on": "2031-01-01",
                "ends_on": "2031-03-31",
            },
        ),
        case(
            "PUT",
            "/v1/okr/north-star",
            {"hq"},
            body={
                "metric": "premium repeat buyers",
                "target": "12000",
                "unit": "customers",
                "owner_person_id": "p-mgr-hq",
            },
        ),
        case(
            "PUT",
            "/v1/okr/policy/governance/{region_id}",
            {"hq"},
            params={"region_id": "north"},
            body={"mode": "centralised"},
        ),
        # calibration
        case(
            "POST",
            "/v1/okr/calibration/meetings",
            (),
            roles=("rep", "manager", *NEVER_WRITE, "hrbp"),
            body={
                "meeting_id": "cal-x-{role}",
                "unit_id": "hangzhou",
                "cycle_id": "{cycle}",
                "starts_at": "2026-12-10T10:00:00+08:00",
            },
        ),
        case(
            "POST",
            "/v1/okr/calibration/meetings",
            {"manager", "hq"},
            roles=("manager", "hq"),
            body={
                "meeting_id": "cal-{role}",
                "unit_id": "shanghai",
                "cycle_id": "{cycle}",
                "starts_at": "2026-12-10T10:00:00+08:00",
            },
        ),
        case(
            "POST",
            "/v1/okr/calibration/meetings/{meeting_id}/outcomes",
            (),
            roles=("rep", "manager", *NEVER_WRITE, "hrbp"),
            params={"meeting_id": "cal-hz-set"},
            body={"decisions": ["more tastings in January"]},
        ),
        case(
            "POST",
            "/v1/okr/calibration/meetings/{meeting_id}/outcomes",
            {"manager"},
            roles=("manager",),
            params={"meeting_id": "cal-sh-open"},
            body={"decisions": ["more tastings in January"]},
        ),
        case(
            "PUT",
            "/v1/okr/calibration/cadences/{unit_id}",
            (),
            roles=("rep", "manager", *NEVER_WRITE, "hrbp"),
            params={"unit_id": "hangzhou"},
            body={"every_days": 14, "first_at": "2026-12-10T10:00:00+08:00"},
        ),
        case(
            "PUT",
            "/v1/okr/calibration/cadences/{unit_id}",
            {"manager"},
            roles=("manager",),
            params={"unit_id": "shanghai"},
            body={"every_days": 14, "first_at": "2026-12-10T10:00:00+08:00"},
        ),
        case(
            "PUT",
            "/v1/okr/calibration/cadences/{unit_id}",
            {"hq"},
            roles=("hq",),
            params={"unit_id": "nanjing"},
            body={"every_days": 14, "first_at": "2026-12-10T10:00:00+08:00"},
        ),
        # escalations (raised to the east region before the rows run)
        *[
            c
            for verb in ("acknowledge", "resolve")
            for c in (
                case(
                    "POST",
                    f"/v1/okr/escalations/{{escalation_id}}/{verb}",
                    (),
                    roles=("rep", "manager", *NEVER_WRITE, "hrbp"),
                    body={"note": "seen"},
                    params={"escalation_id": "{escalation:mx-escalated-other}"},
                ),
                case(
                    "POST",
                    f"/v1/okr/escalations/{{escalation_id}}/{verb}",
                    {"hq"},
                    roles=("hq",),
                    body={"note": "seen"},
                    params={"escalation_id": f"{{escalation:mx-escalated-{verb}}}"},
                ),
            )
        ],
        # practices
        case(
            "POST",
            "/v1/okr/practices",
            (),
            roles=("rep", *NEVER_WRITE),
            body={**PRACTICE, "practice_id": "pr-x-{role}", "unit_id": "rep-shanghai-02"},
        ),
        case(
            "POST",
            "/v1/okr/practices",
            {"rep"},
            roles=("rep",),
            body={**PRACTICE, "practice_id": "pr-rep", "unit_id": "rep-shanghai-01"},
        ),
        case(
            "POST",
            "/v1/okr/practices/{practice_id}/adopt",
            (),
            roles=("rep", "manager", *NEVER_WRITE),
            params={"practice_id": "pr-set"},
            body={"unit_id": "rep-hangzhou-01"},
        ),
        case(
            "POST",
            "/v1/okr/practices/{practice_id}/adopt",
            {"manager"},
            roles=("manager",),
            params={"practice_id": "pr-set"},
            body={"unit_id": "rep-shanghai-02"},
        ),
        # proposals in the centralised south (set so before the rows run)
        case(
            "POST",
            "/v1/okr/proposals/key-results",
            {"hrbp"},
            body={**kr_body("kr-south-{role}", SOUTH_REP), "proposal_id": "pp-kr-{role}"},
        ),
        case(
            "POST",
            "/v1/okr/proposals/key-results",
            (),
            body={**kr_body("kr-sh-{role}", SIBLING), "proposal_id": "pp-sh-{role}"},
            label="outside the south",
        ),
        case(
            "POST",
            "/v1/okr/proposals/objectives",
            {"hrbp"},
            body={**objective_body("o-south-{role}", SOUTH_REP), "proposal_id": "pp-o-{role}"},
        ),
        case(
            "POST",
            "/v1/okr/proposals/{proposal_id}/approve",
            (),
            roles=tuple(r for r in ROLES if r != "hq"),
            params={"proposal_id": "pp-other"},
            body={"note": "ok"},
        ),
        case(
            "POST",
            "/v1/okr/proposals/{proposal_id}/approve",
            {"hq"},
            roles=("hq",),
            params={"proposal_id": "pp-approve"},
            body={"note": "ok"},
        ),
        case(
            "POST",
            "/v1/okr/proposals/{proposal_id}/reject",
            (),
            roles=tuple(r for r in ROLES if r != "hq"),
            params={"proposal_id": "pp-other"},
            body={"reason": "not now"},
        ),
        case(
            "POST",
            "/v1/okr/proposals/{proposal_id}/reject",
            {"hq"},
            roles=("hq",),
            params={"proposal_id": "pp-reject"},
            body={"reason": "not now"},
        ),
        # certification: nobody here was suggested, so the one who may decide gets 409
        case(
            "POST",
            "/v1/okr/certifications/{person_id}/{cycle_id}/nominate",
            {"manager"},
            params={"person_id": "p-rep-shanghai-01", "cycle_id": "{cycle}"},
            body={"note": "两个季度超额"},
            status=409,
        ),
        case(
            "POST",
            "/v1/okr/certifications/{person_id}/{cycle_id}/grant",
            {"hq"},
            params={"person_id": "p-rep-shanghai-01", "cycle_id": "{cycle}"},
            body={"recommended_projects": ["sp-campus"]},
            status=409,
        ),
        # a bearer token has no session: logging out ends nothing of anyone's
        case("DELETE", "/v1/session", PERSONS),
    ]


CASES = read_cases() + write_cases()


def route_table() -> dict[tuple[str, str], int]:
    """Every (method, path) the API serves with its success status: the app's own OpenAPI
    document (built from its route table, without starting it)."""
    from api.app import create_api
    from infra.settings import Settings

    table = {}
    for path, item in create_api(Settings()).openapi()["paths"].items():
        for method, operation in item.items():
            success = [int(code) for code in operation["responses"] if code.startswith("2")]
            table[(method.upper(), path)] = min(success)
    assert len(table) > 60, table  # the document was read, not an empty one
    return table


ROUTES = route_table()
# Writes that record no event: sales go to Kafka; a bearer token has no session to end.
EVENTLESS = {("POST", "/v1/sales/batch"), ("DELETE", "/v1/session")}


@dataclass(frozen=True)
class Row:
    case: Case
    role: str | None

    @property
    def id(self) -> str:
        c = self.case
        where = ",".join(f"{k}={v}" for k, v in (*c.params, *c.query))
        return f"{self.role or 'nobody'} {c.method} {c.route} {where} {c.label}".strip()

    @property
    def status(self) -> int:
        if self.role is None:
            return 401
        if self.role not in self.case.allowed:
            return 403
        return self.case.status or ROUTES[(self.case.method, self.case.route)]

    @property
    def appends(self) -> bool:
        write = self.case.method != "GET" and (self.case.method, self.case.route) not in EVENTLESS
        return self.role is not None and self.status < 300 and write


ROWS = [Row(c, role) for c in CASES for role in (None, *c.roles)]
COVERED = {(c.method, c.route) for c in CASES}


def test_every_route_of_the_api_has_a_case():
    assert set(ROUTES) - PUBLIC - COVERED == set(), "routes without a case in the matrix"
    assert COVERED - set(ROUTES) == set(), "cases for routes the API does not serve"


@dataclass
class World:
    http: httpx.AsyncClient
    db: asyncpg.Connection  # the event store's count, read before and after each row
    tokens: dict[str, str]
    cycle: str
    escalations: dict[str, str]

    def fill(self, value: Any, role: str | None) -> Any:
        if isinstance(value, str):
            found = re.fullmatch(r"\{escalation:([^}]+)\}", value)
            if found:
                return self.escalations[found.group(1)]
            return value.replace("{role}", role or "nobody").replace("{cycle}", self.cycle)
        if isinstance(value, dict):
            return {self.fill(k, role): self.fill(v, role) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.fill(v, role) for v in value]
        return value

    async def call(
        self, role: str | None, method: str, path: str, body: Any = None, query: dict | None = None
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.tokens[role]}"} if role else {}
        if path == "/v1/alerts/stream":  # a stream: its status, then hang up
            async with self.http.stream(method, path, headers=headers) as reply:
                content = b"" if reply.status_code == 200 else await reply.aread()
                return httpx.Response(reply.status_code, content=content)
        return await self.http.request(method, path, json=body, headers=headers, params=query)

    async def ok(self, role: str, method: str, path: str, body: Any = None) -> None:
        reply = await self.call(role, method, path, self.fill(body, role))
        assert reply.status_code < 300, (role, method, path, reply.text)


@pytest.fixture(scope="module")
async def world(stack, tmp_path_factory) -> AsyncIterator[World]:
    env = await create_env(stack, "authorization_matrix")
    try:
        await live_okr_company(env, tmp_path_factory.mktemp("matrix"), adjustments=0)
        conn = await asyncpg.connect(env.settings.dsn)
        try:
            tokens = {name: await create_client(conn, name, *who) for name, who in PEOPLE.items()}
            for name, role in SERVICES.items():
                tokens[name] = await create_client(conn, name, role)
            cycle = await conn.fetchval(
                "SELECT cycle_id FROM okr_objective WHERE objective_id = $1", OBJ_REP
            )
            base = await start_api(env)
            async with httpx.AsyncClient(base_url=base, timeout=30) as http:
                world = World(http, conn, tokens, cycle, {})
                await prepare(world)
                await okr_read_models_caught_up(env.settings)
                await find_escalations(world)
                yield world
        finally:
            await conn.close()
    finally:
        env.stop_all()
        await drop_env(stack, env)


async def prepare(w: World) -> None:
    """The objects the rows act on, made by the roles allowed to make them."""
    await w.ok("hq", "PUT", "/v1/okr/policy/focus", {"mode": "warn"})
    await w.ok("hq", "PUT", "/v1/okr/policy/governance/south", {"mode": "centralised"})
    kr_ids = {
        "mx-ask-rep": REP,
        "mx-ask-manager": SIBLING,
        "mx-ask-hq": HZ_REP,
        "mx-open-sibling": SIBLING,
        "mx-open-hz": HZ_REP,
        "mx-approve-manager": REP,
        "mx-approve-hq": SIBLING,
        "mx-reject-hz": HZ_REP,
        "mx-reject-manager": REP,
        "mx-approved-hz": HZ_REP,
        "mx-approved-sibling": SIBLING,
        "mx-apply-manager": REP,
        "mx-apply-hq": SIBLING,
        "mx-cancel-other": REP,
        "mx-cancel-rep": REP,
        "mx-blocked-sibling": SIBLING,
        "mx-blocked-rep": REP,
        "mx-escalated-other": REP,
        "mx-escalated-acknowledge": REP,
        "mx-escalated-resolve": REP,
    }
    for kr_id, owner in kr_ids.items():
        await w.ok("hq", "POST", "/v1/okr/key-results", kr_body(kr_id, owner))
    # open requests: the requester is one allowed to ask on that KR
    asks = {
        "mx-open-sibling": "manager",
        "mx-open-hz": "hq",
        "mx-approve-manager": "rep",
        "mx-approve-hq": "manager",
        "mx-reject-hz": "hq",
        "mx-reject-manager": "rep",
        "mx-approved-hz": "hq",
        "mx-approved-sibling": "manager",
        "mx-apply-manager": "rep",
        "mx-apply-hq": "manager",
        "mx-cancel-other": "rep",
        "mx-cancel-rep": "rep",
    }
    for kr_id, who in asks.items():
        path = f"/v1/okr/key-results/{kr_id}/adjustments"
        await w.ok(who, "POST", path, {**ASK, "request_id": "open"})
    approvals = {
        "mx-approved-hz": "hz",
        "mx-approved-sibling": "hq",
        "mx-apply-manager": "manager",
        "mx-apply-hq": "hq",
    }
    for kr_id, who in approvals.items():
        path = ADJUSTMENT.format(kr_id=kr_id, request_id="open") + "/approve"
        await w.ok(who, "POST", path, {"note": "ok"})
    for kr_id, who in (
        ("mx-blocked-sibling", "manager"),
        ("mx-blocked-rep", "rep"),
        ("mx-escalated-other", "rep"),
        ("mx-escalated-acknowledge", "rep"),
        ("mx-escalated-resolve", "rep"),
    ):
        await w.ok(who, "POST", f"/v1/okr/key-results/{kr_id}/check-ins", BLOCKED)
    for kr_id in ("mx-escalated-other", "mx-escalated-acknowledge", "mx-escalated-resolve"):
        path = f"/v1/okr/key-results/{kr_id}/blocker/escalate"
        await w.ok("rep", "POST", path, {"to_unit_id": "east"})
    for who in ("rep", "manager", "hq"):
        for purpose in ("align", "weigh"):
            await w.ok(
                who, "POST", "/v1/okr/objectives", objective_body(f"mx-{purpose}-{who}", REP)
            )
    await w.ok("rep", "POST", "/v1/okr/objectives", objective_body("mx-close-rep", REP))
    at = "2026-12-10T10:00:00+08:00"
    for meeting, unit, who in (
        ("cal-sh-set", "shanghai", "manager"),
        ("cal-sh-open", "shanghai", "manager"),
        ("cal-hz-set", "hangzhou", "hq"),
    ):
        await w.ok(
            who,
            "POST",
            "/v1/okr/calibration/meetings",
            {"meeting_id": meeting, "unit_id": unit, "cycle_id": "{cycle}", "starts_at": at},
        )
    await w.ok(
        "rep",
        "POST",
        "/v1/okr/practices",
        {**PRACTICE, "practice_id": "pr-set", "unit_id": "rep-shanghai-01"},
    )
    for proposal in ("pp-other", "pp-approve", "pp-reject"):
        await w.ok(
            "hrbp",
            "POST",
            "/v1/okr/proposals/key-results",
            {**kr_body(f"kr-{proposal}", SOUTH_REP), "proposal_id": proposal},
        )


async def find_escalations(w: World) -> None:
    """The escalations' ids, from HQ's inbox (a read model)."""

    async def listed() -> bool:
        inbox = (await w.call("hq", "GET", "/v1/okr/escalations")).json()
        w.escalations = {e["kr_id"]: e["escalation_id"] for e in inbox}
        return {"mx-escalated-other", "mx-escalated-acknowledge", "mx-escalated-resolve"} <= set(
            w.escalations
        )

    await eventually(listed, 60, "the escalations in HQ's inbox")


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
async def test_row(world: World, row: Row):
    c = row.case
    path = c.route.format(**world.fill(dict(c.params), row.role))
    query = world.fill(dict(c.query), row.role) or None
    body = world.fill(c.body, row.role)
    count = "SELECT count(*) FROM event_store"
    before = await world.db.fetchval(count)
    reply = await world.call(row.role, c.method, path, body, query)
    appended = await world.db.fetchval(count) - before
    assert reply.status_code == row.status, reply.text[:300]
    if row.appends:
        assert appended > 0, "an allowed command recorded no event"
    else:
        assert appended == 0, f"{appended} event(s) appended by a refusal or a read"
    if row.status == 403:
        assert json.loads(reply.text)["detail"], "a refusal names why"


def test_rows_cover_both_answers():
    """The matrix is not one-sided: most routes have a refused and an allowed role."""
    refused = {(r.case.method, r.case.route) for r in ROWS if r.status == 403}
    allowed = {(r.case.method, r.case.route) for r in ROWS if r.status < 300}
    assert len(refused) > 60 and len(allowed) > 60, (len(refused), len(allowed))
