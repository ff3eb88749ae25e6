"""The one reader of the environment: every setting Northstar uses, with its default."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.alert_rules import CERTIFICATION_METRIC
from domain.key_result.metrics import Metric

REPO_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Process configuration (prefix ``NORTHSTAR_``); frozen so it can be shared safely."""

    model_config = SettingsConfigDict(
        env_prefix="NORTHSTAR_", frozen=True, extra="ignore", use_attribute_docstrings=True
    )

    var_dir: Path = REPO_ROOT / "var"
    """where the private broker, cluster, demo and benchmark caches keep their files"""
    demo_dir: Path | None = Field(
        default=None, description="the demo's company file and process logs; default var/demo"
    )
    kafka_bootstrap: str = "127.0.0.1:9092"
    """the brokers every client connects to (host:port, comma-separated)"""
    # How every client connects to Kafka (infra/kafka/connection.py): PLAINTEXT on the private
    # broker; SSL, SASL_PLAINTEXT or SASL_SSL (PLAIN or SCRAM) for a real deployment.
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    """how clients connect to Kafka: PLAINTEXT on the private broker; SSL, SASL_PLAINTEXT or
    SASL_SSL for a real one"""
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None
    """PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (a SASL protocol requires it)"""
    kafka_sasl_username: str | None = None
    """the SASL user (a SASL protocol requires it)"""
    kafka_sasl_password: SecretStr | None = None
    """the SASL password (a SASL protocol requires it)"""
    kafka_ssl_cafile: Path | None = Field(default=None, description="the brokers' CA (PEM)")
    kafka_ssl_certfile: Path | None = Field(default=None, description="a client certificate")
    kafka_ssl_keyfile: Path | None = None
    """the client certificate's key"""
    kafka_controller_port: int = 9093
    """the private broker's KRaft controller port (127.0.0.1)"""
    kafka_heap: str = "768m"
    """the private broker's JVM heap"""
    # Four database roles (ADR 0015): the owner runs migrations and operator tools only; every
    # process at run time connects as the app (read/write, no DDL); the audit CLI as the auditor
    # (read-only); the PostgreSQL exporter of `northstar observe` as the monitor (statistics,
    # no table's rows). Each URL defaults to the private cluster with that role's user and
    # password.
    database_url: str | None = Field(default=None, description="the app's URL (run time)")
    owner_database_url: str | None = Field(default=None, description="migrations, operators")
    auditor_database_url: str | None = Field(default=None, description="the audit CLI")
    monitor_database_url: str | None = Field(default=None, description="the exporter")
    pg_port: int = 55432
    """the private PostgreSQL cluster's port (127.0.0.1)"""
    pg_user: str = "northstar"  # the owner
    """the owner role (migrations, operator tools)"""
    pg_password: SecretStr = SecretStr("northstar")
    """the owner's password"""
    app_db_user: str = "northstar_app"
    """the app role every process uses at run time"""
    app_db_password: SecretStr = SecretStr("northstar-app")
    """the app role's password (set by `services start`)"""
    auditor_db_user: str = "northstar_auditor"
    """the auditor role (the audit CLI, read-only)"""
    auditor_db_password: SecretStr = SecretStr("northstar-auditor")
    """the auditor role's password"""
    monitor_db_user: str = "northstar_monitor"
    """the monitor role (the PostgreSQL exporter)"""
    monitor_db_password: SecretStr = SecretStr("northstar-monitor")
    """the monitor role's password"""
    pg_database: str = "northstar"
    """the database in the private cluster"""

    app_id: str = "northstar"
    """prefix of the consumer groups and Faust apps (`<app_id>-sales`, `-okr`, `-webhooks`)"""
    company_timezone: str = "Asia/Shanghai"
    """the company's zone: business days, pacing and calendar months are taken in it"""
    sales_topic: str = "northstar.sales.v1"
    """POS/CRM sales facts in (the sales topic contract)"""
    dead_letter_topic: str = "northstar.sales.dead-letter.v1"
    """sales records that cannot be accepted, with their reason"""
    okr_events_topic: str = "northstar.okr.events.v1"
    """every recorded OKR event, in stream order"""
    alerts_topic: str = "northstar.alerts.v1"
    """KR-health and rule alerts"""
    relay_transactional_id: str = "northstar-outbox-relay"
    """the outbox relay's Kafka transactional id (one relay publishes at a time)"""
    topic_partitions: int = 4
    """partitions of the sales, OKR and alert topics when `services start` creates them"""
    worker_batch_size: int = Field(default=2000, ge=1)
    """most sales records the worker applies in one transaction"""
    worker_batch_within_s: float = Field(default=0.04, gt=0)
    """how long the worker waits to fill a batch"""
    broker_session_timeout_s: float = 10.0
    """Kafka consumer group session timeout: how soon a dead member's partitions move"""
    max_record_bytes: int = 1_048_576
    """largest sales record accepted from Kafka (larger: dead-lettered `too_large`)"""
    sales_future_tolerance_s: float = Field(
        default=300.0,
        ge=0,
        description="how far after its arrival a sales fact may be dated (POS clocks drift);"
        " a later one is refused at the API (422) and dead-lettered `future_dated` from Kafka",
    )

    evaluation_interval_s: float = Field(
        default=60.0,
        ge=0,
        description="how often the worker re-evaluates KRs as time passes"
        " (calendar-month and rolling windows, pacing, the alert rules); 0 turns it off",
    )
    adjustment_response_hours: float = Field(
        default=48.0, gt=0, description="the agreed response time for target adjustments"
    )
    escalation_response_hours: float = Field(
        default=48.0, gt=0, description="the agreed response time for escalated blockers"
    )
    certification_metric: Metric = Field(
        default=CERTIFICATION_METRIC,
        description="the sales metric whose KRs, over 100 % in two calendar-adjacent cycles,"
        " suggest certifying their owner",
    )

    webhook_attempts: int = Field(default=5, ge=1, le=20)
    """deliveries tried per webhook alert before it is dead-lettered"""
    webhook_first_delay_s: float = Field(default=0.5, gt=0)
    """wait before the second delivery; doubled for each later one"""

    process_instance: str = Field(
        default="",
        description="tells replicas of one process apart in heartbeats (worker-sales@2);"
        " '@hostname' takes the host's name (one container per replica)",
    )

    metrics_port: int = Field(
        default=9464,
        ge=0,
        le=65535,
        description="the worker's sales agent serves /metrics on 127.0.0.1 at this port, its OKR"
        " agent at the next one (0: no metrics server); the API serves /metrics on its own port",
    )

    api_host: str = "127.0.0.1"
    """the API's address (loopback unless told otherwise)"""
    api_port: int = 8400
    """the API's port"""
    api_workers: int = Field(
        default=1,
        ge=1,
        le=32,
        description="API processes sharing the port (uvicorn workers); each holds its own"
        " database pool and alert listener, /metrics adds them all up",
    )
    sse_subscriber_bursts: int = Field(
        default=1_000,
        ge=1,
        le=100_000,
        description="bursts of alerts an SSE client may fall behind before it is disconnected"
        " (it resumes with Last-Event-ID, losing nothing)",
    )
    api_db_pool_size: int = Field(
        default=10,
        ge=2,
        le=100,
        description="PostgreSQL connections of one API process (plus one that listens for"
        " alerts); SSE subscribers hold none",
    )
    api_max_batch: int = 5000
    """most events in one `POST /v1/sales/batch`"""
    api_max_body_bytes: int = 4_194_304
    """largest request body the API reads (larger: 413)"""
    log_level: str = "info"
    """debug, info, warning or error"""

    def _cluster_url(self, user: str, password: SecretStr) -> str:
        secret = password.get_secret_value()
        return f"postgresql://{user}:{secret}@127.0.0.1:{self.pg_port}/{self.pg_database}"

    @property
    def dsn(self) -> str:
        """The app's database URL (every process at run time): read and write, no DDL."""
        return self.database_url or self._cluster_url(self.app_db_user, self.app_db_password)

    @property
    def owner_dsn(self) -> str:
        """The owner's URL: migrations, role grants, rebuilds; never a process at run time."""
        return self.owner_database_url or self._cluster_url(self.pg_user, self.pg_password)

    @property
    def auditor_dsn(self) -> str:
        """The auditor's URL (the audit CLI): read-only, no secrets."""
        return self.auditor_database_url or self._cluster_url(
            self.auditor_db_user, self.auditor_db_password
        )

    @property
    def monitor_dsn(self) -> str:
        """The monitor's URL (the PostgreSQL exporter): statistics (pg_monitor), no rows."""
        return self.monitor_database_url or self._cluster_url(
            self.monitor_db_user, self.monitor_db_password
        )

    @model_validator(mode="after")
    def _kafka_security_complete(self) -> Settings:
        if self.kafka_security_protocol.startswith("SASL_") and not (
            self.kafka_sasl_mechanism and self.kafka_sasl_username and self.kafka_sasl_password
        ):
            raise ValueError(
                f"NORTHSTAR_KAFKA_SECURITY_PROTOCOL={self.kafka_security_protocol} needs"
                " NORTHSTAR_KAFKA_SASL_MECHANISM, NORTHSTAR_KAFKA_SASL_USERNAME and"
                " NORTHSTAR_KAFKA_SASL_PASSWORD"
            )
        return self

    @property
    def demo_folder(self) -> Path:
        return self.demo_dir or self.var_dir / "demo"

    @property
    def kafka_url(self) -> str:
        return f"kafka://{self.kafka_bootstrap}"
