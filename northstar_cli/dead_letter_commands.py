"""`northstar dead-letters`: the sales records the pipeline could not accept — list them, show
one, and replay them to the sales topic once the cause is fixed."""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import datetime

import click

from infra.kafka.codec import REJECT_REASONS
from infra.kafka.connection import kafka_options
from infra.settings import Settings
from northstar_cli.params import MOMENT, zoned_moment


def _selected(
    settings: Settings, reasons: tuple[str, ...], since: datetime | None, ids: tuple[str, ...]
) -> list:
    from infra.kafka.dead_letter_log import chosen, read_dead_letters

    if since is not None:
        since = zoned_moment(since, settings)
    letters = asyncio.run(read_dead_letters(kafka_options(settings), settings.dead_letter_topic))
    return chosen(letters, reasons, since, ids)


_REASON = click.option(
    "--reason", "reasons", multiple=True, type=click.Choice(REJECT_REASONS), help="repeatable"
)
_SINCE = click.option("--since", type=MOMENT, help="dead-lettered at or after (company time)")


@click.group("dead-letters")
def dead_letters() -> None:
    """Sales records that could not be accepted: list, show, replay after the fix."""


@dead_letters.command("list")
@_REASON
@_SINCE
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.pass_obj
def list_cmd(
    settings: Settings, reasons: tuple[str, ...], since: datetime | None, fmt: str
) -> None:
    """Every dead letter (oldest first) with its reason, source position and time."""
    letters = _selected(settings, reasons, since, ())
    if fmt == "json":
        click.echo(json.dumps([letter.summary() for letter in letters], ensure_ascii=False))
        return
    for letter in letters:
        click.echo(
            f"{letter.dead_letter_id}\t{letter.reason}\t{letter.dead_lettered_at:%Y-%m-%d %H:%M:%S}"
            f"\t{letter.detail[:120]}"
        )
    click.echo(f"{len(letters)} dead letters", err=True)


@dead_letters.command("show")
@click.argument("dead_letter_id")
@click.pass_obj
def show_cmd(settings: Settings, dead_letter_id: str) -> None:
    """One dead letter: its reason, detail, source and the original bytes (as text)."""
    found = _selected(settings, (), None, (dead_letter_id,))
    if not found:
        click.echo(f"no dead letter {dead_letter_id!r}", err=True)
        sys.exit(1)
    letter = found[0]
    click.echo(json.dumps(letter.summary(), ensure_ascii=False, indent=2))
    click.echo(letter.value.decode(errors="replace"))


@dead_letters.command("replay")
@_REASON
@_SINCE
@click.option("--id", "ids", multiple=True, help="a dead letter's id; repeatable")
@click.option("--dry-run", is_flag=True, help="say what would be replayed, send nothing")
@click.pass_obj
def replay_cmd(
    settings: Settings,
    reasons: tuple[str, ...],
    since: datetime | None,
    ids: tuple[str, ...],
    dry_run: bool,
) -> None:
    """Publish the chosen dead letters' original bytes to the sales topic again. Safe to
    repeat: a fact is counted once by its source id; a record that still cannot be accepted
    is dead-lettered again, under a new id."""
    from tqdm import tqdm

    from infra.kafka.dead_letter_log import replay

    letters = _selected(settings, reasons, since, ids)
    if dry_run or not letters:
        for letter in letters:
            click.echo(f"would replay {letter.dead_letter_id} ({letter.reason})")
        click.echo(f"{len(letters)} dead letters {'would be ' if dry_run else ''}replayed")
        return
    with tqdm(total=len(letters), desc="replaying", unit="record", file=sys.stderr) as bar:
        sent = asyncio.run(
            replay(kafka_options(settings), settings.sales_topic, letters, bar.update)
        )
    click.echo(f"{sent} dead letters replayed to {settings.sales_topic}")
