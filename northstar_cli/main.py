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
@click.pass_obj
def worker(settings: Settings) -> None:
    """Run the Faust worker that projects sales into KR progress."""
    from streams.app import run_worker

    run_worker(settings)


@cli.command()
@click.pass_obj
def api(settings: Settings) -> None:
    """Serve the HTTP API on NORTHSTAR_API_HOST:NORTHSTAR_API_PORT (127.0.0.1:8400)."""
    import uvicorn

    from api.app import create_api

    uvicorn.run(
        create_api(settings), host=settings.api_host, port=settings.api_port, log_level="warning"
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

    if not url.startswith(("http://", "https://")):
        raise click.BadParameter("the URL must start with http:// or https://")
    if len(secret) < 16:
        raise click.BadParameter("use a secret of at least 16 characters")

    async def run() -> None:
        conn = await connect(settings.dsn)
        try:
            await conn.execute(
                "INSERT INTO webhook_subscription (name, url, secret) VALUES ($1, $2, $3)"
                " ON CONFLICT (name) DO UPDATE SET url = excluded.url, secret = excluded.secret",
                name,
                url,
                secret,
            )
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
    from domain.messages import DomainError
    from infra.postgres.db import connect
    from projections.catalog import load_catalog

    try:
        company = CompanyCatalog.model_validate(yaml.safe_load(path.read_text()))
    except (ValidationError, DomainError) as exc:
        raise click.ClickException(f"{path}: {exc}") from exc

    async def run() -> int:
        conn = await connect(settings.dsn)
        try:
            return await load_catalog(conn, company)
        finally:
            await conn.close()

    krs = asyncio.run(run())
    click.echo(f"loaded {len(company.units)} org units and {krs} key results from {path}")


@cli.group()
def tokens() -> None:
    """API client tokens."""


@tokens.command("create")
@click.argument("name")
@click.option(
    "--role",
    type=click.Choice(["ingest", "reader", "admin", "hq_admin", "manager", "rep", "auditor"]),
    required=True,
)
@click.option("--person", "person_id", help="the person a people role acts as")
@click.option("--unit", "unit_id", help="the org unit that person belongs to or manages")
@click.pass_obj
def tokens_create(
    settings: Settings, name: str, role: str, person_id: str | None, unit_id: str | None
) -> None:
    """Create (or rotate) a client's token and print it once."""
    from api.auth import create_client
    from infra.postgres.db import connect

    async def run() -> str:
        conn = await connect(settings.dsn)
        try:
            return await create_client(conn, name, role, person_id, unit_id)
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from exc
        finally:
            await conn.close()

    click.echo(asyncio.run(run()))


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
    type=click.DateTime(formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"]),
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
    from projections.rebuild import REBUILDS

    report = asyncio.run(REBUILDS[name](settings, quiet=quiet).run())
    click.echo(
        f"rebuilt {name}: {report.records:,} records in {report.seconds:.1f}s ="
        f" {report.records / max(report.seconds, 1e-9):,.0f} records/s;"
        f" swap {report.swap_seconds * 1000:.0f} ms (caught up {report.caught_up_records} records)"
    )


@cli.group()
def audit() -> None:
    """What auditors need: tamper evidence (more in issue #5)."""


_MOMENT = click.DateTime(
    ["%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"]
)


@audit.command("history")
@click.option("--kr", "kr_id", help="one KR")
@click.option("--objective", "objective_id", help="the KRs of an objective")
@click.option("--owner", "owner_person_id", help="the KRs a person owns")
@click.option("--region", "region_id", help="the KRs owned in an org subtree")
@click.option("--cycle", "cycle_id", help="the KRs of a cycle's objectives")
@click.option("--since", type=_MOMENT, help="requested at or after (no offset: company time)")
@click.option("--until", type=_MOMENT, help="requested before")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="write to a file")
@click.pass_obj
def audit_history(
    settings: Settings,
    kr_id: str | None,
    objective_id: str | None,
    owner_person_id: str | None,
    region_id: str | None,
    cycle_id: str | None,
    since: datetime | None,
    until: datetime | None,
    fmt: str,
    out: Path | None,
) -> None:
    """Every target change: old -> new, reason, evidence, requester, decider, times and
    response times, folded from the event store."""
    from zoneinfo import ZoneInfo

    from audit.history import HistoryFilter, as_csv, change_document, target_change_history
    from infra.postgres.db import connect

    zone = ZoneInfo(settings.company_timezone)
    selection = HistoryFilter(
        kr_id,
        objective_id,
        owner_person_id,
        region_id,
        cycle_id,
        *(m if m is None or m.tzinfo else m.replace(tzinfo=zone) for m in (since, until)),
    )

    async def run() -> list[Any]:
        conn = await connect(settings.dsn)
        try:
            return await target_change_history(conn, selection)
        finally:
            await conn.close()

    changes = asyncio.run(run())
    if fmt == "json":
        text = json.dumps([change_document(c) for c in changes], indent=2, ensure_ascii=False)
    elif fmt == "csv":
        text = as_csv(changes)
    else:
        lines = [
            f"{'KR':32} {'request':10} {'requested':17} {'by':16} {'target':>22} {'decision':9}"
            f" {'by':16} {'h->decided':>10} {'h->applied':>10}"
        ]
        for c in changes:
            doc = change_document(c)
            lines.append(
                f"{c.kr_id:32} {c.request_id:10} {c.requested_at:%Y-%m-%d %H:%M} "
                f"{c.requested_by:16} {doc['current_target']:>10} -> {doc['proposed_target']:<8}"
                f" {c.decision or 'pending':9} {c.decided_by or '-':16}"
                f" {doc['hours_to_decision'] or '-':>10} {doc['hours_to_applied'] or '-':>10}"
            )
        lines.append(f"{len(changes)} target change(s)")
        text = "\n".join(lines) + "\n"
    if out is None:
        click.echo(text, nl=False)
    else:
        out.write_text(text)
        click.echo(f"wrote {len(changes)} target change(s) to {out}")


def _period(value: str | None, zone: Any) -> tuple[datetime, datetime] | None:
    if value is None:
        return None
    try:
        start, end = (datetime.fromisoformat(part) for part in value.split(".."))
    except ValueError as exc:
        raise click.BadParameter(
            f"{value!r}: expected FROM..TO, e.g. 2026-10-01..2026-11-01"
        ) from exc
    return tuple(m if m.tzinfo else m.replace(tzinfo=zone) for m in (start, end))  # type: ignore[return-value]


@audit.command("response-times")
@click.option(
    "--by", type=click.Choice(["all", "region", "cycle", "month"]), default="all", show_default=True
)
@click.option("--before", "before", help="FROM..TO: the period before (requests made in it)")
@click.option("--after", "after", help="FROM..TO: the period after, compared with --before")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.option("--chart", type=click.Path(dir_okay=False, path_type=Path), help="write an SVG chart")
@click.pass_obj
def audit_response_times(
    settings: Settings,
    by: str,
    before: str | None,
    after: str | None,
    fmt: str,
    chart: Path | None,
) -> None:
    """Median, mean and p90 of request -> decision and request -> applied, in hours, by region,
    cycle or month; with --before/--after, the two periods side by side and the change."""
    from zoneinfo import ZoneInfo

    from audit.charts import bar_chart
    from audit.history import HistoryFilter, target_change_history
    from audit.response_times import compare_periods, group_times, grouping_key
    from infra.postgres.db import connect

    zone = ZoneInfo(settings.company_timezone)
    periods = (_period(before, zone), _period(after, zone))
    if (periods[0] is None) != (periods[1] is None):
        raise click.UsageError("--before and --after go together")

    async def run() -> dict[str, Any]:
        conn = await connect(settings.dsn)
        try:
            changes = await target_change_history(conn, HistoryFilter())
            if periods[0] and periods[1]:
                return {"comparison": compare_periods(changes, periods[0], periods[1])}
            key = await grouping_key(conn, by, zone)  # type: ignore[arg-type]
            return {"by": by, "groups": [g.document() for g in group_times(changes, key)]}
        finally:
            await conn.close()

    report = asyncio.run(run())
    if "comparison" in report:
        rows = [report["comparison"]["before"], report["comparison"]["after"]]
        title = "Target-adjustment response time, before and after"
    else:
        rows = report["groups"]
        title = f"Target-adjustment response time by {by}"
    if fmt == "json":
        click.echo(json.dumps(report, indent=2))
    else:
        click.echo(
            f"{'group':16} {'n':>5} {'median h->decided':>18} {'mean':>8} {'p90':>8}"
            f" {'median h->applied':>18} {'mean':>8} {'p90':>8}"
        )
        for row in rows:
            d, a = row["hours_to_decision"], row["hours_to_applied"]
            click.echo(
                f"{row['group']:16} {d['count']:>5} {_h(d['median']):>18} {_h(d['mean']):>8}"
                f" {_h(d['p90']):>8} {_h(a['median']):>18} {_h(a['mean']):>8} {_h(a['p90']):>8}"
            )
        if "comparison" in report:
            for name, ratio in report["comparison"]["change"].items():
                if ratio is not None:
                    click.echo(f"  {name}: {ratio:+.1%}")
    if chart is not None:
        labels = [row["group"] for row in rows]
        series = {
            "median, request -> decision": [_days(r["hours_to_decision"]["median"]) for r in rows],
            "mean, request -> decision": [_days(r["hours_to_decision"]["mean"]) for r in rows],
            "median, request -> applied": [_days(r["hours_to_applied"]["median"]) for r in rows],
        }
        chart.write_text(bar_chart(title, labels, series, "days"))
        click.echo(f"chart: {chart}", err=True)


def _h(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _days(hours: float | None) -> float | None:
    return None if hours is None else round(hours / 24, 2)


def _selection(function: Any) -> Any:
    for option in (
        click.option("--unit", "unit_id", help="an org subtree (default: the whole company)"),
        click.option("--objective", "objective_id", help="one objective and its KRs"),
        click.option("--kr", "kr_id", help="one KR"),
    ):
        function = option(function)
    return function


@audit.command("as-of")
@click.argument("moment", type=_MOMENT)
@_selection
@click.pass_obj
def audit_as_of(
    settings: Settings,
    moment: datetime,
    kr_id: str | None,
    objective_id: str | None,
    unit_id: str | None,
) -> None:
    """The OKRs as they stood at MOMENT, folded from the events that occurred up to it (JSON)."""
    from audit.as_of import state_as_of

    state = _audit_run(
        settings,
        lambda conn: state_as_of(conn, _zoned(moment, settings), kr_id, objective_id, unit_id),
    )
    click.echo(json.dumps(state, indent=2, ensure_ascii=False))


@audit.command("diff")
@click.argument("first", type=_MOMENT)
@click.argument("second", type=_MOMENT)
@_selection
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def audit_diff(
    settings: Settings,
    first: datetime,
    second: datetime,
    kr_id: str | None,
    objective_id: str | None,
    unit_id: str | None,
    as_json: bool,
) -> None:
    """What changed in the OKRs between FIRST and SECOND: added, removed, field old -> new."""
    from audit.as_of import changes_between

    report = _audit_run(
        settings,
        lambda conn: changes_between(
            conn,
            _zoned(first, settings),
            _zoned(second, settings),
            kr_id=kr_id,
            objective_id=objective_id,
            unit_id=unit_id,
        ),
    )
    if as_json:
        click.echo(json.dumps(report, indent=2, ensure_ascii=False))
        return
    click.echo(f"from {report['from']} to {report['to']}")
    for section in ("objectives", "key_results"):
        for change in report[section]:
            if change["change"] == "changed":
                was, now = (json.dumps(change[k], ensure_ascii=False) for k in ("was", "now"))
                click.echo(f"  {change['id']}: {change['field']}: {was} -> {now}")
            else:
                click.echo(f"  {change['id']}: {change['change']}")
    click.echo(f"{len(report['objectives']) + len(report['key_results'])} change(s)")


def _zoned(moment: datetime, settings: Settings) -> datetime:
    from zoneinfo import ZoneInfo

    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(settings.company_timezone))


def _audit_run(settings: Settings, step: Any) -> Any:
    from infra.postgres.db import connect

    async def run() -> Any:
        conn = await connect(settings.dsn)
        try:
            return await step(conn)
        finally:
            await conn.close()

    return asyncio.run(run())


@audit.command("views")
@click.option("--per", type=click.Choice(["week", "month"]), default="week", show_default=True)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.option("--chart", type=click.Path(dir_okay=False, path_type=Path), help="write an SVG chart")
@click.pass_obj
def audit_views(settings: Settings, per: str, fmt: str, chart: Path | None) -> None:
    """Goal views per person, by role, per week or month (reads of KRs and objectives)."""
    from audit.charts import bar_chart
    from audit.goal_views import goal_views

    rows = _audit_run(
        settings,
        lambda conn: goal_views(conn, per, settings.company_timezone),  # type: ignore[arg-type]
    )
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
    else:
        click.echo(
            f"{per:10} {'role':10} {'views':>7} {'viewers':>8} {'people':>7} {'per person':>11}"
        )
        for r in rows:
            click.echo(
                f"{r['period']:10} {r['role']:10} {r['views']:>7} {r['viewers']:>8}"
                f" {r['people']:>7} {r['views_per_person']:>11.2f}"
            )
    if chart is not None:
        periods = sorted({r["period"] for r in rows})
        roles = sorted({r["role"] for r in rows})
        by_key = {(r["period"], r["role"]): r["views_per_person"] for r in rows}
        series = {role: [by_key.get((p, role)) for p in periods] for role in roles}
        chart.write_text(bar_chart(f"Goal views per person per {per}", periods, series, "views"))
        click.echo(f"chart: {chart}", err=True)


@audit.command("verify")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def audit_verify(settings: Settings, as_json: bool) -> None:
    """Check every stream's hash chain in the event store and that the OKR events topic carries
    exactly the same events; names the first broken link of each stream; exit 1 on any."""
    from audit.verify import Verification, verify
    from infra.postgres.db import connect

    async def run() -> Verification:
        conn = await connect(settings.dsn)
        try:
            return await verify(conn, settings, quiet=as_json)
        finally:
            await conn.close()

    result = asyncio.run(run())
    findings = [str(f) for f in result.findings]
    if as_json:
        click.echo(json.dumps({**result.__dict__, "findings": findings}, indent=2))
    else:
        click.echo(
            f"{result.streams} streams, {result.events} events in the store;"
            f" {result.topic_records} records on {settings.okr_events_topic}"
        )
        for finding in findings:
            click.echo(f"BROKEN {finding}")
        click.echo("intact" if not findings else f"{len(findings)} problem(s)")
    if findings:
        sys.exit(1)


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
    from projections.queries import health_history, kr_progress, with_health

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
        from projections.queries import json_default

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
@click.pass_obj
def simulate_sales(
    settings: Settings, company: Path, rate: float, duration: float, seed: int
) -> None:
    """Stream simulated sales into the sales topic, one record per fact, in real time."""
    from domain.catalog import CompanyCatalog
    from infra.kafka.sales_publisher import SalesPublisher
    from simulator.sales import SalesSimulator

    simulator = SalesSimulator(
        CompanyCatalog.model_validate(yaml.safe_load(company.read_text())),
        seed=seed,
        source=f"pos-sim-{seed}",
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
    "--log",
    "log_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="write what was done (each adjustment request, decision and times) as JSON",
)
@click.pass_obj
def simulate_okrs(
    settings: Settings, company: Path, adjustments: int, log_path: Path | None
) -> None:
    """Create the company's OKR tree through commands, then adjustment requests and decisions."""
    from domain.catalog import CompanyCatalog
    from simulator.okr_seed import seed_with_handlers

    catalog_doc = CompanyCatalog.model_validate(yaml.safe_load(company.read_text()))
    report = asyncio.run(seed_with_handlers(settings, catalog_doc, adjustments))
    if report is not None and log_path is not None:
        log_path.write_text(json.dumps(report.log, default=str, indent=2))
    click.echo(
        "already seeded"
        if report is None
        else f"{report.objectives} objectives, {report.key_results} KRs, {report.requests} "
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
    from domain.messages import DomainError

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
@click.pass_obj
def okr_define_cycle(
    settings: Settings,
    cycle_id: str,
    kind: str,
    starts_on: datetime,
    ends_on: datetime,
    green_max: Decimal,
    amber_max: Decimal,
) -> None:
    """Define a planning cycle, with its health thresholds."""
    from northstar_cli.okr_admin import define_cycle

    _admin(
        define_cycle(
            settings, cycle_id, kind, starts_on.date(), ends_on.date(), (green_max, amber_max)
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
    from projections.okr_queries import kr_snapshots
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
@click.pass_obj
def demo(settings: Settings) -> None:
    """Everything: services, company, worker, API and a live sales simulator."""
    from northstar_cli.demo import run_demo

    run_demo(settings)


if __name__ == "__main__":
    cli()
