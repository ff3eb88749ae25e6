"""`northstar demo`: the whole stack with the simulated beverage company, until Ctrl-C."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import click
import yaml

from infra.postgres.accounts import add_user, create_client, create_login_link
from infra.postgres.db import connect
from infra.procs import port_open, wait_until
from infra.services import start_all
from infra.settings import Settings
from infra.supervisor import ChildSpec, Supervisor
from projections.reference_data import load_reference_data
from simulator.company import company_catalog
from simulator.okr_seed import seed_with_handlers
from simulator.sales_history import history_start
from streams.app import agent_processes

# The demo's people on the board: a rep, their city manager, HQ, an auditor and the south's HRBP.
DEMO_USERS = {
    "rita": ("rep", "p-rep-shanghai-01", "rep-shanghai-01"),
    "mike": ("manager", "p-mgr-shanghai", "shanghai"),
    "hana": ("hq_admin", "p-mgr-hq", "hq"),
    "alex": ("auditor", "p-audit", "hq"),
    "holly": ("hrbp", "p-hrbp-south", "south"),
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
    folder = settings.demo_folder
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "company.yaml").write_text(
        yaml.safe_dump(company.model_dump(mode="json"), allow_unicode=True, sort_keys=False)
    )
    conn = await connect(settings.dsn)
    try:
        await load_reference_data(conn, company)
        krs = len(company.all_key_results())
        ingest = await create_client(conn, "demo-ingest", "ingest")
        reader = await create_client(conn, "demo-reader", "reader")
    finally:
        await conn.close()
    return krs, ingest, reader


BEHAVIOUR_WEEKS = 12  # six weeks the old way, six with the board (simulator/behaviour.py)


async def _field_figures(settings: Settings, timeout: float = 180) -> str:
    """The field notes' figures for the six weeks before the last six against the last six,
    measured by `reports adoption` from the events once the OKR read models hold them all."""
    from zoneinfo import ZoneInfo

    from projections.reads.pipeline_state import okr_events_not_applied
    from reports.adoption import before_and_after_figures
    from reports.periods import before_and_after

    zone = ZoneInfo(settings.company_timezone)
    conn = await connect(settings.auditor_dsn)
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not await okr_events_not_applied(conn):
                break
            await asyncio.sleep(1)
        now = datetime.now(UTC)
        periods = before_and_after(now, zone, BEHAVIOUR_WEEKS)
        report = await before_and_after_figures(conn, periods, settings.company_timezone, as_of=now)
    finally:
        await conn.close()

    def share(side: str) -> str:
        value = report[side]["check_in_usage"]["all"]["value"]
        return "-" if value is None else f"{value:.0%}"

    def views(side: str) -> str:
        value = report[side]["views_per_person_per_week"]["all"]["value"]
        return "-" if value is None else f"{value:.1f}"

    def days(side: str) -> str:
        hours = report["response_times"][side]["hours_to_decision"]["median"]
        return "-" if hours is None else f"{hours / 24:.1f}"

    first, second = (f"{a.date()}..{b.date()}" for a, b in periods)
    return (
        f"The field figures, measured from the events (`northstar reports adoption`):\n"
        f"                         before ({first})   after ({second})\n"
        f"  check-in usage         {share('before'):>24}   {share('after'):>22}\n"
        f"  goal views/person/week {views('before'):>24}   {views('after'):>22}\n"
        f"  adjustment answered in {days('before'):>19} days   {days('after'):>17} days"
    )


def demo_processes(
    settings: Settings, simulator: bool, rate: float | None, since: datetime
) -> list[ChildSpec]:
    """Each agent, the relay and the API in a process of its own, restarted when it dies; the
    simulator (a load generator) is not restarted: stopping it leaves the rest running."""
    northstar = [sys.executable, "-m", "northstar_cli.main"]
    specs = agent_processes(settings)
    specs += [ChildSpec("relay", [*northstar, "relay"]), ChildSpec("api", [*northstar, "api"])]
    if simulator:
        args = simulator_args(settings, rate, since)
        specs.append(ChildSpec("simulator", [*northstar, *args], False))
    return specs


def simulator_args(settings: Settings, rate: float | None, since: datetime) -> list[str]:
    """The live simulator: the company's pace from where the history ended, or a load
    generator of `rate` facts a second."""
    company = ["simulate", "sales", "--company", str(settings.demo_folder / "company.yaml")]
    if rate is not None:
        return [*company, "--rate", f"{rate:g}"]
    return [*company, "--since", since.isoformat()]


def _history_in_background(settings: Settings, until: datetime) -> subprocess.Popen[bytes]:
    """`simulate history` up to `until` in a process of its own, while the OKR tree is seeded: it
    needs only Kafka, and the worker that reads it starts after the seeding (history.log)."""
    company = settings.demo_folder / "company.yaml"
    command = ["simulate", "history", "--company", str(company), "--until", until.isoformat()]
    with open(settings.demo_folder / "history.log", "wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "northstar_cli.main", *command],
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def _history_sent(settings: Settings, sending: subprocess.Popen[bytes]) -> int:
    """How many facts the history sent, once it is done (its log's last line says)."""
    log = settings.demo_folder / "history.log"
    if sending.wait() != 0:
        raise click.ClickException(f"the sales history failed:\n{log.read_text()[-2000:]}")
    return int(log.read_text().rsplit("sent ", 1)[1].split()[0])


async def _project_seed(settings: Settings) -> int:
    """The seeded events applied to the read models before any process starts, as the OKR agent
    would apply them (its copies are then skipped): the sales worker knows every rep before the
    history names them, and the field figures are there at once."""
    from zoneinfo import ZoneInfo

    from projections.okr.okr_topic import apply_recorded

    conn = await connect(settings.dsn)
    try:
        return await apply_recorded(
            conn, ZoneInfo(settings.company_timezone), settings.alerts_topic
        )
    finally:
        await conn.close()


def run_demo(settings: Settings, simulator: bool = True, rate: float | None = None) -> None:
    start_all(settings)
    krs, ingest_token, reader_token = asyncio.run(_seed(settings))
    company = company_catalog(datetime.now(UTC).date())
    # The company's history comes with its own simulator: a load generator (`rate`) or your
    # own producer (no simulator) starts from an empty sales topic.
    history_until = datetime.now(UTC)
    paced = simulator and rate is None
    sending = _history_in_background(settings, history_until) if paced else None
    okrs = asyncio.run(seed_with_handlers(settings, company, 0, behaviour_weeks=BEHAVIOUR_WEEKS))
    asyncio.run(_project_seed(settings))
    history = 0 if sending is None else _history_sent(settings, sending)
    logs = settings.demo_folder
    supervisor = Supervisor(demo_processes(settings, simulator, rate, history_until), log_dir=logs)
    supervisor.start()
    try:
        wait_until(lambda: port_open(settings.api_host, settings.api_port), 60, "API")
    except TimeoutError:
        supervisor.stop()
        raise
    base = f"http://{settings.api_host}:{settings.api_port}"
    links = asyncio.run(_board_links(settings))
    figures = asyncio.run(_field_figures(settings))
    board = "\n".join(
        f"    {name:5} ({DEMO_USERS[name][0]:8}) {link}" for name, link in links.items()
    )
    if not simulator:
        simulating = "no simulator: start one with the command below"
    elif rate is None:
        simulating = "sales streaming at the company's own pace, ~750 orders a day"
    else:
        simulating = f"a load generator streaming ~{rate:g} facts/s"
    print(
        f"""
Northstar demo is running ({krs} KRs, 96 reps, {simulating}).
Sales history: {f"{history} facts from {history_start(company)} up to now, through Kafka" if paced else "none (no company simulator)"}.
OKR tree: {"already seeded" if okrs is None else f"{okrs.people} people, {okrs.objectives} objectives, {okrs.key_results} KRs, {okrs.requests} target-adjustment requests"} (event store -> relay -> Kafka -> read models).

  The board:           {base}/board  -- log in with a one-time link (valid 1 hour):
{board}
                       more: .venv/bin/northstar users login-link rita
  KR progress (CLI):   .venv/bin/northstar kr show --unit hq
  KR progress (HTTP):  curl -H 'Authorization: Bearer {reader_token}' {base}/v1/key-results?unit_id=hq
  Ingest a batch:      curl -H 'Authorization: Bearer {ingest_token}' -H 'Content-Type: application/json' \\
                            -d @batch.json {base}/v1/sales/batch
  OpenAPI:             {base}/docs
  Processes:           curl {base}/healthz   (each agent, the relay; restarts)
  OKR events of a KR:  curl -H 'Authorization: Bearer <person token>' {base}/v1/okr/key-results/kr-hq-premium-share-35/events
                       (person tokens: .venv/bin/northstar tokens create NAME --role hq_admin --person p-mgr-hq --unit hq)
  Sales simulator:     .venv/bin/northstar {" ".join(simulator_args(settings, rate, history_until))}
                       (stopping it leaves the rest running)
  Logs:                {logs}/worker-sales.log, worker-okr.log, relay.log, api.log, simulator.log

{figures}

A process that dies is restarted with back-off; Ctrl-C (or SIGTERM) stops them all within
a few seconds; `make stop` stops Kafka and PostgreSQL.
""",
        flush=True,
    )
    supervisor.run()
