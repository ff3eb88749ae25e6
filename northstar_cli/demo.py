"""`northstar demo`: the whole stack with the simulated beverage company, until Ctrl-C."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import yaml

from api.auth import create_client
from api.sessions import add_user, create_login_link
from infra.postgres.db import connect
from infra.procs import port_open, wait_until
from infra.services import start_all
from infra.settings import Settings
from projections.catalog import load_catalog
from simulator.company import company_catalog
from simulator.okr_seed import seed_with_handlers

# The demo's people on the board: a rep, their city manager, HQ and an auditor.
DEMO_USERS = {
    "rita": ("rep", "p-rep-shanghai-01", "rep-shanghai-01"),
    "mike": ("manager", "p-mgr-shanghai", "shanghai"),
    "hana": ("hq_admin", "p-mgr-hq", "hq"),
    "alex": ("auditor", "p-audit", "hq"),
}


async def _board_links(settings: Settings) -> dict[str, str]:
    """One-time login links (an hour) for the demo's people; no passwords are set."""
    conn = await connect(settings.dsn)
    try:
        links = {}
        for username, (role, person, unit) in DEMO_USERS.items():
            await add_user(conn, username, role, person, unit, None)
            token = await create_login_link(conn, username, timedelta(hours=1))
            base = f"http://{settings.api_host}:{settings.api_port}"
            links[username] = f"{base}/v1/session/link/{token}?then=board"
        return links
    finally:
        await conn.close()


async def _seed(settings: Settings) -> tuple[int, str, str]:
    company = company_catalog(datetime.now(UTC).date())
    folder = settings.var_dir / "demo"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "company.yaml").write_text(
        yaml.safe_dump(company.model_dump(mode="json"), allow_unicode=True, sort_keys=False)
    )
    conn = await connect(settings.dsn)
    try:
        krs = await load_catalog(conn, company)
        ingest = await create_client(conn, "demo-ingest", "ingest")
        reader = await create_client(conn, "demo-reader", "reader")
    finally:
        await conn.close()
    return krs, ingest, reader


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def run_demo(settings: Settings) -> None:
    signal.signal(signal.SIGTERM, _interrupt)  # stop the children on SIGTERM as on Ctrl-C
    start_all(settings)
    krs, ingest_token, reader_token = asyncio.run(_seed(settings))
    okrs = asyncio.run(seed_with_handlers(settings, company_catalog(datetime.now(UTC).date()), 120))
    logs = settings.var_dir / "demo"
    northstar = [sys.executable, "-m", "northstar_cli.main"]
    children: list[subprocess.Popen[bytes]] = []

    def spawn(name: str, *args: str) -> None:
        with open(logs / f"{name}.log", "ab") as out:
            children.append(
                subprocess.Popen(
                    [*northstar, *args],
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                )
            )

    spawn("worker", "worker")
    spawn("relay", "relay")
    spawn("api", "api")
    wait_until(lambda: port_open(settings.api_host, settings.api_port), 60, "API")
    spawn(
        "simulator", "simulate", "sales", "--company", str(logs / "company.yaml"), "--rate", "200"
    )
    base = f"http://{settings.api_host}:{settings.api_port}"
    links = asyncio.run(_board_links(settings))
    board = "\n".join(
        f"    {name:5} ({DEMO_USERS[name][0]:8}) {link}" for name, link in links.items()
    )
    print(
        f"""
Northstar demo is running ({krs} metric KRs, 96 reps, sales streaming at ~200 facts/s).
OKR tree: {"already seeded" if okrs is None else f"{okrs.people} people, {okrs.objectives} objectives, {okrs.key_results} KRs, {okrs.requests} target-adjustment requests"} (event store -> relay -> Kafka -> read models).

  The board:           {base}/board  -- log in with a one-time link (valid 1 hour):
{board}
                       more: .venv/bin/northstar users login-link rita
  KR progress (CLI):   .venv/bin/northstar kr show --unit hq
  KR progress (HTTP):  curl -H 'Authorization: Bearer {reader_token}' {base}/v1/key-results?unit_id=hq
  Ingest a batch:      curl -H 'Authorization: Bearer {ingest_token}' -H 'Content-Type: application/json' \\
                            -d @batch.json {base}/v1/sales/batch
  OpenAPI:             {base}/docs
  OKR events of a KR:  curl -H 'Authorization: Bearer <person token>' {base}/v1/okr/key-results/kr-hq-premium-share-35/events
                       (person tokens: .venv/bin/northstar tokens create NAME --role hq_admin --person p-mgr-hq --unit hq)
  Logs:                {logs}/worker.log, relay.log, api.log, simulator.log

Ctrl-C stops the worker, API and simulator; `make stop` stops Kafka and PostgreSQL.
""",
        flush=True,
    )
    try:
        while all(child.poll() is None for child in children):
            time.sleep(1)
        failed = [c.args for c in children if c.poll() is not None]
        print(f"a demo process exited: {failed}; see {logs}", file=sys.stderr)
    except KeyboardInterrupt:
        pass
    finally:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=20)
            except subprocess.TimeoutExpired:
                child.kill()
