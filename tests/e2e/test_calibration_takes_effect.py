"""A calibration meeting's outcomes take effect, through the API against the real stack: the KR
weights change on the objective and in its progress, a verdict joins the KR's health, the
minutes list what changed; a retry changes nothing twice; an outcome the chair may not apply
records nothing at all."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import asyncpg
import httpx

from domain.alerts import rule_alert_id
from tests.stack import (
    bearer,
    define_quarter,
    evaluate_at,
    eventually,
    expected_unit_totals,
    load_company,
    okr_read_models_caught_up,
    people_tokens,
    produce_singles,
    run_cli,
    simulated_facts,
    small_company,
    start_api,
    the_alert_on_the_topic,
)

CHECK_INS = {"kr-a": Decimal(80), "kr-b": Decimal(20)}  # progress of each KR (start 0, target 100)


async def test_outcomes_change_weights_and_health_and_fill_the_minutes(env):
    await load_company(env.settings, small_company())
    await define_quarter(env.settings)
    env.spawn("relay", "relay")
    env.worker()
    tokens = await people_tokens(env.settings, "hq", "city", "city2", "rep", "region")
    await start_api(env)
    now = datetime.now(UTC)
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{env.settings.api_port}/v1/okr", timeout=30
    ) as http:

        async def call(who: str, method: str, path: str, body: dict, key: str | None = None):
            headers = bearer(tokens[who])
            if key:
                headers["Idempotency-Key"] = key
            answer = await http.request(method, path, json=body, headers=headers)
            assert answer.status_code in (200, 201), (path, answer.text)
            return answer.json()

        for kr_id in CHECK_INS:
            await call("hq", "POST", "/key-results", _kr(kr_id))
        portfolio = {"owner_person_id": "p-city", "cycle_id": "2026-Q4"}
        await call(
            "city",
            "POST",
            "/objectives",
            {
                **portfolio,
                "objective_id": "o-city",
                "title": "Win campuses",
                "owner_unit_id": "east-city1",
            },
        )
        await call(
            "city", "PUT", "/objectives/o-city/kr-weights",
            {**portfolio, "weights": {"kr-a": 50, "kr-b": 50}},
        )  # fmt: skip
        for kr_id, value in CHECK_INS.items():
            await call(
                "rep", "POST", f"/key-results/{kr_id}/check-ins",
                {"summary": "week 48", "progress_value": str(value), "blocker": "none"},
            )  # fmt: skip
        # Alignment: the rep's objective (kr-b) contributes 60 % to the city's; the city's 100 %
        # to the region's, which has no KR of its own.
        rep_portfolio = {"owner_person_id": "p-rep", "cycle_id": "2026-Q4"}
        await call("rep", "POST", "/objectives", {
            **rep_portfolio, "objective_id": "o-rep", "title": "My campuses",
            "owner_unit_id": "rep-east-city1-1",
            "contributes_to": [{"parent_id": "o-city", "weight": 60}],
        })  # fmt: skip
        await call("rep", "PUT", "/objectives/o-rep/kr-weights",
                   {**rep_portfolio, "weights": {"kr-b": 100}})  # fmt: skip
        await call("region", "POST", "/objectives", {
            "owner_person_id": "p-east", "cycle_id": "2026-Q4", "objective_id": "o-east",
            "title": "East campuses", "owner_unit_id": "east",
        })  # fmt: skip
        to_region = [{"parent_id": "o-east", "weight": 100}]
        await call("city", "POST", "/objectives/o-city/align",
                   {**portfolio, "contributes_to": to_region})  # fmt: skip
        await call(
            "city", "POST", "/calibration/meetings",
            {"meeting_id": "m1", "unit_id": "east-city1", "cycle_id": "2026-Q4",
             "starts_at": (now + timedelta(hours=1)).isoformat()},
        )  # fmt: skip
        outcomes = {
            "weight_changes": [{"objective_id": "o-city", "weights": {"kr-a": 70, "kr-b": 30}}],
            "verdicts": [{"kr_id": "kr-b", "health": "red", "note": "needs the distributor"}],
            "escalations": [{"kr_id": "kr-b", "to_unit_id": "east", "note": "distributor"}],
            "decisions": ["shift effort to campus sign-ups"],
        }
        first = await call("city", "POST", "/calibration/meetings/m1/outcomes", outcomes, "m1-out")
        again = await call("city", "POST", "/calibration/meetings/m1/outcomes", outcomes, "m1-out")
        assert (first["replayed"], again["replayed"]) == (False, True)

        # Another city's manager may not reweigh this city's objective: nothing is recorded.
        await call(
            "city2", "POST", "/calibration/meetings",
            {"meeting_id": "m2", "unit_id": "east-city2", "cycle_id": "2026-Q4",
             "starts_at": (now + timedelta(hours=2)).isoformat()},
        )  # fmt: skip
        refused = await http.post(
            "/calibration/meetings/m2/outcomes",
            json={
                "weight_changes": [{"objective_id": "o-city", "weights": {"kr-a": 10, "kr-b": 90}}],
                "decisions": ["take over east-city1's objective"],
            },
            headers=bearer(tokens["city2"]),
        )
        assert refused.status_code == 403, refused.text
        assert refused.json()["detail"].startswith("weight change for o-city:")

        await okr_read_models_caught_up(env.settings)
        # The escalation waits in the region manager's inbox, not the city manager's.
        (waiting,) = (await http.get("/escalations", headers=bearer(tokens["region"]))).json()
        assert (waiting["escalation_id"], waiting["kr_id"], waiting["source"]) == (
            "m1:kr-b",
            "kr-b",
            "calibration",
        )
        assert waiting["overdue"] is False
        assert (await http.get("/escalations", headers=bearer(tokens["city"]))).json() == []
        not_theirs = await http.post(
            "/escalations/m1:kr-b/resolve", json={"note": "done"}, headers=bearer(tokens["city"])
        )
        assert not_theirs.status_code == 403, not_theirs.text
        await call("region", "POST", "/escalations/m1:kr-b/acknowledge", {"note": "on it"})
        await call("region", "POST", "/escalations/m1:kr-b/resolve", {"note": "second truck"})
        # A rep's own escalation of her blocker lands in her city manager's inbox.
        await call(
            "rep", "POST", "/key-results/kr-a/check-ins",
            {"summary": "week 49", "progress_value": "80", "blocker": "no campus permit"},
        )  # fmt: skip
        await call(
            "rep", "POST", "/key-results/kr-a/blocker/escalate", {"to_unit_id": "east-city1"}
        )
        await okr_read_models_caught_up(env.settings)
        resolved = (
            await http.get(
                "/escalations",
                params={"include_resolved": "true"},
                headers=bearer(tokens["region"]),
            )
        ).json()
        (permit,) = (await http.get("/escalations", headers=bearer(tokens["city"]))).json()
        times = (
            await http.get(
                f"http://127.0.0.1:{env.settings.api_port}/v1/reports/escalation-times",
                params={"by": "unit"},
                headers=bearer(tokens["hq"]),
            )
        ).json()
        objectives = (
            await http.get("/objectives", params=portfolio, headers=bearer(tokens["city"]))
        ).json()
        progress = (
            await http.get("/objectives/o-city/progress", headers=bearer(tokens["city"]))
        ).json()
        kr_b = (await http.get("/key-results/kr-b", headers=bearer(tokens["rep"]))).json()
        minutes = (
            await http.get("/calibration/meetings/m1", headers=bearer(tokens["city"]))
        ).json()
        unconcluded = (
            await http.get("/calibration/meetings/m2", headers=bearer(tokens["city2"]))
        ).json()
        region_progress = (
            await http.get("/objectives/o-east/progress", headers=bearer(tokens["region"]))
        ).json()

    weights = {k: Decimal(v) for k, v in objectives[0]["kr_weights"].items()}
    assert weights == {"kr-a": Decimal(70), "kr-b": Decimal(30)}
    expected = sum(weights[k] * CHECK_INS[k] for k in CHECK_INS) / sum(weights.values())
    assert Decimal(str(progress["progress"])) == expected.quantize(Decimal("0.01"))
    # One number per objective: the city's is its own KRs' (its contributor, the rep's
    # objective on kr-b alone, is shown beside it); the region's, with no KR of its own, is its
    # contributor's, the city's.
    assert progress["basis"] == "key_results"
    (from_rep,) = progress["contributors"]
    assert (from_rep["objective_id"], Decimal(str(from_rep["weight"]))) == ("o-rep", Decimal(60))
    assert Decimal(str(from_rep["progress"])) == CHECK_INS["kr-b"]
    assert region_progress["krs"] == [] and region_progress["basis"] == "contributors"
    assert Decimal(str(region_progress["progress"])) == expected.quantize(Decimal("0.01"))

    assert [
        (v["health"], v["note"], v["meeting_id"], v["judged_by"]) for v in kr_b["health_verdicts"]
    ] == [("red", "needs the distributor", "m1", "p-city")]

    assert (minutes["concluded_by"], minutes["decisions"]) == (
        "p-city",
        ["shift effort to campus sign-ups"],
    )
    changes = {(c["kind"], c["subject_id"]): c for c in minutes["changes"]}
    assert set(changes) == {("weights", "o-city"), ("verdict", "kr-b")}
    assert minutes["escalations"] == [
        {"kr_id": "kr-b", "to_unit_id": "east", "note": "distributor"}
    ]
    (done,) = resolved
    assert (done["acknowledged_by"], done["acknowledge_note"]) == ("p-east", "on it")
    assert (done["resolved_by"], done["resolution"]) == ("p-east", "second truck")
    assert (permit["kr_id"], permit["source"], permit["note"]) == (
        "kr-a",
        "owner",
        "no campus permit",
    )
    assert permit["resolved_at"] is None
    by_unit = {row["group"]: row for row in times}
    took = (
        datetime.fromisoformat(done["resolved_at"]) - datetime.fromisoformat(done["raised_at"])
    ).total_seconds() / 3600
    assert (by_unit["east"]["raised"], by_unit["east"]["open"]) == (1, 0)
    assert by_unit["east"]["hours_to_resolve"]["median"] == round(took, 2)
    assert (by_unit["east-city1"]["raised"], by_unit["east-city1"]["open"]) == (1, 1)
    assert by_unit["east-city1"]["hours_to_resolve"]["count"] == 0
    reweighed = changes[("weights", "o-city")]
    assert {k: Decimal(v) for k, v in reweighed["before"].items()} == {
        "kr-a": Decimal(50),
        "kr-b": Decimal(50),
    }
    assert {k: Decimal(v) for k, v in reweighed["after"].items()} == weights
    assert changes[("verdict", "kr-b")]["after"] == "red"
    assert unconcluded["concluded_by"] is None and unconcluded["changes"] == []

    conn = await asyncpg.connect(env.settings.dsn)
    try:
        caused = await conn.fetch(
            "SELECT e.stream_id, e.event_type FROM event_store e"
            " JOIN event_store cause ON cause.event_id = e.causation_id"
            " WHERE cause.stream_id = 'calibration-m1' ORDER BY e.stream_id"
        )
        reweighings = await conn.fetchval(
            "SELECT count(*) FROM event_store WHERE stream_id = 'portfolio-p-city-2026-Q4'"
            " AND event_type = 'okr.objective.kr_weights_set'"
        )
    finally:
        await conn.close()
    assert [(r["stream_id"], r["event_type"]) for r in caused] == [
        ("escalation-m1:kr-b", "okr.escalation.opened"),
        ("kr-kr-b", "okr.kr.health_verdict_recorded"),
        ("portfolio-p-city-2026-Q4", "okr.objective.kr_weights_set"),
    ]
    assert reweighings == 2  # the city's own 50/50, then the meeting's 70/30 (once)
    history = await run_cli(
        env, "audit", "history", "--weights", "--objective", "o-city", "--format", "json"
    )
    assert history.returncode == 0, history.stderr
    first, by_meeting = json.loads(history.stdout)
    assert (first["before"], first["meeting_id"], first["changed_by"]) == ({}, None, "p-city")
    assert {k: Decimal(v) for k, v in by_meeting["before"].items()} == {
        "kr-a": Decimal(50),
        "kr-b": Decimal(50),
    }
    assert {k: Decimal(v) for k, v in by_meeting["after"].items()} == weights
    assert (by_meeting["meeting_id"], by_meeting["changed_by"]) == ("m1", "p-city")

    # Past the agreed response time the open escalation is alerted, once; the resolved one not.
    late = (permit["due_at"] and datetime.fromisoformat(permit["due_at"])) + timedelta(hours=1)
    assert (await evaluate_at(env, late.isoformat(timespec="seconds")))["rule_alerts"] == 1
    assert (await evaluate_at(env, late.isoformat(timespec="seconds")))["rule_alerts"] == 0
    alert = await the_alert_on_the_topic(
        env, rule_alert_id("escalation-overdue", permit["escalation_id"])
    )
    assert (alert["kr_id"], alert["to_unit_id"], alert["acknowledged"]) == (
        "kr-a",
        "east-city1",
        False,
    )
    assert Decimal(alert["waiting_hours"]) >= 48


def _kr(kr_id: str) -> dict:
    return {
        "kr_id": kr_id,
        "title": f"Campus sign-ups {kr_id}",
        "owner_person_id": "p-rep",
        "owner_unit_id": "rep-east-city1-1",
        "kind": "increase",
        "unit": "%",
        "start": "0",
        "target": "100",
    }


async def test_the_agenda_reads_sales_fed_krs_as_the_board_does(env):
    """Two KRs fed by the city's revenue (one far behind its target, one past it), no check-in
    on either: the agenda shows each with the board's colour, and neither as 'never checked
    in'; both carry the revenue computed independently from the facts."""
    company = small_company()
    await load_company(env.settings, company)
    await define_quarter(env.settings)
    env.spawn("relay", "relay")
    env.worker()
    facts = simulated_facts(company, 400, seed=14)
    revenue = Decimal(expected_unit_totals(company, facts)["east-city1"]["revenue_minor"]) / 100
    hq, city = (await people_tokens(env.settings, "hq", "city")).values()
    await start_api(env)
    targets = {"kr-city-stretch": revenue * 50, "kr-city-floor": revenue / 2}
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{env.settings.api_port}", timeout=30
    ) as http:
        for kr_id, target in targets.items():
            body = {
                **_kr(kr_id),
                "owner_person_id": "p-city",
                "owner_unit_id": "east-city1",
                "unit": "CNY",
                "target": str(target),
                "binding": {"metric": "revenue", "window_start": "2026-10-01",
                            "window_end": "2026-12-31"},
            }  # fmt: skip
            defined = await http.post("/v1/okr/key-results", json=body, headers=bearer(hq))
            assert defined.status_code == 201, defined.text
        await produce_singles(env.settings, facts)

        async def summed() -> bool:
            board = (await http.get("/v1/board", headers=bearer(city))).json()
            actual = {k["kr_id"]: k["current"] for k in board["krs"]}
            return all(
                actual.get(k) is not None and Decimal(str(actual[k])) == revenue for k in targets
            )

        await eventually(summed, 90, "both KRs at the city's revenue")
        board = (await http.get("/v1/board", headers=bearer(city))).json()
        agenda = (
            await http.get(
                "/v1/okr/calibration/agenda",
                params={"unit_id": "east-city1", "cycle_start": "2026-10-01",
                        "cycle_end": "2026-12-31"},
                headers=bearer(city),
            )
        ).json()  # fmt: skip
    shown = {k["kr_id"]: k for k in board["krs"] if k["kr_id"] in targets}
    assert {k["provenance"] for k in shown.values()} == {"auto"}
    assert Decimal(str(shown["kr-city-floor"]["progress"])) >= 100
    off_track = {i["kr_id"]: i["health"] for i in agenda if i["section"] == "off_track"}
    expected_off = {k: v["health"] for k, v in shown.items() if v["health"] != "green"}
    assert {k: off_track[k] for k in targets if k in off_track} == expected_off
    assert "kr-city-stretch" in expected_off  # 2 % of its target half-way through the quarter
    assert not [i for i in agenda if i["section"] == "no_check_in" and i["kr_id"] in targets]


async def test_a_fortnightly_rhythm_schedules_each_next_meeting_once(env):
    await load_company(env.settings, small_company())
    await define_quarter(env.settings)
    env.spawn("relay", "relay")
    env.worker()
    city, rep = (await people_tokens(env.settings, "city", "rep")).values()
    await start_api(env)
    first = datetime(2026, 12, 1, 2, tzinfo=UTC)  # inside the tests' quarter
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{env.settings.api_port}/v1/okr", timeout=30
    ) as http:
        rhythm = {"every_days": 14, "first_at": first.isoformat()}
        refused = await http.put(
            "/calibration/cadences/east-city1", json=rhythm, headers=bearer(rep)
        )
        assert refused.status_code == 403
        set_ = await http.put("/calibration/cadences/east-city1", json=rhythm, headers=bearer(city))
        assert set_.status_code == 200, set_.text
        await okr_read_models_caught_up(env.settings)
        before = (first - timedelta(days=3)).isoformat()
        assert (await evaluate_at(env, before))["calibration_meetings_scheduled"] == 1
        assert (await evaluate_at(env, before))["calibration_meetings_scheduled"] == 0
        await okr_read_models_caught_up(env.settings)
        later = (first + timedelta(days=3)).isoformat()
        assert (await evaluate_at(env, later))["calibration_meetings_scheduled"] == 1
        await okr_read_models_caught_up(env.settings)
        listed = (
            await http.get("/calibration/meetings", params={"unit_id": "east-city1"},
                           headers=bearer(city))
        ).json()  # fmt: skip
    assert [(m["meeting_id"], m["starts_at"], m["scheduled_by"]) for m in listed] == [
        ("east-city1-20261215", (first + timedelta(days=14)).isoformat(), "northstar-scheduler"),
        ("east-city1-20261201", first.isoformat(), "northstar-scheduler"),
    ]
    assert {m["cycle_id"] for m in listed} == {"2026-Q4"}
