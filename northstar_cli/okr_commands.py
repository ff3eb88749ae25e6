"""The OKR side from the command line: the org import, HQ's cycles, north star, objectives and
focus policy, and calibration agendas."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import orjson

from infra.settings import Settings

if TYPE_CHECKING:
    from domain.objectives import Contribution


@click.group()
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
@click.option("--json", "as_json", is_flag=True, help="the counts and rejected rows as JSON")
@click.pass_obj
def org_import(
    settings: Settings, units: Path | None, people: Path | None, quiet: bool, as_json: bool
) -> None:
    """Create missing units and register or move people; bad rows are named and skipped."""
    from northstar_cli.org_import import import_org

    if units is None and people is None:
        raise click.UsageError("give --units, --people or both")
    report = asyncio.run(import_org(settings, units, people, quiet or as_json))
    for error in report.errors:
        click.echo(error, err=True)
    if as_json:
        click.echo(json.dumps({**dataclasses.asdict(report), "rejected": len(report.errors)}))
    else:
        click.echo(
            f"{report.units_created} units created, {report.people_registered} people "
            f"registered, {report.people_changed} changed, {report.unchanged} unchanged, "
            f"{len(report.errors)} rejected"
        )
    if report.errors:
        sys.exit(2)


@click.group()
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
@click.option("--measured-by", help="the KR whose live value measures it (shown on the board)")
@click.pass_obj
def okr_set_north_star(
    settings: Settings,
    metric: str,
    target: Decimal,
    unit: str,
    owner_person_id: str,
    measured_by: str | None,
) -> None:
    from northstar_cli.okr_admin import set_north_star

    _admin(set_north_star(settings, metric, target, unit, owner_person_id, measured_by))


PARENT_HELP = "a parent objective (or north-star) and the weight given to it"


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
    help=f"{PARENT_HELP}; repeatable",
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
    from northstar_cli.okr_admin import define_objective

    _admin(
        define_objective(
            settings,
            objective_id,
            title,
            (owner_person_id, owner_unit_id),
            cycle_id,
            _contributions(parents),
        )
    )


@okr.command("align-objective")
@click.argument("objective_id")
@click.option("--owner", "owner_person_id", required=True, help="the owner's person id")
@click.option("--cycle", "cycle_id", required=True, help="the objective's cycle")
@click.option(
    "--contributes-to",
    "parents",
    multiple=True,
    required=True,
    metavar="PARENT:WEIGHT",
    help=f"{PARENT_HELP}; repeatable; replaces the objective's parents",
)
@click.pass_obj
def okr_align_objective(
    settings: Settings,
    objective_id: str,
    owner_person_id: str,
    cycle_id: str,
    parents: tuple[str, ...],
) -> None:
    """Re-align an objective: the parents it contributes to (which must exist, in its cycle or
    one enclosing it, and lead back to it through no chain of parents)."""
    from northstar_cli.okr_admin import align_objective

    _admin(
        align_objective(settings, objective_id, owner_person_id, cycle_id, _contributions(parents))
    )


def _contributions(parents: tuple[str, ...]) -> tuple[Contribution, ...]:
    """PARENT:WEIGHT options as contributions."""
    from domain.objectives import Contribution

    contributions = []
    for parent in parents:
        parent_id, _, weight = parent.rpartition(":")
        try:
            contributions.append(Contribution(parent_id=parent_id, weight=Decimal(weight)))
        except (ValueError, ArithmeticError) as exc:
            raise click.BadParameter(f"{parent!r}: expected PARENT:WEIGHT") from exc
    return tuple(contributions)


@okr.command("focus-policy")
@click.argument("mode", type=click.Choice(["block", "warn"]))
@click.pass_obj
def okr_focus_policy(settings: Settings, mode: str) -> None:
    """'block' refuses a fourth active objective per owner and cycle; 'warn' records a hint."""
    from northstar_cli.okr_admin import set_focus_policy

    _admin(set_focus_policy(settings, mode))


@click.group()
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
    """Cleanup tasks, red/amber KRs, open blockers, pending adjustments and KRs without a
    check-in."""
    from zoneinfo import ZoneInfo

    from infra.postgres.db import connect
    from projections.reads.board import calibration_agenda_items
    from projections.reads.org_directory import OrgDirectory
    from simulator.pace import quarter_of

    now = datetime.now(UTC)
    start, end = quarter_of(now.date())
    window = (cycle_start.date() if cycle_start else start, cycle_end.date() if cycle_end else end)

    async def run() -> list[dict[str, object]]:
        conn = await connect(settings.dsn)
        try:
            org = await OrgDirectory().load(conn)
            if org is None or unit_id not in org.units:
                raise click.ClickException(f"unknown org unit {unit_id!r}")
            zone = ZoneInfo(settings.company_timezone)
            items = await calibration_agenda_items(conn, org, unit_id, now, zone, window)
        finally:
            await conn.close()
        return [i.document() for i in items]

    items = asyncio.run(run())
    if as_json:
        click.echo(orjson.dumps(items, option=orjson.OPT_INDENT_2).decode())
        return
    click.echo(
        f"Calibration agenda for {unit_id}, cycle {window[0]} .. {window[1]}: {len(items)} items"
    )
    for section in ("cleanup_due", "off_track", "blockers", "pending_adjustments", "no_check_in"):
        rows = [i for i in items if i["section"] == section]
        click.echo(f"\n{section.replace('_', ' ')} ({len(rows)})")
        for item in rows[:25]:
            colour = f"[{item['health']}] " if item["health"] else ""
            subject = item["kr_id"] or item["title"]
            click.echo(f"  {colour}{subject}  {item['owner_person_id']}: {item['detail']}")
        if len(rows) > 25:
            click.echo(f"  ... {len(rows) - 25} more (use --json)")
