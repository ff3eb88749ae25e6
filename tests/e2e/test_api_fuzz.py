"""Bounded fuzzing of the whole HTTP API from its own OpenAPI document (schemathesis), against
the real API, database and broker on the seeded company: no request may get a 5xx, and no
response may break the schema the document gives for it. Reports go to test-artifacts/."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import asyncpg

from infra.postgres.accounts import create_client
from tests.stack import ARTIFACTS, REPO_ROOT, live_okr_company, start_api

EXAMPLES_PER_OPERATION = 25
CHECKS = "not_a_server_error,response_schema_conformance,content_type_conformance"


async def _fuzz(base: str, token: str, report: Path, *selection: str) -> tuple[int, str]:
    command = [
        str(Path(sys.executable).with_name("st")),
        "run",
        f"{base}/openapi.json",
        *("--checks", CHECKS),
        *("--phases", "examples,coverage,fuzzing"),
        *("--max-examples", str(EXAMPLES_PER_OPERATION)),
        *("--seed", "20261127"),
        *("--workers", "1"),  # hypothesis describes lambdas with ast: not thread-safe here
        *("--request-timeout", "10"),
        *("--header", f"Authorization: Bearer {token}"),
        *("--generation-database", "none"),
        *("--report", "junit"),
        *("--report-junit-path", str(report)),
        "--no-color",
        *selection,
    ]
    process = await asyncio.create_subprocess_exec(
        *command,
        cwd=REPO_ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=600)
    return process.returncode or 0, output.decode(errors="replace")


async def test_fuzzing_the_api_finds_no_server_error_and_no_schema_break(env, tmp_path):
    await live_okr_company(env, tmp_path, adjustments=10)
    conn = await asyncpg.connect(env.settings.dsn)
    try:
        hq = await create_client(conn, "fuzz-hq", "hq_admin", "p-mgr-hq", "hq")
        rep = await create_client(conn, "fuzz-rep", "rep", "p-rep-shanghai-01", "rep-shanghai-01")
        service = await create_client(conn, "fuzz-admin", "admin")
    finally:
        await conn.close()
    base = await start_api(env)
    folder = ARTIFACTS / env.name
    folder.mkdir(parents=True, exist_ok=True)
    endless = ("--exclude-path", "/v1/alerts/stream")  # an SSE stream never ends by itself
    runs = {
        "hq": (hq, *endless),
        "rep": (rep, *endless),
        "service": (service, "--include-path-regex", "^/v1/(sales|key-results)"),
    }
    failures = []
    for name, (token, *selection) in runs.items():
        code, output = await _fuzz(base, token, folder / f"fuzz-{name}.xml", *selection)
        (folder / f"fuzz-{name}.txt").write_text(output)
        assert "operations" in output.lower() or "tested" in output.lower(), output[-2000:]
        if code != 0:
            failures.append(f"--- as {name} (exit {code}) ---\n{output[-6000:]}")
    assert not failures, "\n".join(failures)
