"""`northstar`: run and operate the stack from one command."""

from __future__ import annotations

import click

from infra.logging import configure_logging
from infra.settings import Settings
from northstar_cli.access_commands import tokens, users
from northstar_cli.audit_commands import audit
from northstar_cli.dead_letter_commands import dead_letters
from northstar_cli.observe_command import observe
from northstar_cli.okr_commands import calibration, okr, org
from northstar_cli.process_commands import api, relay, services, webhooks, worker
from northstar_cli.report_commands import hidden_aliases, reports
from northstar_cli.sales_commands import catalog, evaluate, ingest, kr, projections
from northstar_cli.simulate_commands import simulate


@click.group()
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Northstar: live KR progress from sales events."""
    settings = Settings()
    configure_logging(settings.log_level)
    ctx.obj = settings


cli.add_command(services)
cli.add_command(worker)
cli.add_command(api)
cli.add_command(relay)
cli.add_command(webhooks)
cli.add_command(catalog)
cli.add_command(ingest)
cli.add_command(evaluate)
cli.add_command(projections)
cli.add_command(kr)
cli.add_command(simulate)
cli.add_command(org)
cli.add_command(okr)
cli.add_command(calibration)
cli.add_command(audit)
cli.add_command(reports)
hidden_aliases(audit)
cli.add_command(users)
cli.add_command(tokens)
cli.add_command(dead_letters)
cli.add_command(observe)


@cli.command("contracts")
def contracts_cmd() -> None:
    """Regenerate the JSON Schema files under contracts/ and the settings reference
    (docs/reference/settings.md)."""
    from infra.kafka.contracts import write_contracts
    from infra.settings_doc import write_settings_doc

    for path in [*write_contracts(), write_settings_doc()]:
        click.echo(f"wrote {path}")


@cli.command()
@click.option("--no-simulator", is_flag=True, help="start no sales simulator (run one yourself)")
@click.option(
    "--rate",
    type=float,
    help="a load generator instead of the company's pace: this many facts a second",
)
@click.pass_obj
def demo(settings: Settings, no_simulator: bool, rate: float | None) -> None:
    """Everything: services, company, worker agents, relay, API and a live sales simulator,
    each a supervised process (restarted if it dies) until Ctrl-C or SIGTERM."""
    from northstar_cli.demo import run_demo

    run_demo(settings, simulator=not no_simulator, rate=rate)


if __name__ == "__main__":
    cli()
