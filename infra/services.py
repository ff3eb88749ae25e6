"""Bring the whole local stack up or down: Kafka, PostgreSQL, schema and topics."""

from __future__ import annotations

import asyncio

import structlog

from infra.kafka.broker import KafkaBroker
from infra.kafka.topics import ensure_topics
from infra.postgres.cluster import PostgresCluster, answers
from infra.postgres.db import migrate
from infra.postgres.roles import grant_runtime_roles
from infra.settings import Settings

log = structlog.get_logger("northstar.services")


def external_database(settings: Settings) -> bool:
    """True when the configured database already answers (NORTHSTAR_DATABASE_URL, or the
    docker-compose PostgreSQL on the default port) and is not our private cluster."""
    return not PostgresCluster(settings).running() and asyncio.run(answers(settings.owner_dsn))


def start_all(settings: Settings) -> None:
    """Idempotent: start what is not running, then apply migrations and create topics."""
    kafka_pid = KafkaBroker(settings).start()
    log.info("kafka_ready", bootstrap=settings.kafka_bootstrap, pid=kafka_pid or "external")
    if external_database(settings):
        log.info("postgres_external", url=settings.owner_dsn.split("@")[-1])
    else:
        PostgresCluster(settings).start()
        log.info("postgres_ready", port=settings.pg_port)
    migrate_and_create_topics(settings)


def migrate_and_create_topics(settings: Settings) -> None:
    applied = asyncio.run(migrate(settings.owner_dsn))
    asyncio.run(grant_runtime_roles(settings))
    created = asyncio.run(ensure_topics(settings))
    log.info("schema_and_topics_ready", migrations=applied, topics_created=created)


def stop_all(settings: Settings) -> None:
    stopped_kafka = KafkaBroker(settings).stop()
    stopped_pg = PostgresCluster(settings).stop()
    log.info("services_stopped", kafka=stopped_kafka, postgres=stopped_pg)


def status(settings: Settings) -> dict[str, object]:
    broker = KafkaBroker(settings)
    return {
        "kafka": {"pid": broker.pid(), "bootstrap": settings.kafka_bootstrap},
        "postgres": {
            "private_cluster_running": PostgresCluster(settings).running(),
            "answers": asyncio.run(answers(settings.dsn)),
        },
    }
