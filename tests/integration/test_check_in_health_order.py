"""The weights that put a KR under its objective's cycle (its pacing line) travel in the
objective's stream, in another partition than the KR's check-ins, so the OKR agent may apply
them after later check-ins. Applied last here (an order the agent can see), they judge the KR
as of its last check-in, from that check-in's value and the pacing line on that day: the colour
the documented rule gives there, worked out in this test, as when the weights come first."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import asyncpg

from domain.kernel import Actor
from domain.key_result.commands import RecordCheckIn
from domain.objectives import KeyResultWeightsSet, portfolio_event_of
from handlers.bootstrap import command_handlers
from infra.postgres.event_store import EVENT_COLUMNS, recorded_event
from projections.okr.okr_topic import apply_okr_topic, apply_recorded
from simulator.company import person_for
from tests.expected import linear_pacing
from tests.stack import QUARTER, define_goal, define_quarter, load_company, small_company

KR = "kr-visits"
REP = "rep-east-city1-1"
HQ = Actor(person_id="p-hq", role="hq_admin", unit_id="hq")
CHECK_INS = [(date(2026, 10, 7), 0), (date(2026, 11, 29), 20)]  # (day, value) at 10:00
EVENTS_AFTER = f"SELECT {EVENT_COLUMNS} FROM event_store WHERE position > $1 ORDER BY position"


def by_gap(gap: Decimal) -> str:
    """The documented thresholds: expected minus progress, 0 or less green, up to 25 amber."""
    return "green" if gap <= 0 else "amber" if gap <= 25 else "red"


async def test_weights_applied_after_the_check_ins_judge_as_of_the_last_one(env):
    await load_company(env.settings, small_company())
    await define_quarter(env.settings)
    zone = ZoneInfo(env.settings.company_timezone)
    alerts_topic = env.settings.alerts_topic
    handlers = command_handlers(env.settings.okr_events_topic)
    rep = person_for(REP, "rep")
    conn = await asyncpg.connect(env.settings.dsn)
    try:
        await apply_recorded(conn, zone, alerts_topic)
        mark = await conn.fetchval("SELECT coalesce(max(position), 0) FROM event_store")
        start = datetime(2026, 10, 1, 9, tzinfo=zone)
        await define_goal(handlers, conn, HQ, rep, "o-visits", {KR: 100}, start)
        for day, value in CHECK_INS:
            await handlers.key_results.handle(
                conn,
                RecordCheckIn(
                    command_id=uuid.uuid4(), kr_id=KR, actor=rep,
                    at=datetime.combine(day, time(10), zone), summary="weekly",
                    progress_value=Decimal(value), blocker="none",
                ),
            )  # fmt: skip
        recorded = [recorded_event(r) for r in await conn.fetch(EVENTS_AFTER, mark)]
        weights = [e for e in recorded if isinstance(portfolio_event_of(e), KeyResultWeightsSet)]
        assert len(weights) == 1
        # each event its own batch, as two partitions' consumers deliver them: weights last
        for event in [e for e in recorded if e not in weights] + weights:
            await apply_okr_topic(conn, [event], None, alerts_topic, zone)

        last_day, last_value = CHECK_INS[-1]
        expected = linear_pacing(last_day, QUARTER)
        assert expected > 25 + last_value  # the day is chosen far behind the line: red
        health = await conn.fetchrow(
            "SELECT health, changed_at FROM okr_kr_health WHERE kr_id = $1", KR
        )
        last = await conn.fetchrow(
            "SELECT new_health, progress_pct, expected_pct, occurred_at"
            " FROM okr_kr_health_history WHERE kr_id = $1 ORDER BY transition DESC LIMIT 1",
            KR,
        )
    finally:
        await conn.close()
    moment = datetime.combine(last_day, time(10), zone)
    assert health["health"] == last["new_health"] == by_gap(expected - last_value)
    assert health["changed_at"] == last["occurred_at"] == moment
    assert (last["progress_pct"], last["expected_pct"]) == (last_value, expected)
