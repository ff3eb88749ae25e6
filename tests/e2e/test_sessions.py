"""People log in: password (scrypt digest) or a one-time link from the CLI; the session is an
HttpOnly, SameSite=Strict cookie; a cookie alone never changes anything without the CSRF token;
logging out ends it; passwords and tokens never reach the logs."""

from __future__ import annotations

import asyncpg
import httpx

from tests.stack import ARTIFACTS, load_company, run_cli, small_company, start_api

PASSWORD = "correct horse battery staple"


async def test_password_and_link_logins_with_csrf_on_writes(env):
    await load_company(env.settings, small_company())
    added = await run_cli(
        env,
        *("users", "add", "rita", "--role", "rep", "--person", "p-rita"),
        *("--unit", "rep-east-city1-1", "--password-stdin"),
        input=PASSWORD + "\n",
    )
    assert added.returncode == 0, added.stderr
    short = await run_cli(
        env,
        *("users", "add", "bob", "--role", "rep", "--person", "p-bob"),
        *("--unit", "rep-east-city1-2", "--password-stdin"),
        input="short\n",
    )
    assert short.returncode != 0 and "at least 12 characters" in short.stderr
    conn = await asyncpg.connect(env.settings.dsn)
    try:
        stored = await conn.fetchval("SELECT password_hash FROM app_user WHERE username = 'rita'")
    finally:
        await conn.close()
    assert stored.startswith("scrypt$") and PASSWORD not in stored

    base = await start_api(env)
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        wrong = await http.post("/v1/session", json={"username": "rita", "password": "nope"})
        assert wrong.status_code == 401
        nobody = await http.post("/v1/session", json={"username": "ghost", "password": "x" * 12})
        assert nobody.status_code == 401
        assert (await http.get("/v1/session")).status_code == 401

        login = await http.post("/v1/session", json={"username": "rita", "password": PASSWORD})
        assert login.status_code == 200, login.text
        cookie = login.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie and "path=/" in cookie
        csrf = login.json()["csrf_token"]
        me = await http.get("/v1/session")
        assert me.json() == {
            "person_id": "p-rita",
            "role": "rep",
            "unit_id": "rep-east-city1-1",
            "name": "p-rita",  # not in the people directory: the id stands in
            "csrf_token": csrf,  # a reloaded board page gets it back; other origins cannot
        }

        body = {
            "kr_id": "kr-rita",
            "title": "Rita's revenue 100k",
            "owner_person_id": "p-rita",
            "owner_unit_id": "rep-east-city1-1",
            "kind": "increase",
            "unit": "CNY",
            "start": "0",
            "target": "100000",
        }
        no_csrf = await http.post("/v1/okr/key-results", json=body)
        assert no_csrf.status_code == 403 and "x-csrf-token" in no_csrf.json()["detail"]
        forged = await http.post(
            "/v1/okr/key-results", json=body, headers={"X-CSRF-Token": "forged"}
        )
        assert forged.status_code == 403
        with_csrf = await http.post(
            "/v1/okr/key-results", json=body, headers={"X-CSRF-Token": csrf}
        )
        # past the session and CSRF checks: the domain decides (reps do not define KRs)
        assert with_csrf.status_code == 403, with_csrf.text
        assert "x-csrf-token" not in with_csrf.json()["detail"]

        out = await http.delete("/v1/session", headers={"X-CSRF-Token": csrf})
        assert out.status_code == 204
        assert (await http.get("/v1/session")).status_code == 401

    link = await run_cli(env, "users", "login-link", "rita", "--minutes", "5")
    assert link.returncode == 0, link.stderr
    url = link.stdout.strip()
    async with httpx.AsyncClient(timeout=30) as browser:
        first = await browser.get(url)  # the browser lands on the board, logged in
        assert first.status_code == 303, first.text
        assert first.headers["location"] == "/board"
        assert "httponly" in first.headers["set-cookie"].lower()
        assert (await browser.get(f"{base}/v1/session")).status_code == 200
        again = await browser.get(url)
        assert again.status_code == 401  # used once
    unknown = await run_cli(env, "users", "login-link", "nobody")
    assert unknown.returncode != 0 and "no user" in unknown.stderr

    logs = "".join(p.read_text() for p in (ARTIFACTS / env.name).glob("*.log"))
    token = url.rsplit("/", 1)[1].split("?")[0]
    assert PASSWORD not in logs and token not in logs
    assert csrf not in logs


async def test_removing_a_user_ends_their_sessions_and_a_revoked_token_stops_working(env):
    from tests.stack import eventually

    await load_company(env.settings, small_company())
    added = await run_cli(
        env,
        *("users", "add", "rita", "--role", "rep", "--person", "p-rita"),
        *("--unit", "rep-east-city1-1", "--password-stdin"),
        input=PASSWORD + "\n",
    )
    assert added.returncode == 0, added.stderr
    token = (await run_cli(env, "tokens", "create", "pos-feed", "--role", "ingest")).stdout.strip()
    conn = await asyncpg.connect(env.settings.dsn)
    try:  # a session that ran out yesterday
        await conn.execute(
            "INSERT INTO user_session (token_hash, username, csrf_token, expires_at)"
            " VALUES ('stale', 'rita', 'x', now() - interval '1 day')"
        )
    finally:
        await conn.close()
    base = await start_api(env)
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        login = await http.post("/v1/session", json={"username": "rita", "password": PASSWORD})
        assert login.status_code == 200
        listed = (await run_cli(env, "users", "list")).stdout
        assert "rita" in listed and "password" in listed and "sessions 1" in listed
        conn = await asyncpg.connect(env.settings.dsn)
        try:  # logging in cleared the expired one
            assert await conn.fetchval("SELECT count(*) FROM user_session") == 1
        finally:
            await conn.close()

        removed = await run_cli(env, "users", "remove", "rita")
        assert removed.returncode == 0, removed.stderr
        assert (await http.get("/v1/session")).status_code == 401  # at once
        again = await run_cli(env, "users", "remove", "rita")
        assert again.returncode != 0 and "no user 'rita'" in again.stderr

        ingest = {"Authorization": f"Bearer {token}"}
        assert (await http.post("/v1/sales/batch", headers=ingest, json={})).status_code == 422
        assert "pos-feed" in (await run_cli(env, "tokens", "list")).stdout
        revoked = await run_cli(env, "tokens", "revoke", "pos-feed")
        assert revoked.returncode == 0, revoked.stderr

        async def refused() -> bool:
            reply = await http.post("/v1/sales/batch", headers=ingest, json={})
            return reply.status_code == 401

        await eventually(refused, 10, "the revoked token refused")  # the cache holds 5 s
        assert "pos-feed" not in (await run_cli(env, "tokens", "list")).stdout


async def test_sessions_last_eight_hours_and_login_links_expire(env):
    """The board page's lifetimes (docs/reference/board-and-access.md): a session cookie lives 8
    hours (its row and its Max-Age) and is refused once past them; a login link lives the minutes it
    was made for and, once expired, opens nothing."""
    import asyncio
    from datetime import UTC, datetime, timedelta

    from infra.postgres.accounts import create_login_link

    await load_company(env.settings, small_company())
    added = await run_cli(
        env,
        *("users", "add", "rita", "--role", "rep", "--person", "p-rita"),
        *("--unit", "rep-east-city1-1", "--password-stdin"),
        input=PASSWORD + "\n",
    )
    assert added.returncode == 0, added.stderr
    base = await start_api(env)
    eight_hours = timedelta(hours=8)
    conn = await asyncpg.connect(env.settings.dsn)
    try:
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            before = datetime.now(UTC)
            login = await http.post("/v1/session", json={"username": "rita", "password": PASSWORD})
            after = datetime.now(UTC)
            assert login.status_code == 200, login.text
            assert "max-age=28800" in login.headers["set-cookie"].lower()
            expires = await conn.fetchval("SELECT expires_at FROM user_session")
            assert before + eight_hours <= expires <= after + eight_hours
            assert (await http.get("/v1/session")).status_code == 200
            # eight hours pass (the row's end moved to a second ago): the cookie opens nothing
            await conn.execute("UPDATE user_session SET expires_at = now() - interval '1 second'")
            assert (await http.get("/v1/session")).status_code == 401

        made = datetime.now(UTC)
        link = await run_cli(env, "users", "login-link", "rita", "--minutes", "5")
        assert link.returncode == 0, link.stderr
        lives = await conn.fetchval("SELECT max(expires_at) FROM login_link")
        assert made + timedelta(minutes=5) <= lives <= datetime.now(UTC) + timedelta(minutes=5)

        token = await create_login_link(conn, "rita", timedelta(seconds=1))
        await asyncio.sleep(1.5)
        sessions = await conn.fetchval("SELECT count(*) FROM user_session")
        async with httpx.AsyncClient(base_url=base, timeout=30) as browser:
            expired = await browser.get(f"/v1/session/link/{token}")
            assert expired.status_code == 401, expired.text
            assert "expired" in expired.json()["title"]
            assert "set-cookie" not in expired.headers
        assert await conn.fetchval("SELECT count(*) FROM user_session") == sessions
    finally:
        await conn.close()
