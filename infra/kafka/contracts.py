"""JSON Schema files for the topics others produce to or consume from, generated from the
message models: the sales topic (in), the alerts topic (out) and the OKR events topic (every
event type of every aggregate, as the stored record carries it)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import DEFAULT_REF_TEMPLATE

from domain.alerts import (
    AdjustmentOverdue,
    CertificationSuggested,
    CleanupDue,
    EscalationOverdue,
    KrHealthChanged,
    RegionLagging,
    StreamParked,
)
from domain.event_chain import RecordedEvent
from domain.okr_events import OKR_EVENT_TYPES
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
        CleanupDue,
        StreamParked,
    ),
    "okr": tuple(OKR_EVENT_TYPES.values()),
}


ENVELOPE_FIELDS = ("type", "schema_version")  # of an OKR event: on the record, not in `payload`


def message_schema(
    model: type[BaseModel], ref_template: str = DEFAULT_REF_TEMPLATE
) -> dict[str, Any]:
    """The JSON Schema of one message as it travels: a sales fact or an alert as the model
    dumps it; an OKR event as the stored record (`RecordedEvent`: envelope, hash-chain fields
    left out) whose `type` and `schema_version` are the event's and whose `payload` holds the
    event's other fields."""
    schema = model.model_json_schema(ref_template=ref_template)
    wire_name = model.model_fields["type"].default
    if wire_name not in OKR_EVENT_TYPES:
        return schema
    definitions = schema.pop("$defs", {})
    payload = {
        "type": "object",
        "title": f"{schema.get('title', wire_name)} payload",
        "description": schema.get("description", ""),
        "properties": {k: v for k, v in schema["properties"].items() if k not in ENVELOPE_FIELDS},
        "required": [r for r in schema.get("required", []) if r not in ENVELOPE_FIELDS],
        "additionalProperties": False,
    }
    record = RecordedEvent.model_json_schema(ref_template=ref_template)
    record["title"] = wire_name
    record["properties"]["type"] = {"const": wire_name}
    record["properties"]["schema_version"] = {"const": model.model_fields["schema_version"].default}
    record["properties"]["payload"] = payload
    if definitions:
        record["$defs"] = definitions
    return record


def contract_documents(family: str = "sales") -> dict[str, dict[str, object]]:
    """File name -> JSON Schema, one per message type of the family."""
    documents: dict[str, dict[str, object]] = {}
    for model in FAMILIES[family]:
        wire_name = model.model_fields["type"].default
        schema = message_schema(model)
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["$id"] = f"urn:northstar:{wire_name}:v1"
        documents[f"{wire_name}.v1.schema.json"] = schema
    return documents


def write_contracts(root: Path = CONTRACTS_ROOT) -> list[Path]:
    """Every family's JSON Schemas, and the AsyncAPI document of the topics."""
    from infra.kafka.asyncapi import ASYNCAPI_FILE, asyncapi_document

    written = []
    ASYNCAPI_FILE.write_text(
        json.dumps(asyncapi_document(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    )
    written.append(ASYNCAPI_FILE)
    for family in FAMILIES:
        folder = root / family
        folder.mkdir(parents=True, exist_ok=True)
        for name, schema in contract_documents(family).items():
            path = folder / name
            text = json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
            path.write_text(text)
            written.append(path)
    return written
