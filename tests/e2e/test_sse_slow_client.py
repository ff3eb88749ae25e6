"""An SSE client that stops reading while alerts keep coming is disconnected once it falls
NORTHSTAR_SSE_SUBSCRIBER_BURSTS bursts behind (here 3, so the test needs few alerts), and,
resuming with Last-Event-ID, gets every alert it missed: what it read before and after is each
alert of the outbox once, in commit order."""

from __future__ import annotations

import asyncio
import socket
import time

import asyncpg
import httpx

from tests.stack import (
    define_quarter,
    eventually,
    load_company,
    people_tokens,
    read_sse,
    rep_check_in_krs,
    small_company,
    start_api,
)

KRS = [f"kr-swinging-{n}" for n in range(4)]  # checked in on side by side
CHECK_INS = 800  # each swings its KR between red and amber: one alert each
# Loopback's socket buffers take ~3 MB before the server must wait for the client: alerts this
# size (a long open blocker travels in the alert's reasons) make the check-ins outrun them.
BLOCKER = "缺货" * 1000


def frames(raw: bytes) -> list[str]:
    """The ids of the complete server-sent events in `raw`."""
    ids = []
    for block in raw.split(b"\n\n")[:-1]:  # the last piece may be cut short
        for line in block.split(b"\n"):
            if line.startswith(b"id: "):
                ids.append(line[4:].decode())
    return ids


async def test_a_client_that_stops_reading_is_cut_off_and_resumes_losing_nothing(env):
    env.environ_extra["NORTHSTAR_SSE_SUBSCRIBER_BURSTS"] = "3"
    await load_company(env.settings, small_company())
    await define_quarter(env.settings)
    env.spawn("relay", "relay")
    env.worker()
    hq, rep = (await people_tokens(env.settings, "hq", "rep")).values()
    base = await start_api(env)
    async with httpx.AsyncClient(base_url=f"{base}/v1/okr", timeout=30) as http:

        async def call(token: str, method: str, path: str, body: dict) -> None:
            answer = await http.request(
                method, path, json=body, headers={"Authorization": f"Bearer {token}"}
            )
            assert answer.status_code in (200, 201), answer.text

        await rep_check_in_krs(http, hq, rep, "o-swing", env.settings, *KRS)

        # The slow client: a small receive buffer, the request sent, then no more reading.
        slow = socket.socket()
        slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        slow.connect(("127.0.0.1", env.settings.api_port))
        slow.sendall(
            f"GET /v1/alerts/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {hq}\r\nAccept: text/event-stream\r\n\r\n".encode()
        )
        head = slow.recv(1024)
        assert head.startswith(b"HTTP/1.1 200"), head

        async def swing(kr_id: str) -> None:
            for n in range(CHECK_INS // len(KRS)):
                await call(rep, "POST", f"/key-results/{kr_id}/check-ins", {
                    "summary": f"tasting {n}", "progress_value": "100" if n % 2 else "0",
                    "blocker": BLOCKER,
                })  # fmt: skip

        await asyncio.gather(*(swing(kr_id) for kr_id in KRS))

    conn = await asyncpg.connect(env.settings.dsn)
    try:

        async def all_alerted() -> bool:
            count = await conn.fetchval(
                "SELECT count(*) FROM outbox WHERE topic = $1 AND alert_kr_id = ANY($2::text[])",
                env.settings.alerts_topic,
                KRS,
            )
            return count == CHECK_INS

        await eventually(all_alerted, 120, "every check-in's alert")
        rows = await conn.fetch(
            "SELECT event_id FROM outbox WHERE topic = $1 AND alert_kr_id = ANY($2::text[])"
            " ORDER BY alert_seq",
            env.settings.alerts_topic,
            KRS,
        )
    finally:
        await conn.close()
    in_order = [str(r["event_id"]) for r in rows]

    # Now the slow client reads what was buffered for it: the server has hung up on it.
    received, deadline = head, time.monotonic() + 60
    slow.settimeout(1.0)
    closed = False
    while time.monotonic() < deadline:
        try:
            chunk = await asyncio.to_thread(slow.recv, 65536)
        except TimeoutError:
            continue
        if not chunk:
            closed = True
            break
        received += chunk
    slow.close()
    assert closed, f"the stream stayed open ({len(received)} bytes, {len(frames(received))} events)"
    before = frames(received.split(b"\r\n\r\n", 1)[1])
    assert 0 < len(before) < CHECK_INS, len(before)  # cut off part-way

    async with (
        httpx.AsyncClient(base_url=base, timeout=httpx.Timeout(30, read=None)) as http,
        http.stream("GET", "/v1/alerts/stream", headers={
            "Authorization": f"Bearer {hq}", "Last-Event-ID": before[-1],
        }) as resumed,
    ):  # fmt: skip
        assert resumed.status_code == 200
        after = [e["id"] for e in await read_sse(resumed, want=CHECK_INS, timeout=30, quiet_s=2)]
        resumed.sse_pump.cancel()
    assert before + after == in_order
