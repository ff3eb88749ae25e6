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
