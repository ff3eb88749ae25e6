"""The Prometheus metrics Northstar's processes expose (OpenMetrics at `/metrics`, loopback),
named by Prometheus's conventions: `northstar_` prefix, base units in the name, counters end in
`_total`. Each process exposes the registry of what it measures, and only that (no other
process's metrics frozen at 0); the API also exposes the pipeline's state read from the
database and the broker (lag, freshness, backlog, parked streams, restarts), so those figures
stay visible while a worker is down."""

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
from prometheus_client.metrics_core import Metric
from prometheus_client.openmetrics.exposition import CONTENT_TYPE_LATEST, generate_latest

# One registry per kind of process: what its /metrics shows.
SALES_AGENT = CollectorRegistry(auto_describe=True)
OKR_AGENT = CollectorRegistry(auto_describe=True)
TIMERS = CollectorRegistry(auto_describe=True)
RELAY = CollectorRegistry(auto_describe=True)
WEBHOOKS = CollectorRegistry(auto_describe=True)
API = CollectorRegistry(auto_describe=True)
REGISTRIES = {"sales": SALES_AGENT, "okr": OKR_AGENT, "timers": TIMERS, "relay": RELAY,
              "webhooks": WEBHOOKS, "api": API}  # fmt: skip
MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"  # prometheus_client's own variable
OPENMETRICS = CONTENT_TYPE_LATEST

# Where each process serves /metrics: NORTHSTAR_METRICS_PORT + its offset (the API: its own port)
WORKER_PORT_OFFSETS = {"sales": 0, "okr": 1, "timers": 2}  # one per agent of the worker
RELAY_PORT_OFFSET = 3
WEBHOOKS_PORT_OFFSET = 4

# ---- the sales worker (stage 1 of the sales projection) --------------------------------------
SALES_RECORDS = Counter(
    "northstar_sales_records", "Sales-topic records applied", registry=SALES_AGENT
)
SALES_FACTS = Counter(
    "northstar_sales_facts", "Sales facts in the records applied (duplicates included)",
    registry=SALES_AGENT,
)  # fmt: skip
DEAD_LETTERS = Counter(
    "northstar_dead_letters", "Records dead-lettered, by reason", ["reason"], registry=None
)  # both agents dead-letter (registered with the OKR agent's below)
BATCH_SECONDS = Histogram(
    "northstar_sales_batch_duration_seconds",
    "Time to apply one batch of sales records, committed",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=SALES_AGENT,
)
BATCH_RECORDS = Histogram(
    "northstar_sales_batch_records",
    "Records in one applied batch",
    buckets=(1, 10, 50, 100, 250, 500, 1000, 2000, 5000),
    registry=SALES_AGENT,
)
FRESHNESS = Histogram(
    "northstar_sales_freshness_seconds",
    "Age of the oldest record of each batch when its batch committed (record timestamp to"
    " commit): every record of the batch was at least this fresh",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300),
    registry=SALES_AGENT,
)
WORKER_LAG = Gauge(
    "northstar_sales_worker_lag_records",
    "Records behind the partition's high watermark after this worker's last batch",
    ["partition"],
    registry=SALES_AGENT,
)

# ---- the OKR agent ----------------------------------------------------------------------------
OKR_EVENTS = Counter(
    "northstar_okr_events",
    "OKR events applied to the read models, or held behind a parked event of their stream;"
    " `parked`: streams parked (by the event that cannot apply)",
    ["outcome"],
    registry=OKR_AGENT,
)

OKR_AGENT.register(DEAD_LETTERS)
SALES_AGENT.register(DEAD_LETTERS)

# ---- the timers (the wall-clock re-evaluation) ------------------------------------------------
EVALUATIONS = Counter(
    "northstar_evaluations", "Timed re-evaluations of KRs and alert rules, by outcome",
    ["outcome"], registry=TIMERS,
)  # fmt: skip
EVALUATION_SECONDS = Histogram(
    "northstar_evaluation_duration_seconds",
    "Time of one timed re-evaluation that was done",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
    registry=TIMERS,
)
HEALTH_TRANSITIONS = Counter(
    "northstar_evaluation_health_transitions",
    "KR health changes a timed re-evaluation found (each an alert)",
    registry=TIMERS,
)

# ---- the outbox relay -------------------------------------------------------------------------
RELAY_PUBLISHED = Counter(
    "northstar_relay_published_events", "Outbox events published, by topic", ["topic"],
    registry=RELAY,
)  # fmt: skip
RELAY_LATENCY = Histogram(
    "northstar_relay_publish_latency_seconds",
    "Time from an event being stored to its publication being marked",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 60),
    registry=RELAY,
)
ALERTS_SENT = Counter(
    "northstar_alerts_sent", "Alerts published to the alerts topic, by type", ["type"],
    registry=RELAY,
)  # fmt: skip

# ---- the webhook dispatcher --------------------------------------------------------------------
WEBHOOK_ATTEMPTS = Counter(
    "northstar_webhook_attempts",
    "Deliveries of an alert to a subscriber attempted, by outcome (delivered: a 2xx answer)",
    ["outcome"],
    registry=WEBHOOKS,
)
WEBHOOK_DEAD_LETTERS = Counter(
    "northstar_webhook_dead_letters",
    "Alerts given up on for a subscriber after every attempt failed",
    registry=WEBHOOKS,
)

# ---- the API and the pipeline as the API reads it --------------------------------------------
HTTP_REQUESTS = Counter(
    "northstar_http_requests", "HTTP requests answered", ["route", "method", "status"],
    registry=API,
)  # fmt: skip
HTTP_SECONDS = Histogram(
    "northstar_http_request_duration_seconds",
    "Time to answer an HTTP request (streams: until the headers)",
    ["route", "method"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
    registry=API,
)
SSE_CLIENTS = Gauge(
    "northstar_sse_clients", "Open alert streams", registry=API, multiprocess_mode="livesum"
)
CONSUMER_LAG = Gauge(
    "northstar_consumer_lag_records",
    "Records of a topic partition not yet applied by its consumer (end offset minus the"
    " consumer's committed position: the sales projection's checkpoint in the database; the"
    " OKR agent's and the webhook dispatcher's consumer-group offsets in Kafka); `consumer`:"
    " sales, okr or webhooks",
    ["consumer", "topic", "partition"],
    registry=API,
    multiprocess_mode="mostrecent",
)
LAST_BATCH_FRESHNESS = Gauge(
    "northstar_sales_last_batch_freshness_seconds",
    "The last batch applied on a sales partition: its oldest record's produce time to the"
    " batch's commit (from the database, so it is there while the worker is down)",
    ["partition"],
    registry=API,
    multiprocess_mode="mostrecent",
)
OUTBOX_BACKLOG = Gauge(
    "northstar_outbox_backlog_events",
    "Events stored but not yet published",
    registry=API,
    multiprocess_mode="mostrecent",
)
OUTBOX_OLDEST = Gauge(
    "northstar_outbox_oldest_age_seconds",
    "Age of the oldest unpublished event (0 when none waits)",
    registry=API,
    multiprocess_mode="mostrecent",
)
PARKED_STREAMS = Gauge(
    "northstar_parked_streams", "OKR streams parked by an event that cannot apply",
    registry=API, multiprocess_mode="mostrecent",
)  # fmt: skip
PROCESS_RESTARTS = Gauge(
    "northstar_process_restarts",
    "Times the supervisor restarted each process (from its heartbeats)",
    ["process"],
    registry=API,
    multiprocess_mode="mostrecent",
)


class _Only:
    """A collector passing on only the families of `names` (several API processes' files hold
    every metric the module defines; the API shows its own)."""

    def __init__(self, collector: multiprocess.MultiProcessCollector, names: set[str]) -> None:
        self.collector, self.names = collector, names

    def collect(self) -> Iterator[Metric]:
        return (family for family in self.collector.collect() if family.name in self.names)


def exposition(registry: CollectorRegistry) -> bytes:
    """The metrics of `registry` in this process — or, when several processes share them
    (`share_between_processes`), of all of them added up — in the OpenMetrics text format."""
    if os.environ.get(MULTIPROCESS_DIR):
        shared = CollectorRegistry()
        names = {family.name for family in registry.collect()}
        shared.register(_Only(multiprocess.MultiProcessCollector(None), names))
        return generate_latest(shared)
    return generate_latest(registry)


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


def serve(port: int, registry: CollectorRegistry) -> None:
    """Serve `registry` at `/metrics` on 127.0.0.1:`port` from a background thread (0: do
    not). A port already taken (another replica on this machine) costs this process its
    metrics, not its work: it is logged and the process goes on."""
    if not port:
        return
    try:
        start_http_server(port, addr="127.0.0.1", registry=registry)
    except OSError as exc:
        structlog.get_logger("northstar.metrics").warning(
            "metrics_port_unavailable", port=port, error=str(exc)
        )
