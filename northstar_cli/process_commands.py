"""Running the stack: the services (Kafka, PostgreSQL), the worker's agents, the API, the
relay and the webhook dispatcher."""

from __future__ import annotations

import asyncio
import json

import click

from infra.settings import Settings


@click.group()
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


@click.command()
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


@click.command()
@click.pass_obj
def api(settings: Settings) -> None:
    """Serve the HTTP API on NORTHSTAR_API_HOST:NORTHSTAR_API_PORT (127.0.0.1:8400), in
    NORTHSTAR_API_WORKERS processes sharing the port (1 by default)."""
    import uvicorn

    from api.app import create_api
    from infra.metrics import share_between_processes

    options = {
        "host": settings.api_host,
        "port": settings.api_port,
        "log_level": "warning",
        "access_log": False,  # request lines may carry a login link's token
    }
    if settings.api_workers == 1:
        uvicorn.run(create_api(settings), **options)  # type: ignore[arg-type]
        return
    with share_between_processes():
        uvicorn.run(
            "api.app:api_from_environment",
            factory=True,
            workers=settings.api_workers,
            **options,  # type: ignore[arg-type]
        )


@click.command()
@click.pass_obj
def relay(settings: Settings) -> None:
    """Publish the event store's outbox to the OKR events topic (one active relay at a time)."""
    from streams.outbox_relay import run_relay

    run_relay(settings)


@click.group(invoke_without_command=True)
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
