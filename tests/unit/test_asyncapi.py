"""The AsyncAPI document: the AsyncAPI project's own parser accepts it, it names every topic
the code creates, and its messages are the models' schemas (every sales, alert and OKR event
type); each OKR event contract validates a record as the store writes it."""

from __future__ import annotations

import json
import subprocess
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import jsonschema
import pytest

from domain.alerts import AdjustmentOverdue, KrHealthChanged
from domain.event_chain import RecordedEvent
from domain.key_result.events import KeyResultDefined
from domain.key_result.metrics import MetricScope
from domain.okr_events import OKR_EVENT_TYPES
from domain.sales import SALES_EVENT_TYPES
from infra.kafka.asyncapi import ASYNCAPI_FILE, asyncapi_document
from infra.kafka.contracts import CONTRACTS_ROOT, contract_documents
from infra.kafka.topics import topic_specs
from infra.settings import REPO_ROOT, Settings

VALIDATOR = REPO_ROOT / "tools" / "asyncapi" / "validate.mjs"


def test_the_asyncapi_parser_accepts_the_document():
    checked = subprocess.run(
        ["node", str(VALIDATOR), str(ASYNCAPI_FILE)], capture_output=True, text=True, timeout=60
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "valid AsyncAPI 3.0.0" in checked.stderr


def test_the_parser_refuses_a_broken_document(tmp_path):
    broken = json.loads(ASYNCAPI_FILE.read_text())
    broken["operations"]["receiveSales"]["channel"] = {"$ref": "#/channels/nowhere"}
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(broken))
    checked = subprocess.run(["node", str(VALIDATOR), str(path)], capture_output=True, timeout=60)
    assert checked.returncode == 1


def test_the_committed_document_is_the_generated_one():
    on_disk = json.loads(ASYNCAPI_FILE.read_text())
    assert on_disk == asyncapi_document(), "run `northstar contracts` and commit"


def test_every_topic_the_code_creates_is_a_channel():
    settings = Settings()
    addresses = {c["address"] for c in asyncapi_document(settings)["channels"].values()}
    assert {spec.name for spec in topic_specs(settings)} == addresses


def test_every_message_type_is_on_its_channel():
    channels = asyncapi_document()["channels"]
    named = {cid: {m["$ref"].rsplit("/", 1)[1] for m in c["messages"].values()} for cid, c in
             channels.items()}  # fmt: skip
    assert {t.model_fields["type"].default for t in SALES_EVENT_TYPES} < named["sales"]
    assert set(OKR_EVENT_TYPES) == named["okrEvents"]
    assert {"alert.kr.health_changed", "alert.escalation.overdue"} < named["alerts"]


def test_okr_contracts_match_the_models_and_validate_a_stored_record():
    on_disk = {p.name: json.loads(p.read_text()) for p in (CONTRACTS_ROOT / "okr").glob("*.json")}
    documents = contract_documents("okr")
    assert on_disk == documents, "run `northstar contracts` and commit"
    event = KeyResultDefined(
        title="Premium share 35%",
        owner_person_id="p-1",
        owner_unit_id="east",
        kind="increase",
        unit="%",
        start=Decimal(28),
        target=Decimal(35),
        binding=MetricScope(
            metric="premium_share", window_start="2026-10-01", window_end="2026-12-31"
        ),
    )
    now = datetime(2026, 11, 30, tzinfo=UTC)
    record = RecordedEvent(
        event_id=uuid.uuid4(),
        stream_id="kr-1",
        version=1,
        type=event.type,
        schema_version=event.schema_version,
        payload=event.model_dump(mode="json", exclude={"type", "schema_version"}),
        actor="p-hq",
        occurred_at=now,
        recorded_at=now,
        correlation_id=uuid.uuid4(),
    )
    schema = documents["okr.kr.defined.v1.schema.json"]
    jsonschema.validate(json.loads(record.model_dump_json()), schema)
    wrong = json.loads(record.model_dump_json())
    wrong["payload"]["surprise"] = 1
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(wrong, schema)


def test_alert_messages_are_the_alert_models():
    messages = asyncapi_document()["components"]["messages"]
    for model in (KrHealthChanged, AdjustmentOverdue):
        wire_name = model.model_fields["type"].default
        assert messages[wire_name]["payload"]["title"] == model.__name__
