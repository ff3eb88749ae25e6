"""`northstar audit ...`: the auditor's tools, read-only, folded from the event store."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from infra.settings import Settings
from northstar_cli.params import MOMENT
from northstar_cli.with_db import with_connection


def as_auditor(settings: Settings, work: Callable[[Any], Awaitable[Any]]) -> Any:
    """Audit reads run as the auditor role (`NORTHSTAR_AUDITOR_DATABASE_URL`): read-only."""
    return with_connection(settings, work, settings.auditor_dsn)


@click.group()
def audit() -> None:
    """What auditors need: tamper evidence (more in issue #5)."""


@audit.command("history")
@click.option("--kr", "kr_id", help="one KR")
@click.option("--objective", "objective_id", help="the KRs of an objective")
@click.option("--owner", "owner_person_id", help="the KRs a person owns")
@click.option("--region", "region_id", help="the KRs owned in an org subtree")
@click.option("--cycle", "cycle_id", help="the KRs of a cycle's objectives")
@click.option("--since", type=MOMENT, help="requested at or after (no offset: company time)")
@click.option("--until", type=MOMENT, help="requested before")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="write to a file")
@click.option(
    "--weights", is_flag=True, help="KR weight changes of objectives instead (--objective, times)"
)
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
    weights: bool,
) -> None:
    """Every target change: old -> new, reason, evidence, requester, decider, times and
    response times, folded from the event store. With --weights: every change of an
    objective's KR weights, before and after, who, when, and the meeting that decided it."""
    from zoneinfo import ZoneInfo

    from audit.history import HistoryFilter, as_csv, change_document, target_change_history

    zone = ZoneInfo(settings.company_timezone)
    selection = HistoryFilter(
        kr_id,
        objective_id,
        owner_person_id,
        region_id,
        cycle_id,
        *(m if m is None or m.tzinfo else m.replace(tzinfo=zone) for m in (since, until)),
    )

    if weights:
        _weight_history(settings, selection, fmt, out)
        return
    changes = as_auditor(settings, lambda conn: target_change_history(conn, selection))
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


def _weight_history(settings: Settings, selection: Any, fmt: str, out: Path | None) -> None:
    from audit.weight_history import weight_change_history

    if fmt == "csv":
        raise click.BadParameter("--weights: table or json", param_hint="--format")
    if selection.kr_id or selection.owner_person_id or selection.region_id or selection.cycle_id:
        raise click.BadParameter("--weights selects by --objective and times only")
    changes = as_auditor(
        settings,
        lambda conn: weight_change_history(
            conn, selection.objective_id, selection.since, selection.until
        ),
    )
    if fmt == "json":
        text = json.dumps(changes, indent=2, ensure_ascii=False) + "\n"
    else:
        lines = [f"{'objective':24} {'changed':17} {'by':16} {'meeting':14} before -> after"]
        for c in changes:
            before = ", ".join(f"{k} {v}" for k, v in c["before"].items()) or "-"
            after = ", ".join(f"{k} {v}" for k, v in c["after"].items())
            lines.append(
                f"{c['objective_id']:24} {c['changed_at'][:16]:17} {c['changed_by']:16}"
                f" {c['meeting_id'] or '-':14} {before} -> {after}"
            )
        lines.append(f"{len(changes)} weight change(s)")
        text = "\n".join(lines) + "\n"
    if out is None:
        click.echo(text, nl=False)
    else:
        out.write_text(text)
        click.echo(f"wrote {len(changes)} weight change(s) to {out}")


def _period(value: str | None, zone: Any) -> tuple[datetime, datetime] | None:
    from audit.periods import parse_period

    if value is None:
        return None
    try:
        return parse_period(value, zone)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc


@audit.command("response-times")
@click.option(
    "--by", type=click.Choice(["all", "region", "cycle", "month"]), default="all", show_default=True
)
@click.option("--before", "before", help="FROM..TO: the period before (requests made in it)")
@click.option("--after", "after", help="FROM..TO: the period after, compared with --before")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.option("--chart", type=click.Path(dir_okay=False, path_type=Path), help="write an SVG chart")
@click.option("--as-of", "as_of", type=MOMENT, help="measure as known then (default: now)")
@click.pass_obj
def audit_response_times(
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

    from audit.charts import response_time_chart
    from audit.history import HistoryFilter, target_change_history
    from audit.response_times import compare_periods, group_times, grouping_key
    from infra.postgres.db import connect

    zone = ZoneInfo(settings.company_timezone)
    periods = (_period(before, zone), _period(after, zone))
    if (periods[0] is None) != (periods[1] is None):
        raise click.UsageError("--before and --after go together")

    moment = _zoned(as_of, settings) if as_of else datetime.now(UTC)

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
        click.echo(
            f"{'group':16} {'n':>5} {'open':>5} {'median h->decided':>18} {'p90':>8}"
            f" {'mean done':>9} {'open':>5} {'median h->applied':>18} {'p90':>8}"
        )
        for row in rows:
            d, a = row["hours_to_decision"], row["hours_to_applied"]
            click.echo(
                f"{row['group']:16} {d['count']:>5} {d['still_open']:>5} {_h(d['median']):>18}"
                f" {_h(d['p90']):>8} {_h(d['mean_of_done']):>9} {a['still_open']:>5}"
                f" {_h(a['median']):>18} {_h(a['p90']):>8}"
            )
        if "comparison" in report:
            for name, ratio in report["comparison"]["change"].items():
                if ratio is not None:
                    click.echo(f"  {name}: {ratio:+.1%}")
    if chart is not None:
        chart.write_text(response_time_chart(title, rows))
        click.echo(f"chart: {chart}", err=True)


def _h(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _selection(function: Any) -> Any:
    for option in (
        click.option("--unit", "unit_id", help="an org subtree (default: the whole company)"),
        click.option("--objective", "objective_id", help="one objective and its KRs"),
        click.option("--kr", "kr_id", help="one KR"),
    ):
        function = option(function)
    return function


@audit.command("escalation-times")
@click.option(
    "--by", type=click.Choice(["all", "unit", "month"]), default="unit", show_default=True
)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.pass_obj
def audit_escalation_times(settings: Settings, by: str, fmt: str) -> None:
    """How fast escalations are acknowledged and resolved (hours: count, median, mean, p90),
    by the level they were raised to or by month, with how many are open and overdue."""
    from zoneinfo import ZoneInfo

    from audit.escalation_times import escalation_response_times

    zone = ZoneInfo(settings.company_timezone)
    rows = as_auditor(
        settings,
        lambda conn: escalation_response_times(conn, by, zone, datetime.now(zone)),
    )
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
        return
    click.echo(
        f"{'group':24} {'raised':>6} {'open':>5} {'overdue':>7} {'median h->ack':>14}"
        f" {'median h->resolved':>19} {'p90':>8}"
    )
    for row in rows:
        ack, res = row["hours_to_acknowledge"], row["hours_to_resolve"]
        click.echo(
            f"{row['group']:24} {row['raised']:>6} {row['open']:>5} {row['overdue']:>7}"
            f" {_h(ack['median']):>14} {_h(res['median']):>19} {_h(res['p90']):>8}"
        )


@audit.command("as-of")
@click.argument("moment", type=MOMENT)
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

    state = as_auditor(
        settings,
        lambda conn: state_as_of(conn, _zoned(moment, settings), kr_id, objective_id, unit_id),
    )
    click.echo(json.dumps(state, indent=2, ensure_ascii=False))


@audit.command("diff")
@click.argument("first", type=MOMENT)
@click.argument("second", type=MOMENT)
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

    report = as_auditor(
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

    from audit.periods import zoned

    return zoned(moment, ZoneInfo(settings.company_timezone))


@audit.command("views")
@click.option("--per", type=click.Choice(["week", "month"]), default="week", show_default=True)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.option("--chart", type=click.Path(dir_okay=False, path_type=Path), help="write an SVG chart")
@click.pass_obj
def audit_views(settings: Settings, per: str, fmt: str, chart: Path | None) -> None:
    """Goal views per person, by role, per week or month: visits to a KR or an objective (a
    person's reads of one goal with no gap over 30 minutes count once; `reads` counts them
    all)."""
    from audit.charts import goal_view_chart
    from audit.goal_views import goal_views

    rows = as_auditor(
        settings,
        lambda conn: goal_views(conn, per, settings.company_timezone),  # type: ignore[arg-type]
    )
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
    else:
        click.echo(
            f"{per:10} {'role':10} {'views':>7} {'reads':>7} {'viewers':>8} {'people':>7}"
            f" {'per person':>11}"
        )
        for r in rows:
            click.echo(
                f"{r['period']:10} {r['role']:10} {r['views']:>7} {r['reads']:>7}"
                f" {r['viewers']:>8} {r['people']:>7} {r['views_per_person']:>11.2f}"
            )
    if chart is not None:
        chart.write_text(goal_view_chart(rows, per))
        click.echo(f"chart: {chart}", err=True)


@audit.command("adoption")
@click.option("--between", help="FROM..TO: the weeks to report (default: the last 12 weeks)")
@click.option("--before", help="FROM..TO: the period before, compared with --after")
@click.option("--after", help="FROM..TO: the period after")
@click.option("--cadence-days", default=7, show_default=True, type=click.IntRange(1, 92))
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.pass_obj
def audit_adoption(
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

    from audit.adoption import adoption_report, default_weeks

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


@audit.command("manual-vs-system")
@click.option("--between", help="FROM..TO: when the check-ins were made (default: 12 weeks)")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.pass_obj
def audit_manual_vs_system(settings: Settings, between: str | None, fmt: str) -> None:
    """Check-ins on sales-bound KRs against what the sales say the KR stood at that day:
    |reported - computed| / computed, in all, per owner unit and per person."""
    from zoneinfo import ZoneInfo

    from audit.adoption import default_weeks
    from projections.reads.progress_reads import rows_json
    from projections.reports.manual_vs_system import manual_vs_system

    zone = ZoneInfo(settings.company_timezone)
    period = _period(between, zone) or default_weeks(datetime.now(UTC))
    report = rows_json([as_auditor(settings, lambda conn: manual_vs_system(conn, period, zone))])[0]
    if fmt == "json":
        click.echo(json.dumps(report, indent=2, ensure_ascii=False))
        return
    click.echo(f"{'':24} {'check-ins':>9} {'no value':>8} {'median':>8} {'p90':>8} {'mean':>8}")
    for name, row in [("all", report["all"])] + [
        (f"unit {r['owner_unit_id']}", r) for r in report["by_unit"]
    ]:
        cells = [row[k] for k in ("median", "p90", "mean")]
        shown = ["-" if v is None else f"{float(v):.1%}" for v in cells]
        click.echo(
            f"{name[:24]:24} {row['check_ins']:>9} {row['without_computed']:>8}"
            f" {shown[0]:>8} {shown[1]:>8} {shown[2]:>8}"
        )


@audit.command("churn")
@click.option("--unit", "unit_id", required=True, help="an org unit (its whole subtree)")
@click.option("--from", "first", required=True, help="the first month, YYYY-MM")
@click.option("--to", "last", required=True, help="the last month, YYYY-MM")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.pass_obj
def audit_churn(settings: Settings, unit_id: str, first: str, last: str, fmt: str) -> None:
    """Customer churn per month: the unit's customers active the month before and this month,
    lost (bought the month before, not this month), gained, and the churn rate."""
    from projections.reports.customer_churn import churn, parse_month

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
    click.echo(f"{'month':8} {'before':>7} {'now':>7} {'lost':>6} {'new':>6} {'churn':>7}")
    for r in rows:
        rate = "-" if r["churn_rate"] is None else f"{r['churn_rate']:.1%}"
        click.echo(
            f"{r['month']:8} {r['active_before']:>7} {r['active_now']:>7} {r['churned']:>6}"
            f" {r['gained']:>6} {rate:>7}"
        )


@audit.command("verify")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def audit_verify(settings: Settings, as_json: bool) -> None:
    """Check every stream's hash chain in the event store and that the OKR events topic carries
    exactly the same events; names the first broken link of each stream; exit 1 on any."""
    from audit.verify import verify

    result = as_auditor(settings, lambda conn: verify(conn, settings, quiet=as_json))
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
