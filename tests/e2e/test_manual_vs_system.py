"""Manual versus system on the real stack: two KRs bound to revenue (a rep's and her city's),
five weeks of sales through Kafka, and check-ins reporting figures some way off. The report's
computed value for each check-in must equal the KR's revenue up to that day counted from the
facts themselves (tests/expected.py), and its errors and their distribution follow from that."""

from __future__ import annotations

import json
import math
import uuid
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import asyncpg

from domain.catalog import CompanyCatalog
from domain.key_result.commands import DefineKeyResult, RecordCheckIn
from domain.key_result.metrics import MetricScope
from handlers.bootstrap import command_handlers
from projections.reads.org_directory import OrgDirectory
from simulator.company import window_kr
from simulator.okr_seed import person_for
from simulator.sales import SalesSimulator
from tests import expected
from tests.stack import (
    QUARTER,
    load_company,
    okr_read_models_caught_up,
    produce_singles,
    run_cli,
    small_company,
    wait_caught_up,
)

ZONE = ZoneInfo("Asia/Shanghai")
REP, CITY = "rep-east-city1-1", "east-city1"
# (KR, day, how far off the person's figure is from the truth)
CHECK_INS = [
    ("kr-m-rep", date(2026, 11, 2), Decimal("1.00")),
    ("kr-m-rep", date(2026, 11, 9), Decimal("1.20")),
    ("kr-m-rep", date(2026, 11, 16), Decimal("0.85")),
    ("kr-m-city", date(2026, 11, 3), Decimal("1.10")),
    ("kr-m-city", date(2026, 11, 17), Decimal("0.70")),
]


async def test_reported_figures_against_the_sales(env):
    base_company = small_company()
    krs = {
        "kr-m-rep": window_kr("kr-m-rep", "Rep revenue", REP, "revenue", 500_000, QUARTER),
        "kr-m-city": window_kr("kr-m-city", "City revenue", CITY, "revenue", 3_000_000, QUARTER),
    }
    company = CompanyCatalog(units=base_company.units, key_results=tuple(krs.values()))
    await load_company(env.settings, base_company)
    env.spawn("relay", "relay")
    env.worker()
    facts = list(
        SalesSimulator(base_company, seed=44, source="pos-mvs").stream(
            datetime(2026, 10, 20, tzinfo=UTC), 700, timedelta(hours=1)
        )
    )
    await produce_singles(env.settings, facts)

    handlers = command_handlers(env.settings.okr_events_topic, OrgDirectory().load)
    hq, rep, city = person_for("hq", "hq"), person_for(REP, "rep"), person_for(CITY, "city")
    owners = {"kr-m-rep": rep, "kr-m-city": city}
    truth = {  # what the sales up to the day (included) made of the KR
        (kr, day): expected.kr_actuals(
            company, [f for f in facts if expected.day_of(f) <= day], today=day
        )[kr]
        for kr, day, _ in CHECK_INS
    }
    conn = await asyncpg.connect(env.settings.dsn)
    try:
        for kr_id, kr in krs.items():
            await handlers.key_results.handle(
                conn,
                DefineKeyResult(
                    command_id=uuid.uuid4(), kr_id=kr_id, actor=hq,
                    at=datetime(2026, 10, 1, 9, tzinfo=ZONE), title=kr.title,
                    owner_person_id=owners[kr_id].person_id, owner_unit_id=kr.owner_unit_id,
                    kind="increase", unit="CNY", start=kr.start, target=kr.target,
                    binding=MetricScope(metric="revenue", window_start=QUARTER[0],
                                        window_end=QUARTER[1]),
                ),
            )  # fmt: skip
        for kr_id, day, off_by in CHECK_INS:
            await handlers.key_results.handle(
                conn,
                RecordCheckIn(
                    command_id=uuid.uuid4(), kr_id=kr_id, actor=owners[kr_id],
                    at=datetime.combine(day, time(18), ZONE), summary="my own spreadsheet",
                    progress_value=(truth[kr_id, day] * off_by).quantize(Decimal("0.01")),
                    blocker="none",
                ),
            )  # fmt: skip
    finally:
        await conn.close()
    await wait_caught_up(env.settings)
    await okr_read_models_caught_up(env.settings)

    done = await run_cli(
        env,
        "reports",
        "manual-vs-system",
        "--between",
        "2026-10-01..2026-12-01",
        "--format",
        "json",
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    got = {(c["kr_id"], c["day"]): c for c in report["check_ins"]}
    assert set(got) == {(kr, day.isoformat()) for kr, day, _ in CHECK_INS}
    errors = []
    for kr, day, off_by in CHECK_INS:
        row = got[kr, day.isoformat()]
        assert Decimal(row["computed"]) == truth[kr, day], (kr, day)
        reported = (truth[kr, day] * off_by).quantize(Decimal("0.01"))
        error = abs(reported - truth[kr, day]) / truth[kr, day]
        assert math.isclose(float(row["relative_error"]), float(error), abs_tol=1e-4)
        errors.append(float(error))
    ordered = sorted(errors)
    assert report["all"]["check_ins"] == 5 and report["all"]["without_computed"] == 0
    assert math.isclose(float(report["all"]["median"]), ordered[2], abs_tol=1e-4)
    assert math.isclose(float(report["all"]["mean"]), sum(errors) / 5, abs_tol=1e-4)
    assert report["all"]["within_5_percent"] == round(sum(e <= 0.05 for e in errors) / 5, 4)
    persons = {r["reported_by"]: r["check_ins"] for r in report["by_person"]}
    assert persons == {rep.person_id: 3, city.person_id: 2}
