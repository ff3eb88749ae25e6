"""The topics Northstar owns, and their idempotent creation on the broker."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import TopicAlreadyExistsError

from infra.kafka.connection import kafka_options
from infra.settings import Settings


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    config: dict[str, str]


def topic_specs(settings: Settings) -> list[TopicSpec]:
    forever = {"retention.ms": "-1", "retention.bytes": "-1"}
    return [
        TopicSpec(
            settings.sales_topic,
            settings.topic_partitions,
            {
                **forever,
                "max.message.bytes": str(16 * 1024 * 1024),
                # a record's time is when it arrived, whatever the producer's clock says: the
                # bound on facts dated in the future (`domain.sales.future_dated`) rests on it
                "message.timestamp.type": "LogAppendTime",
            },
        ),
        TopicSpec(settings.okr_events_topic, settings.topic_partitions, forever),
        TopicSpec(settings.alerts_topic, settings.topic_partitions, forever),
        TopicSpec(
            settings.dead_letter_topic, 1, {**forever, "max.message.bytes": str(16 * 1024 * 1024)}
        ),
    ]


def consumer_group(settings: Settings, member: str) -> str:
    """The consumer group (and Faust app id) of a member of the pipeline: `sales`, `okr`,
    `webhooks` — each runs, scales and fails separately."""
    return f"{settings.app_id}-{member}"


def consumed_topics(settings: Settings) -> dict[str, str]:
    """Member of the pipeline -> the topic it consumes. The sales projection keeps its position
    in the database (`projection_checkpoint`); the others commit theirs to Kafka as their
    consumer group's offsets."""
    return {
        "sales": settings.sales_topic,
        "okr": settings.okr_events_topic,
        "webhooks": settings.alerts_topic,
    }


async def committed_offsets(
    settings: Settings, groups: list[str]
) -> dict[str, dict[tuple[str, int], int]]:
    """Group -> (topic, partition) -> the next offset the group will read, as committed to
    Kafka (nothing for a partition it never committed on); one admin connection for all."""
    admin = AIOKafkaAdminClient(**kafka_options(settings))
    await admin.start()
    try:
        found = {}
        for group in groups:
            offsets = await admin.list_consumer_group_offsets(group)
            found[group] = {
                (tp.topic, tp.partition): meta.offset
                for tp, meta in offsets.items()
                if meta.offset >= 0
            }
        return found
    finally:
        await admin.close()


async def ensure_topics(settings: Settings, specs: list[TopicSpec] | None = None) -> list[str]:
    """Create missing topics and set an existing one's configuration to its spec where it
    differs (a topic made by an older version); returns the names created now."""
    admin = AIOKafkaAdminClient(**kafka_options(settings))
    await admin.start()
    created = []
    try:
        existing = set(await admin.list_topics())
        for spec in specs or topic_specs(settings):
            if spec.name in existing:
                await _align_config(admin, spec)
                continue
            try:
                await admin.create_topics(
                    [
                        NewTopic(
                            spec.name,
                            num_partitions=spec.partitions,
                            replication_factor=1,
                            topic_configs=spec.config,
                        )
                    ]
                )
                created.append(spec.name)
            except TopicAlreadyExistsError:
                pass
        await _visible(admin, specs or topic_specs(settings))
    finally:
        await admin.close()
    return created


async def _align_config(admin: AIOKafkaAdminClient, spec: TopicSpec) -> None:
    """Northstar owns its topics: their dynamic configuration is the spec's, whole."""
    topic = ConfigResource(ConfigResourceType.TOPIC, spec.name)
    (described,) = await admin.describe_configs([topic])
    current = {entry[0]: entry[1] for entry in described.resources[0][4]}
    if all(current.get(key) == value for key, value in spec.config.items()):
        return
    (answer,) = await admin.alter_configs(
        [ConfigResource(ConfigResourceType.TOPIC, spec.name, spec.config)]
    )
    error_code, message = answer.resources[0][0], answer.resources[0][1]
    if error_code:
        raise RuntimeError(f"topic {spec.name}: its configuration was refused ({message})")


async def delete_topics(settings: Settings, doomed: Callable[[str], bool]) -> list[str]:
    """Delete the broker's topics whose name `doomed` accepts; returns their names."""
    admin = AIOKafkaAdminClient(**kafka_options(settings))
    await admin.start()
    try:
        names = [name for name in await admin.list_topics() if doomed(name)]
        if names:
            await admin.delete_topics(names)
        return names
    finally:
        await admin.close()


async def _visible(admin: AIOKafkaAdminClient, specs: list[TopicSpec], timeout: float = 30) -> None:
    """Wait until the broker's metadata shows every topic with all its partitions: a consumer
    that joins its group before that gets no partitions and keeps none for minutes."""
    wanted = {spec.name: spec.partitions for spec in specs}
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        described = await admin.describe_topics(list(wanted))
        ready = {
            t["topic"]
            for t in described
            if t["error_code"] == 0 and len(t["partitions"]) >= wanted[t["topic"]]
        }
        if ready >= set(wanted):
            return
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"topics not visible in metadata: {sorted(set(wanted) - ready)}")
        await asyncio.sleep(0.1)
