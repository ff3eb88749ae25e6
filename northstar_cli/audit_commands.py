"""`northstar audit ...`: the auditor's tools, read-only, folded from the event store."""

from __future__ import annotations

import json
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from infra.settings import Settings
from northstar_cli.params import MOMENT, zoned_moment
from northstar_cli.with_db import with_connection
from reports.render import Column, field, text_table


def as_auditor(settings: Settings, work: Callable[[Any], Awaitable[Any]]) -> Any:
    """Audit reads run as the auditor role (`NORTHSTAR_AUDITOR_DATABASE_URL`): read-only."""
    return with_connection(settings, work, settings.auditor_dsn)


def _moment(value: str | None) -> str | None:
    """An ISO 8601 moment (the store's, in UTC) as the table shows it: to the minute."""
    return None if value is None else value[:16].replace("T", " ")


# The target-change history as a table: who asked what, when and why, and what became of it.
HISTORY_COLUMNS = (
    Column("KR", field("kr_id"), 30, "<"),
    Column("kind", field("kind"), 12, "<"),
    Column("request", field("request_id"), 10, "<"),
    Column("requested UTC", lambda d: _moment(d["requested_at"]), 16, "<"),
    Column("by", field("requested_by"), 16, "<"),
    Column("target", lambda d: f"{d['current_target']} -> {d['proposed_target']}", 22),
    Column("decision", lambda d: d["decision"] or "pending", 9, "<"),
    Column("by", field("decided_by"), 16, "<"),
    Column("h->decided", field("hours_to_decision"), 10),
    Column("h->applied", field("hours_to_applied"), 10),
    Column("reason", field("reason"), 60, "<"),
)


@click.group()
def audit() -> None:
    """The auditor's tools: target-change history, the OKRs as of a moment and what changed
    between two, and tamper evidence (the field analytics: `northstar reports`)."""


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
    from audit.history import HistoryFilter, as_csv, change_document, target_change_history

    selection = HistoryFilter(
        kr_id,
        objective_id,
        owner_person_id,
        region_id,
        cycle_id,
        *(m if m is None else zoned_moment(m, settings) for m in (since, until)),
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
        documents = [change_document(c) for c in changes]
        lines = [text_table(HISTORY_COLUMNS, documents)]
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


def _selection(function: Any) -> Any:
    for option in (
        click.option("--unit", "unit_id", help="an org subtree (default: the whole company)"),
        click.option("--objective", "objective_id", help="one objective and its KRs"),
        click.option("--kr", "kr_id", help="one KR"),
    ):
        function = option(function)
    return function


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
        lambda conn: state_as_of(
            conn, zoned_moment(moment, settings), kr_id, objective_id, unit_id
        ),
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
            zoned_moment(first, settings),
            zoned_moment(second, settings),
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
