"""The Prometheus configuration and alert rules `make observe` runs: Debian's promtool checks
them, and each alert fires in its unit test where it should and stays quiet where it should not
(deploy/prometheus/alerts_test.yml); every metric the rules use is one a process exports."""

from __future__ import annotations

import re
import subprocess

from infra import metrics
from infra.settings import REPO_ROOT

FOLDER = REPO_ROOT / "deploy" / "prometheus"


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["promtool", *args], cwd=FOLDER, capture_output=True, text=True, timeout=60
    )


def test_promtool_accepts_the_configuration_and_the_rules():
    checked = promtool("check", "config", "prometheus.yml")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS: 6 rules found" in checked.stdout


def test_every_alert_fires_where_it_should_and_only_there():
    tested = promtool("test", "rules", "alerts_test.yml")
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_the_rules_use_only_metrics_the_processes_export():
    exported = {
        sample.name for family in metrics.REGISTRY.collect() for sample in family.samples
    } | {family.name for family in metrics.REGISTRY.collect()}
    used = set(re.findall(r"\bnorthstar_[a-z_]+", (FOLDER / "alerts.yml").read_text()))
    assert used <= exported, used - exported
