"""Least privilege in the database (ADR 0015): every process at run time connects as the app
role, which reads and writes rows but cannot alter, delete or truncate an event, switch the
event store's guard off (by ALTER TABLE or `session_replication_role`) or change the schema;
the auditor role (the audit CLI's) reads the store but writes nothing and sees no secrets; the
monitor role (the PostgreSQL exporter's) reads the server's statistics and no table's rows."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from infra.postgres.roles import grant_runtime_roles
from tests.stack import hq_token, load_company, small_company

APP_REFUSED = (
    "UPDATE event_store SET actor = 'mallory'",
    "DELETE FROM event_store",
    "TRUNCATE event_store",
    "ALTER TABLE event_store DISABLE TRIGGER event_store_append_only",
    "ALTER TABLE event_store DISABLE TRIGGER ALL",
    "SET session_replication_role = replica",
    "DROP TABLE okr_key_result",
    "CREATE TABLE planted (id int)",
    "INSERT INTO schema_migration (version) VALUES ('9999_planted')",
)
AUDITOR_REFUSED = (
    *APP_REFUSED,
    "INSERT INTO org_unit (id, name, level, parent_id) VALUES ('x', 'x', 'rep', 'hq')",
    "UPDATE key_result SET target_value = 1",
    "SELECT * FROM api_client",
    "SELECT * FROM app_user",
    "SELECT * FROM user_session",
)
MONITOR_REFUSED = (
    *AUDITOR_REFUSED,
    "SELECT * FROM event_store",
    "SELECT * FROM key_result",
    "SELECT * FROM sales_rollup_daily",
)


async def _refused(dsn: str, statements: tuple[str, ...]) -> list[str]:
    """The statements that were NOT refused (each in its own transaction, rolled back)."""
    conn = await asyncpg.connect(dsn)
    allowed = []
    try:
        for statement in statements:
            transaction = conn.transaction()
            await transaction.start()
            try:
                await conn.execute(statement)
                allowed.append(statement)
            except asyncpg.InsufficientPrivilegeError:
                pass
            finally:
                await transaction.rollback()
    finally:
        await conn.close()
    return allowed


async def test_the_app_and_auditor_roles_cannot_touch_the_event_store(env):
    await load_company(env.settings, small_company())
    await hq_token(env.settings)  # a token row, so the secrets' tables hold something
    owner = await asyncpg.connect(env.settings.owner_dsn)
    try:
        recorded = await owner.fetchval("SELECT count(*) FROM event_store") + 1  # the plan's
        await owner.execute(
            "INSERT INTO event_store (stream_id, version, event_id, event_type, schema_version,"
            " payload, actor, occurred_at, recorded_at, correlation_id, prev_hash, hash)"
            " VALUES ('s-1', 1, gen_random_uuid(), 't', 1, '{}', 'p', now(), now(),"
            " gen_random_uuid(), decode('00', 'hex'), decode('01', 'hex'))"
        )
        roles = await owner.fetch(
            "SELECT rolname, rolsuper, rolcreaterole, rolcreatedb FROM pg_roles"
            " WHERE rolname = ANY($1::text[])",
            [env.settings.app_db_user, env.settings.auditor_db_user, env.settings.monitor_db_user],
        )
    finally:
        await owner.close()
    assert len(roles) == 3 and not any(
        r["rolsuper"] or r["rolcreaterole"] or r["rolcreatedb"] for r in roles
    )
    assert await _refused(env.settings.dsn, APP_REFUSED) == []
    assert await _refused(env.settings.auditor_dsn, AUDITOR_REFUSED) == []
    assert await _refused(env.settings.monitor_dsn, MONITOR_REFUSED) == []

    # what each role is for still works
    app = await asyncpg.connect(env.settings.dsn)
    try:
        assert await app.fetchval("SELECT count(*) FROM event_store") == recorded
        assert await app.fetchval("SELECT current_setting('is_superuser')") == "off"
        await app.execute("UPDATE key_result SET title = title")  # rows: read and write
    finally:
        await app.close()
    auditor = await asyncpg.connect(env.settings.auditor_dsn)
    try:
        assert await auditor.fetchval("SELECT count(*) FROM event_store") == recorded
    finally:
        await auditor.close()
    monitor = await asyncpg.connect(env.settings.monitor_dsn)
    app = await asyncpg.connect(env.settings.dsn)
    try:  # the server's statistics, another role's queries included (pg_monitor)
        await app.execute("SELECT 'seen by the monitor'")
        assert await monitor.fetchval(
            "SELECT xact_commit > 0 FROM pg_stat_database WHERE datname = current_database()"
        )
        assert (
            await monitor.fetchval(
                "SELECT query FROM pg_stat_activity"
                " WHERE usename = $1 AND datname = current_database()",
                env.settings.app_db_user,
            )
            == "SELECT 'seen by the monitor'"
        )
    finally:
        await app.close()
        await monitor.close()


@pytest.mark.parametrize("role", ["dsn", "auditor_dsn", "monitor_dsn"])
async def test_the_roles_need_their_password(env, role):
    url = getattr(env.settings, role)
    wrong = url.replace(url.split("//", 1)[1].split("@", 1)[0].split(":", 1)[1], "guess", 1)
    with pytest.raises(asyncpg.InvalidPasswordError):
        await asyncpg.connect(wrong)


async def test_databases_set_up_side_by_side_share_the_roles_without_failing(env):
    """Roles live in the cluster's shared catalog: migrators of several databases (parallel
    test processes, replicas starting together) set them at the same moment."""
    await asyncio.gather(*(grant_runtime_roles(env.settings) for _ in range(12)))
    app = await asyncpg.connect(env.settings.dsn)
    try:
        assert await app.fetchval("SELECT count(*) FROM event_store") == 0
    finally:
        await app.close()
