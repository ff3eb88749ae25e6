"""JSON Schema files for the topics others produce to or consume from, generated from the
message models: the sales topic (in) and the alerts topic (out)."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel

from domain.alerts import (
    AdjustmentOverdue,
    CertificationSuggested,
    EscalationOverdue,
    KrHealthChanged,
    RegionLagging,
    StreamParked,
)
from domain.sales import SALES_EVENT_TYPES, SalesBatch
from infra.settings import REPO_ROOT

CONTRACTS_ROOT = REPO_ROOT / "contracts"
CONTRACTS_DIR = CONTRACTS_ROOT / "sales"
FAMILIES: dict[str, tuple[type[BaseModel], ...]] = {
    "sales": (*SALES_EVENT_TYPES, SalesBatch),
    "alerts": (
        KrHealthChanged,
        RegionLagging,
        AdjustmentOverdue,
        EscalationOverdue,
        CertificationSuggested,
        StreamParked,
    ),
}


def contract_documents(family: str = "sales") -> dict[str, dict[str, object]]:
    """File name -> JSON Schema, one per message type of the family."""
    documents: dict[str, dict[str, object]] = {}
    for model in FAMILIES[family]:
        wire_name = model.model_fields["type"].default
        schema = model.model_json_schema()
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["$id"] = f"urn:northstar:{wire_name}:v1"
        documents[f"{wire_name}.v1.schema.json"] = schema
    return documents


def write_contracts(root: Path = CONTRACTS_ROOT) -> list[Path]:
    written = []
    for family in FAMILIES:
        folder = root / family
        folder.mkdir(parents=True, exist_ok=True)
        for name, schema in contract_documents(family).items():
            path = folder / name
            text = json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
            path.write_text(text)
            written.append(path)
    return written
