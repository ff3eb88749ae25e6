"""Private database + topics + consumer group on the shared services, for tests and benchmarks
(not part of the installed packages)."""

from __future__ import annotations

import uuid

import asyncpg

from infra.kafka.topics import delete_topics, ensure_topics
from infra.postgres.db import migrate
from infra.postgres.roles import grant_runtime_roles
from infra.settings import Settings


async def isolated_settings(base: Settings, label: str, **overrides: object) -> Settings:
    suffix = f"{label}_{uuid.uuid4().hex[:10]}"
    database = f"ns_{suffix}"
    admin = await asyncpg.connect(base.owner_dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{database}"')
    finally:
        await admin.close()

    def on_database(dsn: str) -> str:
        return dsn.rsplit("/", 1)[0] + "/" + database

    settings = base.model_copy(
        update={
            "database_url": on_database(base.dsn),
            "owner_database_url": on_database(base.owner_dsn),
            "auditor_database_url": on_database(base.auditor_dsn),
            "monitor_database_url": on_database(base.monitor_dsn),
            "app_id": f"ns-{suffix}",
            "sales_topic": f"{label}.{suffix}.sales",
            "dead_letter_topic": f"{label}.{suffix}.dead-letter",
            "okr_events_topic": f"{label}.{suffix}.okr-events",
            "alerts_topic": f"{label}.{suffix}.alerts",
            "relay_transactional_id": f"ns-{suffix}-relay",
            "metrics_port": 0,  # a test that scrapes a worker names its port
            **overrides,
        }
    )
    await migrate(settings.owner_dsn)
    await grant_runtime_roles(settings)
    await ensure_topics(settings)
    return settings


async def drop_isolated(base: Settings, settings: Settings) -> None:
    """Drop the private database and the topics made for it (its own topics and those its
    Faust app made), never a topic it was pointed at: thousands of left-over partitions slow
    the shared broker down for every later run."""
    database = settings.dsn.rsplit("/", 1)[1]
    admin = await asyncpg.connect(base.owner_dsn)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    finally:
        await admin.close()
    suffix = database.removeprefix("ns_")
    await delete_topics(
        settings,
        lambda name: f".{suffix}." in name or name.startswith(f"{settings.app_id}-"),
    )


def environ_for(settings: Settings) -> dict[str, str]:
    """The NORTHSTAR_* variables that make a child process use these settings."""
    return {
        "NORTHSTAR_DATABASE_URL": settings.dsn,
        "NORTHSTAR_OWNER_DATABASE_URL": settings.owner_dsn,
        "NORTHSTAR_AUDITOR_DATABASE_URL": settings.auditor_dsn,
        "NORTHSTAR_MONITOR_DATABASE_URL": settings.monitor_dsn,
        "NORTHSTAR_APP_ID": settings.app_id,
        "NORTHSTAR_SALES_TOPIC": settings.sales_topic,
        "NORTHSTAR_DEAD_LETTER_TOPIC": settings.dead_letter_topic,
        "NORTHSTAR_OKR_EVENTS_TOPIC": settings.okr_events_topic,
        "NORTHSTAR_ALERTS_TOPIC": settings.alerts_topic,
        "NORTHSTAR_RELAY_TRANSACTIONAL_ID": settings.relay_transactional_id,
        "NORTHSTAR_BROKER_SESSION_TIMEOUT_S": str(settings.broker_session_timeout_s),
        "NORTHSTAR_API_PORT": str(settings.api_port),
        "NORTHSTAR_EVALUATION_INTERVAL_S": str(settings.evaluation_interval_s),
        "NORTHSTAR_METRICS_PORT": str(settings.metrics_port),
        "NORTHSTAR_SALES_FUTURE_TOLERANCE_S": str(settings.sales_future_tolerance_s),
    }
