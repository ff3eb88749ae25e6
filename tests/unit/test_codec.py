from datetime import UTC, datetime, timedelta

import orjson
import pytest

from domain.sales import SaleRecorded
from infra.kafka.codec import decode_record, encode_batch, encode_event

GOOD = {
    "type": "sales.sale_recorded",
    "source_system": "pos",
    "source_id": "s-1",
    "occurred_at": "2026-11-27T09:30:00Z",
    "rep_id": "rep-1",
    "customer_id": "c-1",
    "sku": "tea",
    "category": "tea",
    "premium": True,
    "channel": "retail",
    "quantity": 3,
    "amount_minor": 1050,
}


def test_single_event_round_trips():
    decoded = decode_record(orjson.dumps(GOOD), 1 << 20)
    assert not decoded.rejects
    (fact,) = decoded.facts
    assert isinstance(fact, SaleRecorded)
    assert decode_record(encode_event(fact), 1 << 20).facts == [fact]


def test_batch_keeps_good_items_and_rejects_bad_ones_with_their_index():
    bad = {**GOOD, "source_id": "s-2", "quantity": -1}
    decoded = decode_record(orjson.dumps({"type": "sales.batch", "events": [GOOD, bad]}), 1 << 20)
    assert [f.source_id for f in decoded.facts] == ["s-1"]
    (reject,) = decoded.rejects
    assert (reject.reason, reject.index) == ("schema_invalid", 1)
    assert reject.errors[0][0] == "quantity"
    assert orjson.loads(reject.original) == bad


def test_encode_batch_decodes_to_the_same_facts():
    fact = SaleRecorded.model_validate(GOOD)
    assert decode_record(encode_batch([fact, fact]), 1 << 20).facts == [fact, fact]


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"\x00not json", "not_json"),
        (orjson.dumps({**GOOD, "type": "sales.teleported"}), "unknown_type"),
        (orjson.dumps({**GOOD, "type": {}}), "unknown_type"),  # found by fuzzing the API
        (orjson.dumps({**GOOD, "quantity": -5}), "schema_invalid"),
        (orjson.dumps({**GOOD, "occurred_at": "2026-11-27T09:30:00"}), "schema_invalid"),
        (orjson.dumps({**GOOD, "discount": 3}), "schema_invalid"),
        (orjson.dumps([GOOD]), "not_an_object"),
        (orjson.dumps({"type": "sales.batch", "events": []}), "schema_invalid"),
        (b"x" * (2 << 20), "too_large"),
    ],
)
def test_poison_records_are_rejected_with_a_reason(raw, reason):
    decoded = decode_record(raw, 1 << 20)
    assert not decoded.facts
    assert [r.reason for r in decoded.rejects] == [reason]
    assert decoded.rejects[0].original == raw


def test_file_import_names_each_bad_line_and_keeps_one_event_per_line(tmp_path):
    from northstar_cli.file_import import read_chunks

    good = orjson.dumps(GOOD)
    two_on_one_line = good + b"," + orjson.dumps({**GOOD, "source_id": "s-9"})
    path = tmp_path / "sales.jsonl"
    path.write_bytes(b"\n".join([good, b"", b"{oops", two_on_one_line, good]) + b"\n")
    (chunk,) = list(read_chunks(path))
    assert chunk.lines == 5
    assert len(chunk.facts) == len(chunk.encoded) == 2
    assert [(line, r.reason) for line, r in chunk.rejects] == [(3, "not_json"), (4, "not_json")]


ARRIVED = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)  # GOOD's occurred_at is 30 minutes later


@pytest.mark.parametrize(("tolerance_minutes", "counted"), [(29, False), (30, True), (31, True)])
def test_a_single_event_dated_after_its_arrival_is_rejected_whole(tolerance_minutes, counted):
    raw = orjson.dumps(GOOD)
    decoded = decode_record(raw, 1 << 20, ARRIVED, timedelta(minutes=tolerance_minutes))
    assert len(decoded.facts) == int(counted)
    if not counted:
        (reject,) = decoded.rejects
        assert (reject.reason, reject.index, reject.original) == ("future_dated", None, raw)
        assert reject.errors[0][0] == "occurred_at"
        assert "more than 29 minutes after the fact arrived (2026-11-27T09:00:00+00:00)" in (
            reject.detail
        )


def test_a_batch_item_dated_after_its_arrival_is_rejected_with_its_index():
    early = {**GOOD, "source_id": "s-0", "occurred_at": "2026-11-27T08:00:00Z"}
    late = {**GOOD, "source_id": "s-9", "occurred_at": "2027-11-27T09:30:00+08:00"}
    bad = {**GOOD, "source_id": "s-bad", "quantity": 0}
    raw = orjson.dumps({"type": "sales.batch", "events": [early, late, bad, GOOD]})
    decoded = decode_record(raw, 1 << 20, ARRIVED, timedelta(minutes=45))
    assert [f.source_id for f in decoded.facts] == ["s-0", "s-1"]
    assert sorted((r.reason, r.index) for r in decoded.rejects) == [
        ("future_dated", 1),
        ("schema_invalid", 2),
    ]
    (future,) = [r for r in decoded.rejects if r.reason == "future_dated"]
    assert orjson.loads(future.original) == late


def test_without_an_arrival_time_nothing_is_judged_by_its_date():
    late = {**GOOD, "occurred_at": "2031-12-07T10:00:00Z"}
    assert len(decode_record(orjson.dumps(late), 1 << 20).facts) == 1
