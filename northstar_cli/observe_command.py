"""`northstar observe`: Debian's Prometheus scraping every Northstar process on loopback, with
the alert rules of deploy/prometheus/alerts.yml, and Debian's PostgreSQL exporter connected as
the monitor role (statistics, no rows); both supervised until Ctrl-C. The scrape configuration
is written from the settings, so it follows the ports this stack really uses."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import click

from infra import metrics
from infra.settings import REPO_ROOT, Settings
from infra.supervisor import ChildSpec, Supervisor

EXPORTER = "prometheus-postgres-exporter"
RULES = REPO_ROOT / "deploy" / "prometheus" / "alerts.yml"


def exporter_url(dsn: str) -> str:
    """The monitor's URL as the exporter (Go's lib/pq) needs it: lib/pq insists on TLS unless
    told `sslmode`, which asyncpg's default (prefer) leaves out."""
    if "sslmode" in parse_qs(urlsplit(dsn).query):
        return dsn
    return dsn + ("&" if urlsplit(dsn).query else "?") + "sslmode=disable"


def prometheus_config(settings: Settings, exporter_port: int, scrape_every_s: float) -> dict:
    """Prometheus's configuration (JSON is YAML) for this stack's ports: the API, the worker's
    agents at NORTHSTAR_METRICS_PORT + 0..2, the relay at + 3, the webhook dispatcher at + 4,
    the PostgreSQL exporter."""
    base = settings.metrics_port
    every = f"{round(scrape_every_s * 1000)}ms"  # Prometheus's durations take no fractions

    def job(name: str, *ports: int) -> dict:
        return {
            "job_name": name,
            "static_configs": [{"targets": [f"127.0.0.1:{p}" for p in ports]}],
        }

    return {
        "global": {
            "scrape_interval": every,
            "evaluation_interval": every,
        },
        "rule_files": [str(RULES)],
        "scrape_configs": [
            job("northstar-api", settings.api_port),
            job(
                "northstar-worker",
                *(base + offset for offset in metrics.WORKER_PORT_OFFSETS.values()),
            ),
            job("northstar-relay", base + metrics.RELAY_PORT_OFFSET),
            job("northstar-webhooks", base + metrics.WEBHOOKS_PORT_OFFSET),
            job("postgres", exporter_port),
        ],
    }


@click.command()
@click.option("--port", default=9090, show_default=True, help="Prometheus's port (127.0.0.1)")
@click.option("--exporter-port", default=9187, show_default=True, help="the exporter's port")
@click.option("--scrape-every", default=15.0, show_default=True, help="seconds between scrapes")
@click.option("--storage", type=click.Path(path_type=Path), help="default: var/prometheus")
@click.option("--print-config", is_flag=True, help="print Prometheus's configuration and stop")
@click.pass_obj
def observe(
    settings: Settings,
    port: int,
    exporter_port: int,
    scrape_every: float,
    storage: Path | None,
    print_config: bool,
) -> None:
    """Prometheus on 127.0.0.1:PORT scraping every process, with the alert rules, and the
    PostgreSQL exporter as the monitor role; supervised until Ctrl-C (`make observe-tools`
    installs both from Debian)."""
    scraping = prometheus_config(settings, exporter_port, scrape_every)
    if print_config:
        click.echo(json.dumps(scraping, indent=2))
        return
    missing = [tool for tool in ("prometheus", EXPORTER) if shutil.which(tool) is None]
    if missing:
        raise click.ClickException(
            f"{' and '.join(missing)} not installed: `make observe-tools` installs Debian's"
        )
    if not settings.metrics_port:
        raise click.ClickException("NORTHSTAR_METRICS_PORT is 0: the workers serve no metrics")
    folder = storage or settings.var_dir / "prometheus"
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "prometheus.yml"
    config.write_text(json.dumps(scraping, indent=2))
    os.environ["DATA_SOURCE_NAME"] = exporter_url(settings.monitor_dsn)  # the exporter's own
    click.echo(f"Prometheus: http://127.0.0.1:{port} (configuration: {config})")
    Supervisor(
        [
            ChildSpec(
                "postgres-exporter", [EXPORTER, f"--web.listen-address=127.0.0.1:{exporter_port}"]
            ),
            ChildSpec(
                "prometheus",
                [
                    "prometheus",
                    f"--config.file={config}",
                    f"--storage.tsdb.path={folder / 'data'}",
                    f"--web.listen-address=127.0.0.1:{port}",
                ],
            ),
        ]
    ).run()
