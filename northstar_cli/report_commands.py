"""`northstar reports ...`: the field analytics, one command per report, the same reports as
`GET /v1/reports/...` (the old `northstar audit <report>` names stay as hidden aliases)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from infra.settings import Settings
from northstar_cli.audit_commands import as_auditor
from northstar_cli.params import MOMENT, zoned_moment
from reports.customer_churn import COLUMNS as CHURN_COLUMNS
from reports.escalation_times import COLUMNS as ESCALATION_COLUMNS
from reports.goal_views import COLUMNS as VIEW_COLUMNS
from reports.manual_vs_system import COLUMNS as MANUAL_COLUMNS
from reports.manual_vs_system import table_rows
from reports.render import text_table
from reports.response_times import COLUMNS as RESPONSE_COLUMNS


@click.group()
def reports() -> None:
    """The field analytics: adoption, goal views, response times, manual versus system,
    customer churn."""


def _period(value: str | None, zone: Any) -> tuple[datetime, datetime] | None:
    from reports.periods import parse_period

    if value is None:
        return None
    try:
        return parse_period(value, zone)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc


@reports.command("response-times")
@click.option(
    "--by", type=click.Choice(["all", "region", "cycle", "month"]), default="all", show_default=True
)
@click.option("--before", "before", help="FROM..TO: the period before (requests made in it)")
@click.option("--after", "after", help="FROM..TO: the period after, compared with --before")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.option("--chart", type=click.Path(dir_okay=False, path_type=Path), help="write an SVG chart")
@click.option("--as-of", "as_of", type=MOMENT, help="measure as known then (default: now)")
@click.pass_obj
def response_times(
    settings: Settings,
    by: str,
    before: str | None,
    after: str | None,
    fmt: str,
    chart: Path | None,
    as_of: datetime | None,
) -> None:
    """Request -> decision and request -> applied, in hours, by region, cycle or month: how
    many requests, how many are still open, the Kaplan-Meier median and p90 (open requests
    count as censored, so they cannot pull the figures low) and the mean of the done ones; with
    --before/--after, the two periods side by side and the change."""
    from zoneinfo import ZoneInfo

    from audit.history import HistoryFilter, target_change_history
    from infra.postgres.db import connect
    from reports.charts import response_time_chart
    from reports.response_times import compare_periods, group_times, grouping_key

    zone = ZoneInfo(settings.company_timezone)
    periods = (_period(before, zone), _period(after, zone))
    if (periods[0] is None) != (periods[1] is None):
        raise click.UsageError("--before and --after go together")

    moment = zoned_moment(as_of, settings) if as_of else datetime.now(UTC)

    async def run() -> dict[str, Any]:
        conn = await connect(settings.auditor_dsn)
        try:
            changes = await target_change_history(conn, HistoryFilter())
            if periods[0] and periods[1]:
                return {"comparison": compare_periods(changes, periods[0], periods[1], moment)}
            key = await grouping_key(conn, by, zone)  # type: ignore[arg-type]
            groups = group_times(changes, key, moment)
            return {"by": by, "as_of": moment.isoformat(), "groups": [g.document() for g in groups]}
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
        click.echo(text_table(RESPONSE_COLUMNS, rows))
        if "comparison" in report:
            for name, ratio in report["comparison"]["change"].items():
                if ratio is not None:
                    click.echo(f"  {name}: {ratio:+.1%}")
    if chart is not None:
        chart.write_text(response_time_chart(title, rows))
        click.echo(f"chart: {chart}", err=True)


@reports.command("escalation-times")
@click.option(
    "--by", type=click.Choice(["all", "unit", "month"]), default="unit", show_default=True
)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.pass_obj
def escalation_times(settings: Settings, by: str, fmt: str) -> None:
    """How fast escalations are acknowledged and resolved (hours: count, median, mean, p90),
    by the level they were raised to or by month, with how many are open and overdue."""
    from zoneinfo import ZoneInfo

    from reports.escalation_times import escalation_response_times

    zone = ZoneInfo(settings.company_timezone)
    rows = as_auditor(
        settings,
        lambda conn: escalation_response_times(conn, by, zone, datetime.now(zone)),
    )
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
        return
    click.echo(text_table(ESCALATION_COLUMNS, rows))


@reports.command("views")
@click.option("--per", type=click.Choice(["week", "month"]), default="week", show_default=True)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.option("--chart", type=click.Path(dir_okay=False, path_type=Path), help="write an SVG chart")
@click.pass_obj
def views(settings: Settings, per: str, fmt: str, chart: Path | None) -> None:
    """Goal views per person, by role, per week or month: visits to a KR or an objective (a
    person's reads of one goal with no gap over 30 minutes count once; `reads` counts them
    all)."""
    from reports.charts import goal_view_chart
    from reports.goal_views import goal_views

    rows = as_auditor(
        settings,
        lambda conn: goal_views(conn, per, settings.company_timezone),  # type: ignore[arg-type]
    )
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
    else:
        click.echo(text_table(VIEW_COLUMNS, rows))
    if chart is not None:
        chart.write_text(goal_view_chart(rows, per))
        click.echo(f"chart: {chart}", err=True)


@reports.command("adoption")
@click.option("--between", help="FROM..TO: the weeks to report (default: the last 12 weeks)")
@click.option("--before", help="FROM..TO: the period before, compared with --after")
@click.option("--after", help="FROM..TO: the period after")
@click.option("--cadence-days", default=7, show_default=True, type=click.IntRange(1, 92))
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.pass_obj
def adoption(
    settings: Settings,
    between: str | None,
    before: str | None,
    after: str | None,
    cadence_days: int,
    fmt: str,
) -> None:
    """Check-in usage (the share of KR owners who checked in within the cadence) per week by
    role and unit, the forms' burden, and with --before/--after both periods' check-in usage
    and goal views per person per week, each with its 95 % interval."""
    from zoneinfo import ZoneInfo

    from reports.adoption import adoption_report, default_weeks

    zone = ZoneInfo(settings.company_timezone)
    periods = (_period(before, zone), _period(after, zone))
    if (periods[0] is None) != (periods[1] is None):
        raise click.UsageError("--before and --after go together")
    weeks = _period(between, zone) or default_weeks(datetime.now(UTC))
    compare = (periods[0], periods[1]) if periods[0] and periods[1] else None
    report = as_auditor(
        settings,
        lambda conn: adoption_report(
            conn,
            weeks,
            settings.company_timezone,
            cadence_days,
            compare,  # type: ignore[arg-type]
            datetime.now(UTC),
        ),
    )
    if fmt == "json":
        click.echo(json.dumps(report, indent=2, default=str))
        return
    click.echo(f"check-in usage within {cadence_days} days, by role")
    click.echo(
        f"{'week':10} {'role':10} {'owners':>7} {'checked in':>11} {'usage':>7} 95 % interval"
    )
    for row in report["check_in_usage"]["by_role"]:
        click.echo(
            f"{row['week']:10} {row['role']:10} {row['owners']:>7} {row['checked_in']:>11}"
            f" {_share(row['usage'])}"
        )
    click.echo("forms: " + ", ".join(
        f"{name} {form['required']} required + {form['optional']} optional"
        for name, form in report["forms"].items()
    ))  # fmt: skip
    for side in ("before", "after"):
        if side in report:
            figures = report[side]
            usage, views = figures["check_in_usage"]["all"], figures["views_per_person_per_week"]
            times = report["response_times"][side]["hours_to_decision"]
            click.echo(
                f"{side:6} {figures['from']}..{figures['to']}: check-in usage"
                f" {_share(usage)}; goal views per person per week {_mean(views['all'])};"
                f" adjustment answered in {_days(times['median'])} days (median,"
                f" {times['still_open']} still open)"
            )


def _days(hours: float | None) -> str:
    return "-" if hours is None else f"{hours / 24:.1f}"


def _share(interval: dict[str, Any]) -> str:
    if interval["value"] is None:
        return f"{'-':>7}"
    return f"{interval['value']:>7.1%} [{interval['low']:.1%}, {interval['high']:.1%}]"


def _mean(interval: dict[str, Any]) -> str:
    if interval["value"] is None:
        return "-"
    return f"{interval['value']:.2f} [{interval['low']:.2f}, {interval['high']:.2f}]"


@reports.command("manual-vs-system")
@click.option("--between", help="FROM..TO: when the check-ins were made (default: 12 weeks)")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.pass_obj
def manual_versus_system(settings: Settings, between: str | None, fmt: str) -> None:
    """Check-ins on sales-bound KRs against what the sales say the KR stood at that day:
    |reported - computed| / computed, in all, per owner unit and per person."""
    from zoneinfo import ZoneInfo

    from projections.reads.progress_reads import rows_json
    from reports.adoption import default_weeks
    from reports.manual_vs_system import manual_vs_system

    zone = ZoneInfo(settings.company_timezone)
    period = _period(between, zone) or default_weeks(datetime.now(UTC))
    report = rows_json([as_auditor(settings, lambda conn: manual_vs_system(conn, period, zone))])[0]
    if fmt == "json":
        click.echo(json.dumps(report, indent=2, ensure_ascii=False))
        return
    click.echo(text_table(MANUAL_COLUMNS, table_rows(report)))


@reports.command("churn")
@click.option("--unit", "unit_id", required=True, help="an org unit (its whole subtree)")
@click.option("--from", "first", required=True, help="the first month, YYYY-MM")
@click.option("--to", "last", required=True, help="the last month, YYYY-MM")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.pass_obj
def customer_churn(settings: Settings, unit_id: str, first: str, last: str, fmt: str) -> None:
    """Customer churn per month: the unit's customers active the month before and this month,
    lost (bought the month before, not this month), gained, and the churn rate."""
    from reports.customer_churn import churn, parse_month

    try:
        months = [parse_month(m) for m in (first, last)]
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc
    if months[1] < months[0]:
        raise click.BadParameter(f"--to {last} is before --from {first}")
    rows = as_auditor(settings, lambda conn: churn(conn, unit_id, months[0], months[1]))
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
        return
    click.echo(text_table(CHURN_COLUMNS, rows))


def hidden_aliases(group: click.Group) -> None:
    """The reports' old names under `northstar audit` (e.g. `audit churn`), kept working and
    hidden from its help."""
    for name, command in reports.commands.items():
        alias = click.Command(
            name,
            params=command.params,
            callback=command.callback,
            help=f"Alias of `northstar reports {name}`.",
            hidden=True,
        )
        group.add_command(alias)
