"""SSE replay is exact: since a time, since an alert id, with and without a KR filter, and with
Last-Event-ID, every alert after that point comes once, in commit order, with no cap; then the
stream goes on live."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import asyncpg
import httpx

from domain.alerts import KrHealthChanged, health_alert_id
from infra.postgres.accounts import create_client
from infra.postgres.outbox import enqueue_alerts
from tests.stack import read_sse, start_api

KRS = ("kr-a", "kr-b", "kr-c", "kr-d", "kr-e")
COLOURS = ("green", "amber", "red")


def _alerts(first: int, count: int) -> list[KrHealthChanged]:
    out = []
    for n in range(first, first + count):
        kr_id, transition = KRS[n % len(KRS)], n // len(KRS) + 1
        out.append(
            KrHealthChanged(
                alert_id=health_alert_id(kr_id, transition),
                kr_id=kr_id,
                owner_unit_id="hq",
                transition=transition,
                old_health=COLOURS[(transition - 1) % 3],
                new_health=COLOURS[transition % 3],
                reasons=("scripted",),
                progress_pct=Decimal(n % 100),
                expected_pct=Decimal(50),
                gap_points=Decimal(50 - n % 100),
                actual=Decimal(n),
                target=Decimal(1000),
                occurred_at=datetime.now(UTC),
            )
        )
    return out


async def _record(conn: asyncpg.Connection, alerts: list[KrHealthChanged], topic: str) -> None:
    for start in range(0, len(alerts), 50):  # one transaction per 50, as batches write them
        async with conn.transaction():
            chunk = alerts[start : start + 50]
            await enqueue_alerts(
                conn, [(a, f"alerts-{a.kr_id}", a.transition) for a in chunk], topic
            )


async def test_replay_is_exact_and_then_live(env):
    topic = env.settings.alerts_topic
    conn = await asyncpg.connect(env.settings.dsn)
    try:
        reader = await create_client(conn, "sse-reader", "reader")
        before = await conn.fetchval("SELECT now()")
        written = _alerts(0, 2500)
        await _record(conn, written, topic)
        base = await start_api(env)
        ids = [str(a.alert_id) for a in written]
        of_c = [str(a.alert_id) for a in written if a.kr_id == "kr-c"]
        async with httpx.AsyncClient(
            base_url=base, headers={"Authorization": f"Bearer {reader}"}, timeout=None
        ) as http:

            async def replay(want: int, headers: dict | None = None, **params: str) -> list[str]:
                async with http.stream(
                    "GET", "/v1/alerts/stream", params=params, headers=headers or {}
                ) as answer:
                    assert answer.status_code == 200
                    events = await read_sse(answer, want, timeout=60, quiet_s=1.0)
                return [e["id"] for e in events]

            assert await replay(2500, since=before.isoformat()) == ids
            assert await replay(1500, since=ids[999]) == ids[1000:]
            assert await replay(500, since=before.isoformat(), kr_id="kr-c") == of_c
            after = of_c.index(ids[1002]) + 1  # ids[1002] is a kr-c alert (1002 % 5 == 2)
            assert await replay(len(of_c) - after, since=ids[1002], kr_id="kr-c") == of_c[after:]

            unknown = await http.get(
                "/v1/alerts/stream", headers={"Last-Event-ID": str(uuid.uuid4())}
            )
            assert unknown.status_code == 404
            async with http.stream(
                "GET", "/v1/alerts/stream", headers={"Last-Event-ID": ids[2000]}
            ) as resumed:
                backlog = await read_sse(resumed, 499, timeout=60)
                live = _alerts(2500, 30)
                await _record(conn, live, topic)
                more = await read_sse(resumed, 30, timeout=30, quiet_s=1.0)
        assert [e["id"] for e in backlog] == ids[2001:]
        assert [e["id"] for e in more] == [str(a.alert_id) for a in live]
        assert {e["event"] for e in backlog} == {"kr.health_changed"}
    finally:
        await conn.close()
