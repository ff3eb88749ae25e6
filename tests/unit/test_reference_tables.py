"""The reference pages' tables that restate code say what the code has: the sales metrics, the
alert types, the dead-letter reasons, and the generated settings reference is current."""

from __future__ import annotations

import re
from typing import get_args

from domain.alerts import Alert
from domain.key_result.metrics import Metric
from domain.sales import SaleFact, SalesEvent
from infra.kafka.codec import REJECT_REASONS
from infra.settings import REPO_ROOT
from infra.settings_doc import SETTINGS_DOC, settings_markdown

REFERENCE = REPO_ROOT / "docs" / "reference"


def page(name: str) -> str:
    return (REFERENCE / name).read_text()


def first_column(text: str, heading: str) -> set[str]:
    """The backquoted first cells of the markdown table whose header row starts `| heading |`."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith(f"| {heading} |"))
    cells = set()
    for line in lines[start + 2 :]:
        if not line.strip().startswith("|"):
            break
        cells.add(re.match(r"\s*\|\s*`([^`]+)`", line).group(1))  # type: ignore[union-attr]
    return cells


def test_the_metric_table_lists_every_sales_metric():
    assert first_column(page("sales-metrics.md"), "metric") == set(get_args(Metric))


def test_the_alert_table_lists_every_alert_type():
    types = {model.model_fields["type"].default for model in get_args(Alert)}
    listed = first_column(page("health-and-alerts.md"), "type")
    assert listed - {"type"} >= types
    assert {t for t in listed if t.startswith("alert.")} == types


def test_the_dead_letter_reasons_are_the_codes():
    contract = page("sales-contract.md")
    paragraph = contract[contract.index("Reasons: `not_json`") :].split("\n\n", 1)[0]
    named = set(re.findall(r"`([a-z_]+)`", paragraph))
    assert named & set(REJECT_REASONS) == set(REJECT_REASONS)


def test_the_settings_reference_is_generated_from_the_code():
    assert SETTINGS_DOC.read_text() == settings_markdown(), (
        "docs/reference/settings.md is stale: run `northstar contracts`"
    )


def test_the_contract_table_lists_every_sales_fact_and_its_fields():
    """Each sales fact type, the fields it has besides the common ones, and which may name a
    `scenario`, as the contract page says them (`domain/sales.py` is the code)."""
    contract = page("sales-contract.md")
    common = set(SaleFact.model_fields) - {"type"}
    rows: dict[str, set[str]] = {}
    for line in contract.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("`sales."):
            fields = set(re.findall(r"`([a-z_]+)`", cells[2]))
            if cells[2].startswith("as a sale"):
                fields |= rows["sales.sale_recorded"]
            rows[cells[0].strip("`")] = fields
    models = {m.model_fields["type"].default: m for m in get_args(get_args(SalesEvent)[0])}
    assert set(rows) == set(models)
    for fact_type, model in models.items():
        assert rows[fact_type] == set(model.model_fields) - common - {"type", "scenario"}, fact_type
    sentence = contract.split("Unknown fields are refused.")[1].split("may name the selling")[0]
    named = {f"sales.{t}" for t in re.findall(r"`sales\.([a-z_]+)`", sentence)}
    assert named == {t for t, m in models.items() if "scenario" in m.model_fields}
