"""The auditor role reads and never writes: every write endpoint in the OpenAPI document refuses
it with 403 (before looking at the body), and no read without parameters refuses it."""

from __future__ import annotations

import re

import asyncpg
import httpx

from infra.postgres.accounts import create_client
from tests.stack import load_company, small_company, start_api

WRITES = ("post", "put", "patch", "delete")


async def test_every_write_endpoint_refuses_the_auditor(env):
    await load_company(env.settings, small_company())
    conn = await asyncpg.connect(env.settings.dsn)
    try:
        auditor = await create_client(conn, "auditor", "auditor", "p-audit", "hq")
    finally:
        await conn.close()
    base = await start_api(env)
    headers = {"Authorization": f"Bearer {auditor}"}
    async with httpx.AsyncClient(base_url=base, timeout=30, headers=headers) as http:
        spec = (await http.get("/openapi.json")).json()
        writes = [
            (method, re.sub(r"\{[^}]+\}", "x", path))
            for path, item in spec["paths"].items()
            for method in item
            if method in WRITES and not path.startswith("/v1/session")  # logging in or out
        ]
        assert len(writes) >= 20
        for method, path in writes:
            reply = await http.request(method, path, json={})
            assert reply.status_code == 403, (method, path, reply.status_code, reply.text)
        reads = [
            path
            for path, item in spec["paths"].items()
            if "get" in item
            and "{" not in path
            and not path.endswith("/stream")
            and path not in ("/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc")
            and not any(p.get("required") for p in item["get"].get("parameters", []))
        ]
        assert "/v1/audit/target-changes" in reads and "/v1/key-results" in reads
        for path in reads:
            reply = await http.get(path)  # allowed: an answer, or "nothing there yet"
            assert reply.status_code in (200, 404), (path, reply.status_code, reply.text)
