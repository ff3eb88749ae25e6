"""The README's tables that restate code say what the code has: the sales metrics, the alert
types, the dead-letter reasons, and the generated settings reference is current."""

from __future__ import annotations

import re
from typing import get_args

from domain.alerts import Alert
from domain.key_result.metrics import Metric
from infra.kafka.codec import REJECT_REASONS
from infra.settings import REPO_ROOT
from infra.settings_doc import SETTINGS_DOC, settings_markdown

README = (REPO_ROOT / "README.md").read_text()


def first_column(heading: str) -> set[str]:
    """The backquoted first cells of the markdown table whose header row starts `| heading |`."""
    lines = README.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith(f"| {heading} |"))
    cells = set()
    for line in lines[start + 2 :]:
        if not line.strip().startswith("|"):
            break
        cells.add(re.match(r"\s*\|\s*`([^`]+)`", line).group(1))  # type: ignore[union-attr]
    return cells


def test_the_metric_table_lists_every_sales_metric():
    assert first_column("metric") == set(get_args(Metric))


def test_the_alert_table_lists_every_alert_type():
    types = {model.model_fields["type"].default for model in get_args(Alert)}
    assert first_column("type") - {"type"} >= types
    assert {t for t in first_column("type") if t.startswith("alert.")} == types


def test_the_dead_letter_reasons_are_the_codes():
    paragraph = README[README.index("Reasons: `not_json`") :].split("\n\n", 1)[0]
    named = set(re.findall(r"`([a-z_]+)`", paragraph))
    assert named & set(REJECT_REASONS) == set(REJECT_REASONS)


def test_the_settings_reference_is_generated_from_the_code():
    assert SETTINGS_DOC.read_text() == settings_markdown(), (
        "docs/configuration.md is stale: run `northstar contracts`"
    )
