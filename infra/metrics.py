"""The Prometheus metrics Northstar's processes expose (OpenMetrics at `/metrics`, loopback),
named by Prometheus's conventions: `northstar_` prefix, base units in the name, counters end in
`_total`. Each process registers what it measures in the default registry; the API also
exposes the pipeline's state read from the database and the broker (lag, backlog, parked
streams, restarts), so those figures stay visible while a worker is down."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

import structlog
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    multiprocess,
    start_http_server,
)
from prometheus_client.openmetrics.exposition import CONTENT_TYPE_LATEST, generate_latest

REGISTRY = CollectorRegistry(auto_describe=True)
MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"  # prometheus_client's own variable
OPENMETRICS = CONTENT_TYPE_LATEST

# ---- the sales worker (stage 1 of the sales projection) --------------------------------------
SALES_RECORDS = Counter("northstar_sales_records", "Sales-topic records applied", registry=REGISTRY)
SALES_FACTS = Counter(
    "northstar_sales_facts", "Sales facts in the records applied (duplicates included)",
    registry=REGISTRY,
)  # fmt: skip
DEAD_LETTERS = Counter(
    "northstar_dead_letters", "Records dead-lettered, by reason", ["reason"], registry=REGISTRY
)
BATCH_SECONDS = Histogram(
    "northstar_sales_batch_duration_seconds",
    "Time to apply one batch of sales records, committed",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=REGISTRY,
)
BATCH_RECORDS = Histogram(
    "northstar_sales_batch_records",
    "Records in one applied batch",
    buckets=(1, 10, 50, 100, 250, 500, 1000, 2000, 5000),
    registry=REGISTRY,
)
FRESHNESS = Histogram(
    "northstar_sales_freshness_seconds",
    "Age of the oldest record of each batch when its batch committed (record timestamp to"
    " commit): every record of the batch was at least this fresh",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300),
    registry=REGISTRY,
)
WORKER_LAG = Gauge(
    "northstar_sales_worker_lag_records",
    "Records behind the partition's high watermark after this worker's last batch",
    ["partition"],
    registry=REGISTRY,
)

# ---- the OKR agent ----------------------------------------------------------------------------
OKR_EVENTS = Counter(
    "northstar_okr_events",
    "OKR events applied to the read models, or held behind a parked event of their stream;"
    " `parked`: streams parked (by the event that cannot apply)",
    ["outcome"],
    registry=REGISTRY,
)

# ---- the outbox relay -------------------------------------------------------------------------
# The relay serves /metrics at NORTHSTAR_METRICS_PORT + 3 (the worker's agents: + 0 and + 1).
RELAY_PORT_OFFSET = 3
RELAY_PUBLISHED = Counter(
    "northstar_relay_published_events", "Outbox events published, by topic", ["topic"],
    registry=REGISTRY,
)  # fmt: skip
RELAY_LATENCY = Histogram(
    "northstar_relay_publish_latency_seconds",
    "Time from an event being stored to its publication being marked",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 60),
    registry=REGISTRY,
)
ALERTS_SENT = Counter(
    "northstar_alerts_sent", "Alerts published to the alerts topic, by type", ["type"],
    registry=REGISTRY,
)  # fmt: skip

# ---- the webhook dispatcher --------------------------------------------------------------------
WEBHOOKS_PORT_OFFSET = 4  # its /metrics: NORTHSTAR_METRICS_PORT + 4
WEBHOOK_ATTEMPTS = Counter(
    "northstar_webhook_attempts",
    "Deliveries of an alert to a subscriber attempted, by outcome (delivered: a 2xx answer)",
    ["outcome"],
    registry=REGISTRY,
)
WEBHOOK_DEAD_LETTERS = Counter(
    "northstar_webhook_dead_letters",
    "Alerts given up on for a subscriber after every attempt failed",
    registry=REGISTRY,
)

# ---- the API and the pipeline as the API reads it --------------------------------------------
HTTP_REQUESTS = Counter(
    "northstar_http_requests", "HTTP requests answered", ["route", "method", "status"],
    registry=REGISTRY,
)  # fmt: skip
HTTP_SECONDS = Histogram(
    "northstar_http_request_duration_seconds",
    "Time to answer an HTTP request (streams: until the headers)",
    ["route", "method"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
    registry=REGISTRY,
)
SSE_CLIENTS = Gauge(
    "northstar_sse_clients", "Open alert streams", registry=REGISTRY, multiprocess_mode="livesum"
)
CONSUMER_LAG = Gauge(
    "northstar_consumer_lag_records",
    "Records of a topic partition not yet applied by its projection (end offset minus the"
    " projection's committed position)",
    ["topic", "partition"],
    registry=REGISTRY,
    multiprocess_mode="mostrecent",
)
OUTBOX_BACKLOG = Gauge(
    "northstar_outbox_backlog_events",
    "Events stored but not yet published",
    registry=REGISTRY,
    multiprocess_mode="mostrecent",
)
OUTBOX_OLDEST = Gauge(
    "northstar_outbox_oldest_age_seconds",
    "Age of the oldest unpublished event (0 when none waits)",
    registry=REGISTRY,
    multiprocess_mode="mostrecent",
)
PARKED_STREAMS = Gauge(
    "northstar_parked_streams", "OKR streams parked by an event that cannot apply",
    registry=REGISTRY, multiprocess_mode="mostrecent",
)  # fmt: skip
PROCESS_RESTARTS = Gauge(
    "northstar_process_restarts",
    "Times the supervisor restarted each process (from its heartbeats)",
    ["process"],
    registry=REGISTRY,
    multiprocess_mode="mostrecent",
)


def exposition() -> bytes:
    """Every metric of this process — or, when several processes share them
    (`share_between_processes`), of all of them added up — in the OpenMetrics text format."""
    if os.environ.get(MULTIPROCESS_DIR):
        shared = CollectorRegistry()
        multiprocess.MultiProcessCollector(shared)
        return generate_latest(shared)
    return generate_latest(REGISTRY)


@contextmanager
def share_between_processes() -> Iterator[None]:
    """For the processes started inside the block (they must import this module after it
    began): their metrics live in files of a fresh folder, which any of them adds up when
    scraped; the folder is removed afterwards."""
    folder = tempfile.mkdtemp(prefix="northstar-metrics-")
    os.environ[MULTIPROCESS_DIR] = folder
    try:
        yield
    finally:
        os.environ.pop(MULTIPROCESS_DIR, None)
        shutil.rmtree(folder, ignore_errors=True)


def serve(port: int) -> None:
    """Serve `/metrics` on 127.0.0.1:`port` from a background thread (0: do not). A port
    already taken (another replica on this machine) costs this process its metrics, not its
    work: it is logged and the process goes on."""
    if not port:
        return
    try:
        start_http_server(port, addr="127.0.0.1", registry=REGISTRY)
    except OSError as exc:
        structlog.get_logger("northstar.metrics").warning(
            "metrics_port_unavailable", port=port, error=str(exc)
        )
