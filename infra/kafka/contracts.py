"""JSON Schema files for the sales topic, generated from the message models."""

from __future__ import annotations

import json
from pathlib import Path

from domain.sales import SALES_EVENT_TYPES, SalesBatch
from infra.settings import REPO_ROOT

CONTRACTS_DIR = REPO_ROOT / "contracts" / "sales"


def contract_documents() -> dict[str, dict[str, object]]:
    """File name -> JSON Schema, one per event type and one for the batch envelope."""
    documents: dict[str, dict[str, object]] = {}
    for model in (*SALES_EVENT_TYPES, SalesBatch):
        wire_name = model.model_fields["type"].default
        schema = model.model_json_schema()
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["$id"] = f"urn:northstar:{wire_name}:v1"
        documents[f"{wire_name}.v1.schema.json"] = schema
    return documents


def write_contracts(folder: Path = CONTRACTS_DIR) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in contract_documents().items():
        path = folder / name
        path.write_text(json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n")
        written.append(path)
    return written
