"""A calibration agenda generated from live OKR data, and the meeting's outcomes recorded."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import asyncpg
import httpx

from domain.kernel import Actor
from domain.key_result.commands import DefineKeyResult, RecordCheckIn, RequestTargetAdjustment
from handlers.key_results import KeyResultCommandHandler
from infra.postgres.accounts import create_client
from infra.postgres.event_store import EventStore
from projections.reads.org_directory import OrgDirectory
from tests.stack import define_quarter, eventually, load_company, run_cli, small_company, start_api

HQ = Actor(person_id="p-hq", role="hq_admin", unit_id="hq")
REP = Actor(person_id="p-rep", role="rep", unit_id="rep-east-city1-1")


async def test_agenda_from_live_data_and_outcomes_in_one_command(env):
    await load_company(env.settings, small_company())
    await define_quarter(env.settings)
    handler = KeyResultCommandHandler(
        EventStore(env.settings.okr_events_topic), OrgDirectory().load, lambda: datetime.now(UTC)
    )
    now = datetime.now(UTC)
    env.spawn("relay", "relay")
    env.worker()
    conn = await asyncpg.connect(env.settings.dsn)
    try:
        for kr_id, progress, blocker in (
            ("kr-good", 95, "none"),
            ("kr-late", 2, "none"),
            ("kr-stuck", 95, "distributor out of stock"),
            ("kr-silent", None, None),
        ):
            await handler.handle(
                conn,
                DefineKeyResult(
                    command_id=uuid.uuid4(),
                    kr_id=kr_id,
                    actor=HQ,
                    at=now,
                    title=kr_id,
                    owner_person_id="p-rep",
                    owner_unit_id="rep-east-city1-1",
                    kind="increase",
                    unit="%",
                    start=Decimal(0),
                    target=Decimal(100),
                ),
            )
            if progress is not None:
                await handler.handle(
                    conn,
                    RecordCheckIn(
                        command_id=uuid.uuid4(),
                        kr_id=kr_id,
                        actor=REP,
                        at=now,
                        summary="weekly",
                        progress_value=Decimal(progress),
                        blocker=blocker,
                    ),
                )
        await handler.handle(
            conn,
            RequestTargetAdjustment(
                command_id=uuid.uuid4(),
                kr_id="kr-late",
                actor=REP,
                at=now - timedelta(days=2),
                request_id="adj-1",
                proposed_target=Decimal(60),
                reason="lost the campus account",
            ),
        )

        async def projected() -> bool:
            return (
                await conn.fetchval(
                    "SELECT count(*) FROM okr_adjustment WHERE request_id = 'adj-1'"
                )
                == 1
            )

        await eventually(projected, 60, "the read models")
        manager = await create_client(conn, "city", "manager", "p-city", "east-city1")
    finally:
        await conn.close()

    done = await run_cli(env, "calibration", "agenda", "--unit", "east", "--json")
    assert done.returncode == 0, done.stderr
    await start_api(env)
    start = (now - timedelta(days=45)).date().isoformat()
    end = (now + timedelta(days=45)).date().isoformat()
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{env.settings.api_port}/v1/okr",
        headers={"Authorization": f"Bearer {manager}"},
        timeout=30,
    ) as http:
        agenda = (
            await http.get(
                "/calibration/agenda",
                params={"unit_id": "east-city1", "cycle_start": start, "cycle_end": end},
            )
        ).json()
        sections = {(i["section"], i["kr_id"]) for i in agenda}
        assert ("off_track", "kr-late") in sections
        assert ("off_track", "kr-good") not in sections
        assert ("blockers", "kr-stuck") in sections
        assert ("pending_adjustments", "kr-late") in sections
        assert ("no_check_in", "kr-silent") in sections
        assert next(i for i in agenda if i["kr_id"] == "kr-late")["health"] == "red"

        meeting = await http.post(
            "/calibration/meetings",
            json={
                "meeting_id": "east-city1-w48",
                "unit_id": "east-city1",
                "cycle_id": "2026-Q4",
                "starts_at": (now + timedelta(days=1)).isoformat(),
            },
        )
        assert meeting.status_code == 201, meeting.text
        outcome = {
            "verdicts": [{"kr_id": "kr-late", "health": "red", "note": "support"}],
            "escalations": [{"kr_id": "kr-stuck", "to_unit_id": "east"}],
            "decisions": ["approve adj-1 at 60%"],
        }
        recorded = await http.post("/calibration/meetings/east-city1-w48/outcomes", json=outcome)
        assert recorded.status_code == 201, recorded.text
        twice = await http.post("/calibration/meetings/east-city1-w48/outcomes", json=outcome)
        assert twice.status_code == 409
        bad = await http.post(
            "/calibration/meetings/east-city1-w48/outcomes",
            json={"verdicts": [{"kr_id": "kr-late", "health": "purple"}]},
        )
        assert bad.status_code == 422
        assert bad.json()["errors"][0]["field"] == "body.verdicts.0.health"
    assert '"kr-late"' in done.stdout


async def test_a_practice_published_in_one_city_is_adopted_by_another(env):
    await load_company(env.settings, small_company())
    await define_quarter(env.settings)
    conn = await asyncpg.connect(env.settings.dsn)
    try:
        city1 = await create_client(conn, "c1", "manager", "p-c1", "east-city1")
        city2 = await create_client(conn, "c2", "manager", "p-c2", "east-city2")
    finally:
        await conn.close()
    await start_api(env)
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{env.settings.api_port}/v1/okr", timeout=30
    ) as http:

        def as_(token):
            return {"Authorization": f"Bearer {token}"}

        shared = await http.post(
            "/practices",
            headers=as_(city1),
            json={
                "practice_id": "campus-tasting",
                "kr_id": "kr-east-city1-conversion",
                "unit_id": "east-city1",
                "title": "Campus tasting days",
                "description": "Tasting booths at three campuses every Friday afternoon",
                "evidence": "first-order conversion 27% vs 14% peer mean",
            },
        )
        assert shared.status_code == 201, shared.text
        adopted = await http.post(
            "/practices/campus-tasting/adopt",
            headers=as_(city2),
            json={"unit_id": "east-city2", "note": "starting week 49"},
        )
        assert adopted.status_code == 201
        again = await http.post(
            "/practices/campus-tasting/adopt", headers=as_(city2), json={"unit_id": "east-city2"}
        )
        assert again.status_code == 409
        foreign = await http.post(
            "/practices/campus-tasting/adopt", headers=as_(city2), json={"unit_id": "west-city1"}
        )
        assert foreign.status_code == 403
