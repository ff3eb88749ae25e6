"""The simulated company: its catalogue, its sales, a season of OKR activity."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime
from pathlib import Path

import click
import yaml

from infra.kafka.connection import kafka_options
from infra.settings import Settings


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
