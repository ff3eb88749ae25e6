"""The published JSON Schema files match the models, and validate what producers send."""

import json

import jsonschema
import orjson
import pytest

from domain.sales import SaleRecorded
from infra.kafka.codec import encode_batch
from infra.kafka.contracts import CONTRACTS_DIR, contract_documents


def test_committed_contract_files_match_the_models():
    documents = contract_documents()
    on_disk = {p.name: json.loads(p.read_text()) for p in CONTRACTS_DIR.glob("*.json")}
    assert on_disk == documents, "run `northstar contracts` and commit the result"


SALE = SaleRecorded(
    source_system="pos",
    source_id="s-1",
    occurred_at="2026-11-27T09:30:00+08:00",
    rep_id="rep-1",
    customer_id="c-1",
    sku="tea",
    category="tea",
    premium=False,
    channel="retail",
    quantity=3,
    amount_minor=1050,
)


def test_what_northstar_produces_satisfies_the_published_schema():
    schemas = contract_documents()
    jsonschema.validate(
        orjson.loads(SALE.model_dump_json()), schemas["sales.sale_recorded.v1.schema.json"]
    )
    jsonschema.validate(
        orjson.loads(encode_batch([SALE, SALE])), schemas["sales.batch.v1.schema.json"]
    )


@pytest.mark.parametrize("field", ["quantity", "rep_id", "occurred_at"])
def test_the_schema_refuses_what_the_worker_would_dead_letter(field):
    document = orjson.loads(SALE.model_dump_json())
    document.pop(field)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, contract_documents()["sales.sale_recorded.v1.schema.json"])


def test_committed_alert_contracts_match_the_models():
    from infra.kafka.contracts import CONTRACTS_ROOT

    on_disk = {
        p.name: json.loads(p.read_text()) for p in (CONTRACTS_ROOT / "alerts").glob("*.json")
    }
    assert on_disk == contract_documents("alerts"), "run `northstar contracts` and commit"
