"""`northstar`: run and operate the stack from one command."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import click
import orjson
import yaml

from infra.logging import configure_logging
from infra.settings import Settings
from northstar_cli.access_commands import tokens, users
from northstar_cli.audit_commands import audit
from northstar_cli.params import MOMENT
from northstar_cli.parked_commands import parked, retry, skip
from northstar_cli.with_db import with_connection


@click.group()
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Northstar: live KR progress from sales events."""
    settings = Settings()
    configure_logging(settings.log_level)
    ctx.obj = settings


@cli.group()
def services() -> None:
    """Local Kafka and PostgreSQL (no Docker needed)."""


@services.command("start")
@click.pass_obj
def services_start(settings: Settings) -> None:
    """Start Kafka and PostgreSQL if needed, apply migrations, create topics."""
    from infra.services import start_all

    start_all(settings)


@services.command("migrate")
@click.pass_obj
def services_migrate(settings: Settings) -> None:
    """Apply the schema and create the topics on services that run elsewhere (containers,
    managed Kafka and PostgreSQL): starts nothing."""
    from infra.services import migrate_and_create_topics

    migrate_and_create_topics(settings)


@services.command("stop")
@click.pass_obj
def services_stop(settings: Settings) -> None:
    from infra.services import stop_all

    stop_all(settings)


@services.command("status")
@click.pass_obj
def services_status(settings: Settings) -> None:
    from infra.services import status

    click.echo(json.dumps(status(settings), indent=2))


@cli.command()
@click.option(
    "--only",
    "only",
    multiple=True,
    type=click.Choice(["sales", "okr", "timers"]),
    help="run only this agent (repeatable); default: all three, each in a supervised process",
)
@click.pass_obj
def worker(settings: Settings, only: tuple[str, ...]) -> None:
    """The worker: `sales` (sales -> KR progress, health, alerts), `okr` (OKR events -> read
    models) and `timers` (re-evaluation as time passes), each failing and restarting alone."""
    from streams.app import AGENTS, run_worker

    run_worker(settings, tuple(dict.fromkeys(only)) or AGENTS)


@cli.command()
@click.pass_obj
def api(settings: Settings) -> None:
    """Serve the HTTP API on NORTHSTAR_API_HOST:NORTHSTAR_API_PORT (127.0.0.1:8400)."""
    import uvicorn

    from api.app import create_api

    uvicorn.run(
        create_api(settings),
        host=settings.api_host,
        port=settings.api_port,
        log_level="warning",
        access_log=False,  # request lines may carry a login link's token
    )


@cli.command()
@click.pass_obj
def relay(settings: Settings) -> None:
    """Publish the event store's outbox to the OKR events topic (one active relay at a time)."""
    from streams.outbox_relay import run_relay

    run_relay(settings)


@cli.group(invoke_without_command=True)
@click.pass_context
def webhooks(ctx: click.Context) -> None:
    """Signed webhooks: run the dispatcher (no subcommand), or manage subscriptions."""
    if ctx.invoked_subcommand is None:
        from streams.webhooks import run_webhooks

        run_webhooks(ctx.obj)


@webhooks.command("add")
@click.argument("name")
@click.argument("url")
@click.option("--secret", required=True, help="shared secret for the HMAC-SHA256 signature")
@click.pass_obj
def webhooks_add(settings: Settings, name: str, url: str, secret: str) -> None:
    """Subscribe URL to every alert (signed with --secret)."""
    from infra.postgres.db import connect
    from streams.webhooks import subscribe

    if not url.startswith(("http://", "https://")):
        raise click.BadParameter("the URL must start with http:// or https://")
    if len(secret) < 16:
        raise click.BadParameter("use a secret of at least 16 characters")

    async def run() -> None:
        conn = await connect(settings.dsn)
        try:
            await subscribe(conn, name, url, secret)
        finally:
            await conn.close()

    asyncio.run(run())
    click.echo(f"subscribed {name} -> {url}")


@cli.group()
def catalog() -> None:
    """The org tree and metric-bound KRs."""


@catalog.command("load")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_obj
def catalog_load(settings: Settings, path: Path) -> None:
    """Load org units and KRs from a YAML file (idempotent)."""
    from pydantic import ValidationError

    from domain.catalog import CompanyCatalog
    from domain.kernel import DomainError
    from projections.catalog import load_catalog

    try:
        company = CompanyCatalog.model_validate(yaml.safe_load(path.read_text()))
    except (ValidationError, DomainError) as exc:
        raise click.ClickException(f"{path}: {exc}") from exc

    krs = with_connection(settings, lambda conn: load_catalog(conn, company))
    click.echo(f"loaded {len(company.units)} org units and {krs} key results from {path}")


@cli.command()
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--chunk", default=5000, show_default=True, help="facts per publish round")
@click.option("--quiet", is_flag=True, help="no progress bar")
@click.pass_obj
def ingest(settings: Settings, path: Path, chunk: int, quiet: bool) -> None:
    """Import a CSV or JSONL file of sales facts; bad lines are listed and written aside."""
    from tqdm import tqdm

    from domain.sales import SaleFact
    from infra.kafka.sales_publisher import SalesPublisher
    from northstar_cli.file_import import count_lines, read_chunks

    rejects_path = path.with_name(path.name + ".rejects.jsonl")

    async def run() -> tuple[int, int]:
        publisher = SalesPublisher(settings.kafka_bootstrap, settings.sales_topic)
        await publisher.start()
        sent = rejected = 0
        pending: list[SaleFact] = []
        encoded: list[bytes] = []
        in_flight: list[tuple[int, list[asyncio.Future[object]]]] = []
        try:
            with (
                tqdm(
                    total=count_lines(path), unit="line", disable=quiet, desc=f"ingest {path.name}"
                ) as bar,
                rejects_path.open("wb") as rejects,
            ):
                for part in read_chunks(path):
                    bar.update(part.lines)
                    for line_no, reject in part.rejects:
                        rejected += 1
                        click.echo(f"{path}:{line_no}: {reject.reason}: {reject.detail}", err=True)
                        rejects.write(
                            orjson.dumps(
                                {"line": line_no, "reason": reject.reason, "detail": reject.detail}
                            )
                            + b"\n"
                        )
                    pending += part.facts
                    encoded += part.encoded
                    if len(pending) >= chunk:
                        # Keep reading while the broker acknowledges; bound what is in flight.
                        in_flight.append((len(pending), await publisher.send(pending, encoded)))
                        pending, encoded = [], []
                        while len(in_flight) > 8:
                            sent += await _acknowledged(in_flight.pop(0))
                if pending:
                    in_flight.append((len(pending), await publisher.send(pending, encoded)))
                for batch in in_flight:
                    sent += await _acknowledged(batch)
        finally:
            await publisher.stop()
        return sent, rejected

    started = time.perf_counter()
    sent, rejected = asyncio.run(run())
    elapsed = time.perf_counter() - started
    click.echo(
        f"sent {sent} facts in {elapsed:.1f}s ({sent / max(elapsed, 1e-9):,.0f}/s); "
        f"{rejected} rejected" + (f", listed in {rejects_path}" if rejected else "")
    )
    if not rejected:
        rejects_path.unlink(missing_ok=True)
    else:
        sys.exit(2)


async def _acknowledged(batch: tuple[int, list[asyncio.Future[object]]]) -> int:
    count, futures = batch
    for future in futures:
        await future
    return count


@cli.command()
@click.option(
    "--at",
    type=MOMENT,
    help="business time to evaluate at (ISO 8601; without an offset: the company's time"
    " zone); default now. The business clock never moves back.",
)
@click.option("--quiet-alerts", is_flag=True, help="evaluate without emitting alerts")
@click.pass_obj
def evaluate(settings: Settings, at: datetime | None, quiet_alerts: bool) -> None:
    """Re-evaluate KR values, health and the alert rules as time passes (the worker does this
    every NORTHSTAR_EVALUATION_INTERVAL_S seconds at wall-clock time)."""
    from zoneinfo import ZoneInfo

    from infra.postgres.db import connect
    from projections.evaluation import evaluate as run_evaluation

    zone = ZoneInfo(settings.company_timezone)
    when = datetime.now(UTC) if at is None else at if at.tzinfo else at.replace(tzinfo=zone)

    async def run() -> str:
        conn = await connect(settings.dsn)
        try:
            outcome = await run_evaluation(
                conn,
                when,
                zone,
                None if quiet_alerts else settings.alerts_topic,
                timedelta(hours=settings.adjustment_response_hours),
            )
        finally:
            await conn.close()
        return (
            f"evaluated at {outcome.business_time.isoformat()}: {outcome.krs_recomputed} KRs"
            f" recomputed, {outcome.health_transitions} health changes,"
            f" {outcome.rule_alerts} rule alerts"
        )

    click.echo(asyncio.run(run()))


cli.add_command(audit)
cli.add_command(users)
cli.add_command(tokens)


@cli.group()
def projections() -> None:
    """Read models built from the logs."""


@projections.command("rebuild")
@click.argument(
    "name", type=click.Choice(["kr_progress", "okr_read_models"]), default="kr_progress"
)
@click.option("--quiet", is_flag=True, help="no progress bar")
@click.pass_obj
def projections_rebuild(settings: Settings, name: str, quiet: bool) -> None:
    """Replay a projection's topic from its start into fresh tables (no alerts), then swap them
    in atomically; the live worker and the API keep serving meanwhile."""
    from infra import gc_tuning
    from projections.rebuild import REBUILDS

    gc_tuning.for_batches()

    report = asyncio.run(REBUILDS[name](settings, quiet=quiet).run())
    click.echo(
        f"rebuilt {name}: {report.records:,} records in {report.seconds:.1f}s ="
        f" {report.records / max(report.seconds, 1e-9):,.0f} records/s;"
        f" swap {report.swap_seconds * 1000:.0f} ms (caught up {report.caught_up_records} records,"
        f" {report.swap_retries} retries)"
    )


for _command in (parked, retry, skip):
    projections.add_command(_command)


@cli.group()
def kr() -> None:
    """Key results."""


@kr.command("show")
@click.argument("kr_id", required=False)
@click.option("--unit", "unit_id", help="only KRs owned by this org unit")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def kr_show(settings: Settings, kr_id: str | None, unit_id: str | None, as_json: bool) -> None:
    """Show live progress of metric-bound KRs."""
    from zoneinfo import ZoneInfo

    from infra.postgres.db import connect
    from projections.progress_reads import health_history, kr_progress, with_health

    async def run() -> tuple[list[dict[str, object]], list[dict[str, object]]]:
        conn = await connect(settings.dsn)
        try:
            rows = with_health(
                await kr_progress(conn, kr_id=kr_id, unit_id=unit_id),
                datetime.now(UTC),
                ZoneInfo(settings.company_timezone),
            )
            return rows, await health_history(conn, kr_id) if kr_id else []
        finally:
            await conn.close()

    rows, history = asyncio.run(run())
    if kr_id and not rows:
        raise click.ClickException(f"no key result {kr_id!r}")
    if as_json:
        from projections.progress_reads import json_default

        if kr_id:
            rows[0]["health_history"] = history
        click.echo(orjson.dumps(rows, default=json_default, option=orjson.OPT_INDENT_2).decode())
        return
    click.echo(
        f"{'KR':34} {'owner':10} {'metric':14} {'actual':>16} {'target':>16} {'progress':>9}"
        f" {'expected':>9}  health  as of"
    )
    for row in rows:
        actual, pct = row["actual"], row["progress_display"]
        click.echo(
            f"{row['id']:34} {row['owner_unit_id']:10} {row['metric']:14} "
            f"{'-' if actual is None else f'{actual:,.2f}':>16} {row['target_value']:>16,.2f} "
            f"{'-' if pct is None else f'{pct:.1f}%':>9} {row['expected_pct']:>8.1f}%"
            f"  {row['health']:6}  {row['as_of'] or '-'}"
        )
    if kr_id:
        click.echo(f"why {rows[0]['health']}: {'; '.join(rows[0]['health_reasons'])}")
        click.echo("health history:" if history else "health history: none yet")
        for h in history:
            click.echo(
                f"  #{h['transition']} {h['occurred_at']}  {h['old_health'] or '-'} ->"
                f" {h['new_health']}  progress {h['progress_pct']:.1f}% vs expected"
                f" {h['expected_pct']:.1f}%  ({'; '.join(h['reasons'])})"
            )


@cli.group()
def simulate() -> None:
    """The simulated beverage company."""


@simulate.command("company")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
def simulate_company(out: Path) -> None:
    """Write the company's org tree and this quarter's KRs as YAML."""
    from simulator.company import company_catalog

    catalog_doc = company_catalog(datetime.now(UTC).date()).model_dump(mode="json")
    out.write_text(yaml.safe_dump(catalog_doc, allow_unicode=True, sort_keys=False))
    click.echo(f"wrote {out}")


@simulate.command("sales")
@click.option(
    "--company", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True
)
@click.option("--rate", default=50.0, show_default=True, help="facts per second")
@click.option("--duration", default=0.0, help="seconds to run; 0 runs until interrupted")
@click.option("--seed", default=7, show_default=True)
@click.option(
    "--source",
    help="the facts' source_system; default: pos-sim-<start time>, so a simulator started"
    " again sends new facts instead of ids already counted",
)
@click.pass_obj
def simulate_sales(
    settings: Settings, company: Path, rate: float, duration: float, seed: int, source: str | None
) -> None:
    """Stream simulated sales into the sales topic, one record per fact, in real time."""
    from domain.catalog import CompanyCatalog
    from infra.kafka.sales_publisher import SalesPublisher
    from simulator.sales import SalesSimulator

    simulator = SalesSimulator(
        CompanyCatalog.model_validate(yaml.safe_load(company.read_text())),
        seed=seed,
        source=source or f"pos-sim-{datetime.now(UTC):%Y%m%d%H%M%S}",
    )

    async def run() -> int:
        publisher = SalesPublisher(settings.kafka_bootstrap, settings.sales_topic)
        await publisher.start()
        sent = 0
        started = time.monotonic()
        try:
            while duration <= 0 or time.monotonic() - started < duration:
                for fact in simulator.facts_at(datetime.now(UTC)):
                    await publisher.publish_one(fact)
                    sent += 1
                await asyncio.sleep(max(0.0, started + sent / rate - time.monotonic()))
        finally:
            await publisher.stop()
        return sent

    try:
        sent = asyncio.run(run())
    except KeyboardInterrupt:
        return
    click.echo(f"sent {sent} facts")


@simulate.command("okrs")
@click.option(
    "--company", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True
)
@click.option("--adjustments", default=120, show_default=True)
@click.option(
    "--days",
    default=80.0,
    show_default=True,
    help="spread the adjustment requests over this many days (a KR is asked again only once"
    " its previous request is settled)",
)
@click.option(
    "--log",
    "log_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="write what was done (each adjustment request, decision and times) as JSON",
)
@click.pass_obj
def simulate_okrs(
    settings: Settings, company: Path, adjustments: int, days: float, log_path: Path | None
) -> None:
    """Create the company's OKR tree through commands, then adjustment requests and decisions."""
    from domain.catalog import CompanyCatalog
    from simulator.okr_seed import seed_with_handlers

    catalog_doc = CompanyCatalog.model_validate(yaml.safe_load(company.read_text()))
    report = asyncio.run(seed_with_handlers(settings, catalog_doc, adjustments, days))
    if report is not None and log_path is not None:
        log_path.write_text(json.dumps(report.log, default=str, indent=2))
    click.echo(
        "already seeded"
        if report is None
        else f"{report.people} people, {report.objectives} objectives, {report.key_results} KRs, "
        f"{report.requests} "
        f"adjustment requests, {report.decisions} decisions ({report.applied} applied)"
    )


@cli.group()
def org() -> None:
    """The organisation: units and people, as events."""


@org.command("import")
@click.option(
    "--units",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="CSV: id,name,level,parent_id",
)
@click.option(
    "--people",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="CSV: id,name,role,unit_id",
)
@click.option("--quiet", is_flag=True)
@click.pass_obj
def org_import(settings: Settings, units: Path | None, people: Path | None, quiet: bool) -> None:
    """Create missing units and register or move people; bad rows are named and skipped."""
    from northstar_cli.org_import import import_org

    if units is None and people is None:
        raise click.UsageError("give --units, --people or both")
    report = asyncio.run(import_org(settings, units, people, quiet))
    for error in report.errors:
        click.echo(error, err=True)
    click.echo(
        f"{report.units_created} units created, {report.people_registered} people "
        f"registered, {report.people_changed} changed, {report.unchanged} unchanged, "
        f"{len(report.errors)} rejected"
    )
    if report.errors:
        sys.exit(2)


@cli.group()
def okr() -> None:
    """HQ's admin commands (cycles, north star, focus policy), with the API's rules."""


def _admin(run: Any) -> None:
    from domain.kernel import DomainError

    try:
        result = asyncio.run(run)
    except DomainError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"{result.stream_id} v{result.last_version}"
        + (" (already recorded)" if result.replayed else "")
    )


@okr.command("define-cycle")
@click.argument("cycle_id")
@click.option("--kind", type=click.Choice(["quarter", "month"]), required=True)
@click.option("--start", "starts_on", type=click.DateTime(["%Y-%m-%d"]), required=True)
@click.option("--end", "ends_on", type=click.DateTime(["%Y-%m-%d"]), required=True)
@click.option(
    "--green-max",
    type=Decimal,
    default=Decimal(0),
    show_default=True,
    help="points behind the pacing line still green",
)
@click.option(
    "--amber-max",
    type=Decimal,
    default=Decimal(25),
    show_default=True,
    help="points behind the pacing line still amber (further behind: red)",
)
@click.option(
    "--hysteresis",
    type=Decimal,
    default=Decimal(2),
    show_default=True,
    help="points a KR must clear a threshold by before it is alerted as better",
)
@click.pass_obj
def okr_define_cycle(
    settings: Settings,
    cycle_id: str,
    kind: str,
    starts_on: datetime,
    ends_on: datetime,
    green_max: Decimal,
    amber_max: Decimal,
    hysteresis: Decimal,
) -> None:
    """Define a planning cycle, with its health thresholds."""
    from northstar_cli.okr_admin import define_cycle

    _admin(
        define_cycle(
            settings,
            cycle_id,
            kind,
            starts_on.date(),
            ends_on.date(),
            (green_max, amber_max, hysteresis),
        )
    )


@okr.command("set-north-star")
@click.option("--metric", required=True)
@click.option("--target", type=Decimal, required=True)
@click.option("--unit", required=True)
@click.option("--owner", "owner_person_id", required=True)
@click.pass_obj
def okr_set_north_star(
    settings: Settings, metric: str, target: Decimal, unit: str, owner_person_id: str
) -> None:
    from northstar_cli.okr_admin import set_north_star

    _admin(set_north_star(settings, metric, target, unit, owner_person_id))


@okr.command("define-objective")
@click.argument("objective_id")
@click.option("--title", required=True)
@click.option("--owner", "owner_person_id", required=True, help="the owner's person id")
@click.option("--unit", "owner_unit_id", required=True, help="the owner's org unit")
@click.option("--cycle", "cycle_id", required=True, help="a cycle HQ has defined")
@click.option(
    "--contributes-to",
    "parents",
    multiple=True,
    metavar="PARENT:WEIGHT",
    help="a parent objective (or north-star) and the weight given to it; repeatable",
)
@click.pass_obj
def okr_define_objective(
    settings: Settings,
    objective_id: str,
    title: str,
    owner_person_id: str,
    owner_unit_id: str,
    cycle_id: str,
    parents: tuple[str, ...],
) -> None:
    """Give a person an objective for a cycle (objective ids are unique company-wide)."""
    from domain.objectives import Contribution
    from northstar_cli.okr_admin import define_objective

    contributions = []
    for parent in parents:
        parent_id, _, weight = parent.rpartition(":")
        try:
            contributions.append(Contribution(parent_id=parent_id, weight=Decimal(weight)))
        except (ValueError, ArithmeticError) as exc:
            raise click.BadParameter(f"{parent!r}: expected PARENT:WEIGHT") from exc
    _admin(
        define_objective(
            settings,
            objective_id,
            title,
            (owner_person_id, owner_unit_id),
            cycle_id,
            tuple(contributions),
        )
    )


@okr.command("focus-policy")
@click.argument("mode", type=click.Choice(["block", "warn"]))
@click.pass_obj
def okr_focus_policy(settings: Settings, mode: str) -> None:
    """'block' refuses a fourth active objective per owner and cycle; 'warn' records a hint."""
    from northstar_cli.okr_admin import set_focus_policy

    _admin(set_focus_policy(settings, mode))


@cli.group()
def calibration() -> None:
    """Calibration meetings."""


@calibration.command("agenda")
@click.option("--unit", "unit_id", required=True, help="the org unit whose subtree is discussed")
@click.option("--cycle-start", type=click.DateTime(["%Y-%m-%d"]), help="default: this quarter")
@click.option("--cycle-end", type=click.DateTime(["%Y-%m-%d"]))
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def calibration_agenda_cmd(
    settings: Settings,
    unit_id: str,
    cycle_start: datetime | None,
    cycle_end: datetime | None,
    as_json: bool,
) -> None:
    """Red/amber KRs, open blockers, pending adjustments and KRs without a check-in."""
    from dataclasses import asdict

    from domain.calibration import calibration_agenda
    from infra.postgres.db import connect
    from projections.okr_reads import kr_snapshots
    from projections.org_directory import OrgDirectory
    from simulator.company import quarter_of

    now = datetime.now(UTC)
    start, end = quarter_of(now.date())
    window = (cycle_start.date() if cycle_start else start, cycle_end.date() if cycle_end else end)

    async def run() -> list[dict[str, object]]:
        conn = await connect(settings.dsn)
        try:
            org = await OrgDirectory().load(conn)
            if org is None or unit_id not in org.units:
                raise click.ClickException(f"unknown org unit {unit_id!r}")
            snapshots = await kr_snapshots(conn, sorted(org.subtree(unit_id)))
        finally:
            await conn.close()
        return [asdict(i) for i in calibration_agenda(snapshots, window, now)]

    items = asyncio.run(run())
    if as_json:
        click.echo(orjson.dumps(items, option=orjson.OPT_INDENT_2).decode())
        return
    click.echo(
        f"Calibration agenda for {unit_id}, cycle {window[0]} .. {window[1]}: {len(items)} items"
    )
    for section in ("off_track", "blockers", "pending_adjustments", "no_check_in"):
        rows = [i for i in items if i["section"] == section]
        click.echo(f"\n{section.replace('_', ' ')} ({len(rows)})")
        for item in rows[:25]:
            colour = f"[{item['health']}] " if item["health"] else ""
            click.echo(f"  {colour}{item['kr_id']}  {item['owner_person_id']}: {item['detail']}")
        if len(rows) > 25:
            click.echo(f"  ... {len(rows) - 25} more (use --json)")


@cli.command("contracts")
def contracts_cmd() -> None:
    """Regenerate the JSON Schema files of the sales topic contract under contracts/."""
    from infra.kafka.contracts import write_contracts

    for path in write_contracts():
        click.echo(f"wrote {path}")


@cli.command()
@click.option("--no-simulator", is_flag=True, help="start no sales simulator (run one yourself)")
@click.option("--rate", default=200.0, show_default=True, help="the simulator's facts per second")
@click.pass_obj
def demo(settings: Settings, no_simulator: bool, rate: float) -> None:
    """Everything: services, company, worker agents, relay, API and a live sales simulator,
    each a supervised process (restarted if it dies) until Ctrl-C or SIGTERM."""
    from northstar_cli.demo import run_demo

    run_demo(settings, simulator=not no_simulator, rate=rate)


if __name__ == "__main__":
    cli()
