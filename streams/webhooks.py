"""`northstar webhooks`: delivers every alert on the alerts topic to each subscriber, signed
with HMAC-SHA256, retried with back-off, dead-lettered after N attempts."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json

import asyncpg
import httpx
import structlog
from aiokafka import AIOKafkaConsumer

from infra import metrics
from infra.failures import backoff_seconds
from infra.heartbeat import Heartbeat
from infra.kafka.connection import kafka_options
from infra.kafka.topics import consumer_group
from infra.postgres.db import create_pool
from infra.settings import Settings
from infra.signals import stop_on_signals

log = structlog.get_logger("northstar.webhooks")
SIGNATURE_HEADER = "X-Northstar-Signature"


def signature(secret: str, body: bytes) -> str:
    """`sha256=<hex>` of the raw body; receivers recompute it with the shared secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


async def subscribe(conn: asyncpg.Connection, name: str, url: str, secret: str) -> None:
    """Subscribe `url` to every alert under `name` (a second call replaces the URL and secret)."""
    await conn.execute(
        "INSERT INTO webhook_subscription (name, url, secret) VALUES ($1, $2, $3)"
        " ON CONFLICT (name) DO UPDATE SET url = excluded.url, secret = excluded.secret",
        name,
        url,
        secret,
    )


class WebhookDispatcher:
    def __init__(self, settings: Settings, attempts: int = 5, first_delay_s: float = 0.2) -> None:
        self.settings = settings
        self.attempts = attempts
        self.first_delay_s = first_delay_s

    async def deliver(
        self,
        http: httpx.AsyncClient,
        pool: asyncpg.Pool,
        subscription: asyncpg.Record,
        alert_id: str,
        body: bytes,
    ) -> None:
        async with pool.acquire() as conn:
            await self._deliver(http, conn, subscription, alert_id, body)

    async def _deliver(
        self,
        http: httpx.AsyncClient,
        conn: asyncpg.Connection,
        subscription: asyncpg.Record,
        alert_id: str,
        body: bytes,
    ) -> None:
        done = await conn.fetchval(
            "SELECT 1 FROM webhook_delivery WHERE subscription = $1 AND alert_id = $2::uuid",
            subscription["name"],
            alert_id,
        )
        if done:
            return
        headers = {
            "Content-Type": "application/json",
            "X-Northstar-Alert-Id": alert_id,
            SIGNATURE_HEADER: signature(subscription["secret"], body),
        }
        error = ""
        for attempt in range(1, self.attempts + 1):
            try:
                reply = await http.post(subscription["url"], content=body, headers=headers)
                metrics.WEBHOOK_ATTEMPTS.labels(
                    outcome="delivered" if reply.status_code < 300 else "failed"
                ).inc()
                if reply.status_code < 300:
                    await self._finish(
                        conn, subscription["name"], alert_id, "delivered", attempt, None
                    )
                    return
                error = f"HTTP {reply.status_code}"
            except httpx.HTTPError as exc:
                metrics.WEBHOOK_ATTEMPTS.labels(outcome="failed").inc()
                error = repr(exc)
            if attempt < self.attempts:
                await asyncio.sleep(backoff_seconds(attempt - 1, first=self.first_delay_s))
        metrics.WEBHOOK_DEAD_LETTERS.inc()
        log.warning(
            "webhook_dead_lettered",
            subscription=subscription["name"],
            alert_id=alert_id,
            attempts=self.attempts,
            error=error,
        )
        await self._finish(
            conn, subscription["name"], alert_id, "dead_lettered", self.attempts, error
        )

    async def _finish(
        self,
        conn: asyncpg.Connection,
        name: str,
        alert_id: str,
        status: str,
        attempts: int,
        error: str | None,
    ) -> None:
        await conn.execute(
            "INSERT INTO webhook_delivery (subscription, alert_id, status, attempts, last_error)"
            " VALUES ($1, $2::uuid, $3, $4, $5) ON CONFLICT DO NOTHING",
            name,
            alert_id,
            status,
            attempts,
            error,
        )

    async def run(self, stop: asyncio.Event) -> None:
        consumer = AIOKafkaConsumer(
            self.settings.alerts_topic,
            **kafka_options(self.settings),
            group_id=consumer_group(self.settings, "webhooks"),
            isolation_level="read_committed",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )
        pool = await create_pool(self.settings.dsn, size=4)
        await consumer.start()
        try:
            async with httpx.AsyncClient(timeout=5.0) as http:
                while not stop.is_set():
                    batch = await consumer.getmany(timeout_ms=500, max_records=200)
                    if not batch:
                        continue
                    subscriptions = await pool.fetch("SELECT * FROM webhook_subscription")
                    for messages in batch.values():
                        for message in messages:
                            alert_id = json.loads(message.value)["alert_id"]
                            await asyncio.gather(
                                *(
                                    self.deliver(http, pool, s, alert_id, message.value)
                                    for s in subscriptions
                                )
                            )
                    # Offsets only after every subscriber was served or dead-lettered.
                    await consumer.commit()
        finally:
            await consumer.stop()
            await pool.close()


def run_webhooks(settings: Settings) -> None:
    async def main() -> None:
        stop = stop_on_signals()
        port = settings.metrics_port
        metrics.serve(port + metrics.WEBHOOKS_PORT_OFFSET if port else 0, metrics.WEBHOOKS)
        beating = asyncio.create_task(Heartbeat(settings, "webhooks").run(stop))
        await WebhookDispatcher(
            settings, settings.webhook_attempts, settings.webhook_first_delay_s
        ).run(stop)
        await beating

    asyncio.run(main())
