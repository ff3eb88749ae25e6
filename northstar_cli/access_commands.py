"""`northstar users` and `northstar tokens`: who may log in to the board, and the bearer tokens
of API clients and ingest producers (both stored as digests only)."""

from __future__ import annotations

import sys
from datetime import timedelta

import click

from infra.postgres.accounts import PEOPLE_ROLES
from infra.settings import Settings
from northstar_cli.with_db import with_connection


@click.group()
def users() -> None:
    """People who log in to the board and the API (password or one-time link)."""


@users.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(list(PEOPLE_ROLES)), required=True)
@click.option("--person", "person_id", required=True)
@click.option("--unit", "unit_id", required=True)
@click.option("--password-stdin", is_flag=True, help="read the password from standard input")
@click.pass_obj
def users_add(
    settings: Settings, username: str, role: str, person_id: str, unit_id: str, password_stdin: bool
) -> None:
    """Create or update a user (the password is stored as a scrypt digest only)."""
    from infra.postgres.accounts import add_user

    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    try:
        with_connection(
            settings, lambda conn: add_user(conn, username, role, person_id, unit_id, password)
        )
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"user {username} ({role}, {person_id} in {unit_id})")


@users.command("login-link")
@click.argument("username")
@click.option("--minutes", default=15, show_default=True)
@click.pass_obj
def users_login_link(settings: Settings, username: str, minutes: int) -> None:
    """Print a one-time login link to the board (valid for --minutes, usable once)."""
    from infra.postgres.accounts import create_login_link

    try:
        token = with_connection(
            settings, lambda conn: create_login_link(conn, username, timedelta(minutes=minutes))
        )
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"http://{settings.api_host}:{settings.api_port}/v1/session/link/{token}?then=board")


@click.group()
def tokens() -> None:
    """API client tokens."""


@tokens.command("create")
@click.argument("name")
@click.option(
    "--role",
    type=click.Choice(["ingest", "reader", "admin", *PEOPLE_ROLES]),
    required=True,
)
@click.option("--person", "person_id", help="the person a people role acts as")
@click.option("--unit", "unit_id", help="the org unit that person belongs to or manages")
@click.pass_obj
def tokens_create(
    settings: Settings, name: str, role: str, person_id: str | None, unit_id: str | None
) -> None:
    """Create (or rotate) a client's token and print it once."""
    from infra.postgres.accounts import create_client

    try:
        click.echo(
            with_connection(
                settings, lambda conn: create_client(conn, name, role, person_id, unit_id)
            )
        )
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc


@users.command("list")
@click.pass_obj
def users_list(settings: Settings) -> None:
    """Users with their role, person, unit, whether a password is set, and live sessions."""
    from infra.postgres.accounts import list_users

    for u in with_connection(settings, list_users):
        password = "password" if u["has_password"] else "links only"
        click.echo(
            f"{u['username']:16} {u['role']:9} {u['person_id']:22} {u['unit_id']:18}"
            f" {password:10} sessions {u['sessions']}"
        )


@users.command("remove")
@click.argument("username")
@click.pass_obj
def users_remove(settings: Settings, username: str) -> None:
    """Delete a user; their sessions and login links end at once."""
    from infra.postgres.accounts import remove_user

    if not with_connection(settings, lambda conn: remove_user(conn, username)):
        raise click.ClickException(f"no user {username!r}")
    click.echo(f"user {username} removed; their sessions ended")


@tokens.command("list")
@click.pass_obj
def tokens_list(settings: Settings) -> None:
    """API clients: name, role, person and unit (the tokens themselves are not stored)."""
    from infra.postgres.accounts import list_clients

    for c in with_connection(settings, list_clients):
        click.echo(f"{c['name']:20} {c['role']:9} {c['person_id'] or '-':22} {c['unit_id'] or '-'}")


@tokens.command("revoke")
@click.argument("name")
@click.pass_obj
def tokens_revoke(settings: Settings, name: str) -> None:
    """Revoke a client's token (the API stops accepting it within 5 seconds)."""
    from infra.postgres.accounts import revoke_client

    if not with_connection(settings, lambda conn: revoke_client(conn, name)):
        raise click.ClickException(f"no client {name!r}")
    click.echo(f"token of {name} revoked")
