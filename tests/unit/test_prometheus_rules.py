"""The Prometheus configuration and alert rules `make observe` runs: Debian's promtool checks
them, and each alert fires in its unit test where it should and stays quiet where it should not
(deploy/prometheus/alerts_test.yml); every metric the rules use is one a process exports."""

from __future__ import annotations

import json
import re
import subprocess

from infra import metrics
from infra.settings import REPO_ROOT, Settings
from northstar_cli.observe_command import exporter_url, prometheus_config

FOLDER = REPO_ROOT / "deploy" / "prometheus"


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["promtool", *args], cwd=FOLDER, capture_output=True, text=True, timeout=60
    )


def test_promtool_accepts_the_configuration_and_the_rules(tmp_path):
    """The configuration `northstar observe` writes, for the default ports."""
    config = tmp_path / "prometheus.yml"
    config.write_text(json.dumps(prometheus_config(Settings(), 9187, 15.0)))
    checked = promtool("check", "config", str(config))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS: 7 rules found" in checked.stdout
    targets = {
        target
        for job in json.loads(config.read_text())["scrape_configs"]
        for target in job["static_configs"][0]["targets"]
    }
    assert targets == {f"127.0.0.1:{port}" for port in (8400, *range(9464, 9469), 9187)}


def test_every_alert_fires_where_it_should_and_only_there():
    tested = promtool("test", "rules", "alerts_test.yml")
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_the_rules_use_only_metrics_the_processes_export():
    families = [f for registry in metrics.REGISTRIES.values() for f in registry.collect()]
    exported = {sample.name for family in families for sample in family.samples} | {
        family.name for family in families
    }
    used = set(re.findall(r"\bnorthstar_[a-z_]+", (FOLDER / "alerts.yml").read_text()))
    assert used <= exported, used - exported


def test_the_exporter_is_told_sslmode_once():
    assert exporter_url("postgresql://m:p@127.0.0.1:5/db") == (
        "postgresql://m:p@127.0.0.1:5/db?sslmode=disable"
    )
    assert exporter_url("postgresql://m:p@h/db?connect_timeout=3").endswith(
        "?connect_timeout=3&sslmode=disable"
    )
    assert exporter_url("postgresql://m:p@h/db?sslmode=verify-full") == (
        "postgresql://m:p@h/db?sslmode=verify-full"
    )
