"""The run-time database roles and what each may do (ADR 0015). The owner (migrations,
operator tools) owns every table; the app reads and writes rows but changes no schema, and may
only append to the event store; the auditor reads everything but the secrets of logins and
tokens; the monitor (the PostgreSQL exporter) reads the server's statistics (`pg_monitor`) and
no table's rows. None can disable the event store's guard (only a table's owner can alter
it) or set `session_replication_role` (superusers only)."""

from __future__ import annotations

import asyncio

import asyncpg
import structlog

from infra.settings import Settings

SECRETS = ("app_user", "login_link", "user_session", "api_client")  # digests, but still secrets
GRANTS_LOCK = 0x6E7352_6F6C6573  # advisory lock key: one role-and-grant setup per database


async def _ensure_role(conn: asyncpg.Connection, user: str, password: str) -> None:
    """A login role with this password (created, or its password set again)."""
    exists = await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", user)
    verb = "ALTER" if exists else "CREATE"
    statement = await conn.fetchval(
        f"SELECT format('{verb} ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE"
        " PASSWORD %L', $1::text, $2::text)",
        user,
        password,
    )
    try:
        await _on_shared_catalog(conn, statement)
    except asyncpg.DuplicateObjectError:  # another migrator created it a moment ago
        await _ensure_role(conn, user, password)


async def _on_shared_catalog(conn: asyncpg.Connection, statement: str, attempts: int = 10) -> None:
    """Roles and memberships live in the cluster's shared catalog: two migrators changing the
    same row at once (two databases set up side by side) make one fail with "tuple concurrently
    updated", which is safe to run again."""
    for attempt in range(1, attempts + 1):
        try:
            await conn.execute(statement)
            return
        except asyncpg.InternalServerError as exc:
            if "tuple concurrently updated" not in str(exc) or attempt == attempts:
                raise
            await asyncio.sleep(0.02 * attempt)


async def grant_runtime_roles(settings: Settings, owner_dsn: str | None = None) -> None:
    """Create the app, auditor and monitor roles if needed and grant them their rights on the
    owner's database (`owner_dsn`, default the settings' own); idempotent, run after every migrate.
    Tables the owner creates later (a rebuild's shadow tables, which it swaps in) get the same
    row rights by default."""
    app, auditor, monitor = settings.app_db_user, settings.auditor_db_user, settings.monitor_db_user
    conn = await asyncpg.connect(owner_dsn or settings.owner_dsn)
    try:
        # One migrator of this database at a time (its grants are rows of its own catalog);
        # migrators of other databases still meet on the shared roles (`_on_shared_catalog`).
        await conn.execute("SELECT pg_advisory_lock($1)", GRANTS_LOCK)
        await _ensure_role(conn, app, settings.app_db_password.get_secret_value())
        await _ensure_role(conn, auditor, settings.auditor_db_password.get_secret_value())
        await _ensure_role(conn, monitor, settings.monitor_db_password.get_secret_value())
        quoted = {
            name: await conn.fetchval("SELECT quote_ident($1)", name)
            for name in (app, auditor, monitor)
        }
        a, r, m = quoted[app], quoted[auditor], quoted[monitor]
        await conn.execute(
            f"""
            REVOKE CREATE ON SCHEMA public FROM PUBLIC;
            GRANT USAGE ON SCHEMA public TO {a}, {r};
            GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {a};
            REVOKE UPDATE, DELETE, TRUNCATE ON event_store FROM {a};
            REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON schema_migration FROM {a};
            GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {a};
            GRANT SELECT ON ALL TABLES IN SCHEMA public TO {r};
            REVOKE SELECT ON {", ".join(SECRETS)} FROM {r};
            ALTER DEFAULT PRIVILEGES GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {a};
            ALTER DEFAULT PRIVILEGES GRANT USAGE, SELECT ON SEQUENCES TO {a};
            ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO {r};
            """
        )
        try:
            await _on_shared_catalog(conn, f"GRANT pg_monitor TO {m}")
        except asyncpg.InsufficientPrivilegeError:  # an owner that may not hand it on
            structlog.get_logger("northstar.postgres").warning(
                "monitor_role_without_pg_monitor",
                hint=f"as a superuser: GRANT pg_monitor TO {m}",
            )
    finally:
        await conn.close()  # ends the session, and with it the advisory lock
