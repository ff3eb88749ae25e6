"""The sales side: the company catalogue, ingesting files of sales facts, evaluating KRs at a
moment, showing KR progress, rebuilding a projection."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import click
import orjson
import yaml

from infra.kafka.connection import kafka_options
from infra.settings import Settings
from northstar_cli.params import MOMENT, zoned_moment
from northstar_cli.parked_commands import parked, retry, skip
from northstar_cli.with_db import with_connection


@click.group()
def catalog() -> None:
    """The org tree and metric-bound KRs."""


@catalog.command("load")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--reason", help="why the plan changed (default: the file's `reason`)")
@click.option(
    "--as", "person_id", help="the HQ admin who loads it (default: the file's first HQ admin)"
)
@click.option("--json", "as_json", is_flag=True, help="print what was recorded as JSON")
@click.option("--quiet", is_flag=True, help="no progress bar")
@click.pass_obj
def catalog_load(
    settings: Settings,
    path: Path,
    reason: str | None,
    person_id: str | None,
    as_json: bool,
    quiet: bool,
) -> None:
    """Import the company plan from a YAML file as HQ's commands: org units, people, cycles,
    KRs and objectives. Loading it again records nothing; a changed KR target is recorded as
    HQ's redefinition with the reason."""
    from pydantic import ValidationError
    from tqdm import tqdm

    from domain.catalog import CompanyCatalog
    from domain.kernel import DomainError
    from handlers.catalog_import import catalog_actor, import_catalog, import_steps
    from projections.reference_data import load_reference_data

    try:
        company = CompanyCatalog.model_validate(yaml.safe_load(path.read_text()))
        if reason is not None:
            company = company.model_copy(update={"reason": reason})
        actor = catalog_actor(company, person_id)
    except (ValidationError, DomainError) as exc:
        raise click.ClickException(f"{path}: {exc}") from exc

    async def load(conn: asyncpg.Connection) -> dict[str, Any]:
        with tqdm(total=import_steps(company), disable=quiet, desc=f"load {path.name}") as bar:
            report = await import_catalog(settings, conn, company, actor, bar.update)
        reference = await load_reference_data(conn, company)
        return {**report.document(), "reference_rows": reference}

    _echo_recorded(settings, load, as_json, f"{path}: ", "nothing changed")


@catalog.command("adopt")
@click.option("--as", "person_id", help="the HQ admin who records them (default: the first)")
@click.option("--json", "as_json", is_flag=True, help="print what was recorded as JSON")
@click.pass_obj
def catalog_adopt(settings: Settings, person_id: str | None, as_json: bool) -> None:
    """Once, after upgrading: record as HQ's commands the org units and KRs an earlier
    `catalog load` wrote straight into the tables (it has no effect the second time)."""
    from handlers.catalog_import import adopt_unrecorded_rows

    async def adopt(conn: asyncpg.Connection) -> dict[str, Any]:
        return (await adopt_unrecorded_rows(settings, conn, person_id)).document()

    _echo_recorded(settings, adopt, as_json, "", "nothing left to adopt")


def _echo_recorded(
    settings: Settings,
    work: Callable[[asyncpg.Connection], Awaitable[dict[str, Any]]],
    as_json: bool,
    heading: str,
    nothing: str,
) -> None:
    """Run an import and say what it recorded (an `ImportReport` document), or why nothing."""
    from domain.kernel import DomainError

    try:
        outcome = with_connection(settings, work)
    except DomainError as exc:
        raise click.ClickException(f"{heading}nothing recorded: {exc}") from exc
    if as_json:
        click.echo(json.dumps(outcome))
        return
    recorded = ", ".join(f"{n} {kind}" for kind, n in outcome["recorded"].items())
    click.echo(f"{heading}{outcome['events']} events recorded ({recorded or nothing})")
    for line in outcome["left_as_recorded"]:
        click.echo(f"  left as recorded (no command changes it): {line}")


@click.command()
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
        publisher = SalesPublisher(kafka_options(settings), settings.sales_topic)
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


@click.command()
@click.option(
    "--at",
    type=MOMENT,
    help="business time to evaluate at (ISO 8601; without an offset: the company's time"
    " zone); default now. The business clock never moves back.",
)
@click.option("--quiet-alerts", is_flag=True, help="evaluate without emitting alerts")
@click.option("--json", "as_json", is_flag=True, help="the counts as one JSON object")
@click.pass_obj
def evaluate(settings: Settings, at: datetime | None, quiet_alerts: bool, as_json: bool) -> None:
    """Re-evaluate KR values, health and the alert rules as time passes, and schedule the
    calibration meetings the units' rhythms call for (the worker does this every
    NORTHSTAR_EVALUATION_INTERVAL_S seconds at wall-clock time)."""
    from zoneinfo import ZoneInfo

    from handlers.bootstrap import configured_handlers
    from infra.postgres.db import connect
    from projections.sales.evaluation import evaluate as run_evaluation

    calibration = configured_handlers(settings).calibration

    zone = ZoneInfo(settings.company_timezone)
    when = datetime.now(UTC) if at is None else zoned_moment(at, settings)

    async def run() -> dict[str, object]:
        conn = await connect(settings.dsn)
        try:
            outcome = await run_evaluation(
                conn,
                when,
                zone,
                None if quiet_alerts else settings.alerts_topic,
                timedelta(hours=settings.adjustment_response_hours),
                settings.certification_metric,
            )
            scheduled = await calibration.schedule_due(conn, outcome.business_time, zone)
        finally:
            await conn.close()
        return {
            "evaluated_at": outcome.business_time.isoformat(),
            "krs_recomputed": outcome.krs_recomputed,
            "health_changes": outcome.health_transitions,
            "rule_alerts": outcome.rule_alerts,
            "calibration_meetings_scheduled": scheduled,
        }

    counts = asyncio.run(run())
    if as_json:
        click.echo(json.dumps(counts))
        return
    click.echo(
        f"evaluated at {counts['evaluated_at']}: {counts['krs_recomputed']} KRs recomputed,"
        f" {counts['health_changes']} health changes, {counts['rule_alerts']} rule alerts,"
        f" {counts['calibration_meetings_scheduled']} calibration meetings scheduled"
    )


@click.group()
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


@click.group()
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
    from projections.reads.progress_reads import health_history, kr_progress, with_health

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
        from projections.reads.progress_reads import json_default

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
