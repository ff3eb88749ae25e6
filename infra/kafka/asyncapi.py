"""The AsyncAPI 3.0 document of every topic Northstar owns, generated from the message models
(their JSON Schemas are the payloads): `northstar contracts` writes it to
contracts/asyncapi.json, the API serves it at /asyncapi.json, and `make test` validates it with
the AsyncAPI project's parser (tools/asyncapi)."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel

from infra.kafka.codec import REJECT_REASONS
from infra.kafka.contracts import CONTRACTS_ROOT, FAMILIES, message_schema
from infra.settings import Settings

ASYNCAPI_FILE = CONTRACTS_ROOT / "asyncapi.json"
_REF = "#/components/schemas/{model}"

# channel id -> (what it carries, the Settings field of its address, message family or None)
CHANNELS: dict[str, tuple[str, str, str | None]] = {
    "sales": (
        "Sales facts from POS and CRM systems, one event or a `sales.batch` per record, keyed"
        " by customer id. The projection counts a fact once by type + source_system +"
        " source_id.",
        "sales_topic",
        "sales",
    ),
    "salesDeadLetters": (
        "Records of the sales topic that could not be accepted: the original bytes (one"
        " re-serialised event for an item of a batch), the reason and the source position in"
        " headers. `northstar dead-letters replay` sends them back after a fix.",
        "dead_letter_topic",
        None,
    ),
    "okrEvents": (
        "Every OKR event as the hash-chained event store recorded it (published by the outbox"
        " relay, keyed by stream id, one record per event, in each stream's order; header"
        " `northstar.event_id`). A consumer deduplicates on `event_id`.",
        "okr_events_topic",
        "okr",
    ),
    "alerts": (
        "Health alerts for downstream services, keyed by alert id; each alert once per"
        " transition (deduplicate on `alert_id`).",
        "alerts_topic",
        "alerts",
    ),
}
# Northstar's side of each channel: it receives sales, sends the rest; its own OKR agent also
# receives the OKR events.
OPERATIONS: tuple[tuple[str, str, str], ...] = (
    ("receiveSales", "receive", "sales"),
    ("sendSalesDeadLetters", "send", "salesDeadLetters"),
    ("sendOkrEvents", "send", "okrEvents"),
    ("receiveOkrEvents", "receive", "okrEvents"),
    ("sendAlerts", "send", "alerts"),
)
DEAD_LETTER_HEADERS = {
    "type": "object",
    "properties": {
        "northstar.dead_letter_id": {"type": "string", "description": "deterministic"},
        "northstar.reason": {
            "type": "string",
            "enum": list(REJECT_REASONS),
        },
        "northstar.detail": {"type": "string", "description": "field-level, at most 4,000"},
        "northstar.source_topic": {"type": "string"},
        "northstar.source_partition": {"type": "string"},
        "northstar.source_offset": {"type": "string"},
    },
    "required": ["northstar.dead_letter_id", "northstar.reason", "northstar.source_topic"],
}


def _message_id(wire_name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.\-]", "_", wire_name)


def _add_schema(schemas: dict[str, Any], name: str, schema: dict[str, Any]) -> None:
    known = schemas.get(name)
    if known is not None and known != schema:
        raise ValueError(f"two different schemas are named {name!r}: rename one model")
    schemas[name] = schema


def _asyncapi_schema(node: Any) -> Any:
    """A JSON Schema as the AsyncAPI Schema Object takes it: pydantic writes OpenAPI's
    discriminator object ({propertyName, mapping}); AsyncAPI's is the property's name."""
    if isinstance(node, list):
        return [_asyncapi_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: _asyncapi_schema(value) for key, value in node.items()}
    if isinstance(converted.get("discriminator"), dict):
        converted["discriminator"] = converted["discriminator"]["propertyName"]
    return converted


def _message(model: type[BaseModel], schemas: dict[str, Any]) -> dict[str, Any]:
    wire_name = model.model_fields["type"].default
    payload = _asyncapi_schema(message_schema(model, ref_template=_REF))
    for name, definition in payload.pop("$defs", {}).items():
        _add_schema(schemas, name, definition)
    return {
        "name": wire_name,
        "title": wire_name,
        "summary": (model.__doc__ or wire_name).strip().split("\n\n")[0].replace("\n", " "),
        "contentType": "application/json",
        "payload": payload,
    }


def asyncapi_document(settings: Settings | None = None) -> dict[str, Any]:
    """The whole AsyncAPI 3.0 document (topic names from `settings`; None: the defaults, never
    this process's environment, so the committed document is the same on every machine)."""
    settings = settings or Settings.model_construct()
    schemas: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    channels: dict[str, Any] = {}
    for channel_id, (description, address_field, family) in CHANNELS.items():
        refs: dict[str, Any] = {}
        if family is None:
            messages["deadLetter"] = {
                "name": "dead_letter",
                "title": "dead letter",
                "summary": "A record the sales pipeline could not accept.",
                "contentType": "application/octet-stream",
                "headers": DEAD_LETTER_HEADERS,
                "payload": {"type": "string", "description": "the original bytes"},
            }
            refs["deadLetter"] = {"$ref": "#/components/messages/deadLetter"}
        for model in FAMILIES.get(family or "", ()):
            message_id = _message_id(model.model_fields["type"].default)
            messages[message_id] = _message(model, schemas)
            refs[message_id] = {"$ref": f"#/components/messages/{message_id}"}
        channels[channel_id] = {
            "address": getattr(settings, address_field),
            "description": description,
            "messages": refs,
        }
    operations = {
        operation_id: {
            "action": action,
            "channel": {"$ref": f"#/channels/{channel_id}"},
            "messages": [
                {"$ref": f"#/channels/{channel_id}/messages/{message_id}"}
                for message_id in channels[channel_id]["messages"]
            ],
        }
        for operation_id, action, channel_id in OPERATIONS
    }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Northstar topics",
            "version": "1",
            "description": "Sales facts in, OKR events and KR-health alerts out, on Kafka. JSON"
            " Schemas per message are also in contracts/<family>/. Event `schema_version`s:"
            " fields added later carry defaults (an older record means the default); a change"
            " that is not additive bumps `schema_version` and the consumer upcasts the older"
            " version before use.",
        },
        "defaultContentType": "application/json",
        "servers": {
            "local": {
                "host": settings.kafka_bootstrap,
                "protocol": "kafka",
                "description": "the broker `northstar services start` runs on loopback",
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }
