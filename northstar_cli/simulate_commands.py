"""The simulated company: its catalogue, its sales, a season of OKR activity."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime
from pathlib import Path

import click
import yaml

from domain.catalog import CompanyCatalog
from infra.kafka.connection import kafka_options
from infra.settings import Settings
from infra.signals import stop_on_signals
from northstar_cli.params import MOMENT, zoned_moment


@click.group()
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


def _company(path: Path) -> CompanyCatalog:
    return CompanyCatalog.model_validate(yaml.safe_load(path.read_text()))


def _aware(settings: Settings, moment: datetime | None) -> datetime:
    """A moment given on the command line (none: now; no offset: company time)."""
    return datetime.now(UTC) if moment is None else zoned_moment(moment, settings)


COMPANY = click.option(
    "--company", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True
)


@simulate.command("history")
@COMPANY
@click.option("--until", type=MOMENT, help="the last moment sent (default: now)")
@click.pass_obj
def simulate_history(settings: Settings, company: Path, until: datetime | None) -> None:
    """Send the company's sales from the previous quarter's first day up to now (or --until),
    at its own pace (simulator/pace.py), through the sales topic; prints the moment reached,
    which `simulate sales --since` continues from."""
    from simulator.sales_history import history_start, send_history

    catalog = _company(company)
    end = _aware(settings, until)
    first = history_start(catalog)
    days = max((end.date() - first).days, 1)
    with click.progressbar(length=days, label="sales history", show_pos=True) as bar:

        def advance(_sent: int, reached: datetime) -> None:
            bar.update(max(0, (reached.date() - first).days - bar.pos))

        sent = asyncio.run(send_history(settings, catalog, end, advance))
    click.echo(f"sent {sent} facts from {first} up to {end.isoformat()}")


@simulate.command("sales")
@COMPANY
@click.option(
    "--since", type=MOMENT, help="continue from this moment (default: now); the company's pace"
)
@click.option(
    "--rate",
    type=float,
    help="a load generator instead: this many facts a second, uniform, not the company's pace",
)
@click.option("--duration", default=0.0, help="seconds to run; 0 runs until interrupted")
@click.option("--seed", default=7, show_default=True)
@click.option(
    "--source",
    help="with --rate, the facts' source_system; default: pos-sim-<start time>, so a"
    " simulator started again sends new facts instead of ids already counted",
)
@click.pass_obj
def simulate_sales(
    settings: Settings,
    company: Path,
    since: datetime | None,
    rate: float | None,
    duration: float,
    seed: int,
    source: str | None,
) -> None:
    """Stream the company's sales into the sales topic as the clock reaches them, at its own
    pace (simulator/pace.py: about 750 orders a day in opening hours); with --rate, a load
    generator sending that many facts a second instead."""
    catalog = _company(company)
    if rate is not None:
        sent = _load(settings, catalog, rate, duration, seed, source)
    else:
        sent = _paced(settings, catalog, _aware(settings, since), duration, seed)
    click.echo(f"sent {sent} facts")


def _paced(
    settings: Settings, catalog: CompanyCatalog, since: datetime, duration: float, seed: int
) -> int:
    from simulator.sales_history import send_live

    async def run() -> int:
        stop = stop_on_signals()
        if duration > 0:
            asyncio.get_running_loop().call_later(duration, stop.set)
        return await send_live(settings, catalog, since, stop, seed)

    return asyncio.run(run())


def _load(
    settings: Settings,
    catalog: CompanyCatalog,
    rate: float,
    duration: float,
    seed: int,
    source: str | None,
) -> int:
    from infra.kafka.sales_publisher import SalesPublisher
    from simulator.sales import SalesSimulator

    simulator = SalesSimulator(
        catalog, seed=seed, source=source or f"pos-sim-{datetime.now(UTC):%Y%m%d%H%M%S}"
    )

    async def run() -> int:
        publisher = SalesPublisher(kafka_options(settings), settings.sales_topic)
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
        return asyncio.run(run())
    except KeyboardInterrupt:
        return 0


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
    "--behaviour-weeks",
    default=0,
    show_default=True,
    type=click.IntRange(0, 26),
    help="then simulate people's behaviour over this many weeks up to now: the first half the"
    " old way (long form, goals in a spreadsheet, three-hop approvals), the second with the"
    " board (simulator/behaviour.py)",
)
@click.option(
    "--log",
    "log_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="write what was done (each adjustment request, decision and times) as JSON",
)
@click.pass_obj
def simulate_okrs(
    settings: Settings,
    company: Path,
    adjustments: int,
    days: float,
    behaviour_weeks: int,
    log_path: Path | None,
) -> None:
    """Create the company's OKR tree through commands, then adjustment requests and decisions,
    and (with --behaviour-weeks) people viewing, checking in and asking."""
    from domain.catalog import CompanyCatalog
    from simulator.okr_seed import seed_with_handlers

    catalog_doc = CompanyCatalog.model_validate(yaml.safe_load(company.read_text()))
    report = asyncio.run(
        seed_with_handlers(settings, catalog_doc, adjustments, days, behaviour_weeks)
    )
    if report is not None and log_path is not None:
        log_path.write_text(json.dumps(report.log, default=str, indent=2))
    click.echo(
        "already seeded"
        if report is None
        else f"{report.people} people, {report.objectives} objectives, {report.key_results} KRs, "
        f"{report.requests} "
        f"adjustment requests, {report.decisions} decisions ({report.applied} applied)"
    )
    if report is not None and report.behaviour is not None:
        b = report.behaviour
        click.echo(
            f"behaviour over {b.weeks} weeks of {b.people} people: {b.reads} goal reads,"
            f" {b.check_ins} check-ins, {b.requests} requests ({b.decisions} decided,"
            f" {b.still_open} still open)"
        )
