"""`northstar projections parked|retry|skip`: the OKR streams the read-model projection parked
at an event it cannot apply, and what an operator does about them."""

from __future__ import annotations

import dataclasses
import getpass
import json
import sys
from zoneinfo import ZoneInfo

import click

from infra.settings import Settings
from northstar_cli.with_db import with_connection


@click.command("parked")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def parked(settings: Settings, as_json: bool) -> None:
    """Streams parked now (exit 3 when there is one), and every skip ever recorded."""
    from handlers.parked_streams import parked_streams, skipped_events

    async def read(conn):  # type: ignore[no-untyped-def]
        return await parked_streams(conn), await skipped_events(conn)

    streams, skips = with_connection(settings, read)
    if as_json:
        document = {
            "parked": [
                {**dataclasses.asdict(s), "parked_at": s.parked_at.isoformat()} for s in streams
            ],
            "skipped": [
                {**e.payload, "by": e.actor, "at": e.occurred_at.isoformat()} for e in skips
            ],
        }
        click.echo(json.dumps(document, indent=2))
    else:
        if not streams:
            click.echo("no stream is parked")
        for s in streams:
            click.echo(
                f"{s.stream_id} parked at v{s.version} ({s.event_type}) since"
                f" {s.parked_at:%Y-%m-%d %H:%M:%S%z}, {s.waiting} event(s) waiting:"
                f" {s.reason}: {s.detail[:300]}"
            )
        for e in skips:
            p = e.payload
            click.echo(
                f"skipped {p['stream_id']} v{p['version']} ({p['event_type']}) by {e.actor}"
                f" at {e.occurred_at:%Y-%m-%d %H:%M:%S%z}: {p['reason']}"
            )
    if streams:
        sys.exit(3)


@click.command("retry")
@click.argument("stream_id")
@click.pass_obj
def retry(settings: Settings, stream_id: str) -> None:
    """After a repair: apply the parked stream's waiting events in order."""
    from handlers.parked_streams import retry_stream

    _report(
        settings,
        stream_id,
        lambda conn: retry_stream(
            conn, stream_id, settings.alerts_topic, ZoneInfo(settings.company_timezone)
        ),
    )


@click.command("skip")
@click.argument("stream_id")
@click.argument("version", type=click.IntRange(min=1))
@click.option("--reason", required=True, help="why passing over this event is right (recorded)")
@click.option("--by", "actor", default=lambda: f"operator:{getpass.getuser()}", show_default=True)
@click.pass_obj
def skip(settings: Settings, stream_id: str, version: int, reason: str, actor: str) -> None:
    """Pass over the event the stream is parked at (recorded for auditors), then apply the
    stream's later events."""
    from handlers.parked_streams import skip_parked_event
    from infra.postgres.event_store import EventStore

    _report(
        settings,
        stream_id,
        lambda conn: skip_parked_event(
            conn,
            EventStore(settings.okr_events_topic),
            stream_id,
            version,
            reason,
            actor,
            settings.alerts_topic,
            ZoneInfo(settings.company_timezone),
        ),
    )


def _report(settings: Settings, stream_id: str, work) -> None:  # type: ignore[no-untyped-def]
    from pydantic import ValidationError

    from domain.kernel import DomainError

    try:
        outcome = with_connection(settings, work)
    except (DomainError, ValidationError) as exc:
        raise click.ClickException(str(exc)) from exc
    if outcome.parked:
        click.echo(
            f"{stream_id}: {outcome.applied} event(s) applied, parked again"
            " (see `northstar projections parked`)",
            err=True,
        )
        sys.exit(1)
    click.echo(f"{stream_id}: {outcome.applied} event(s) applied; the stream is live again")
