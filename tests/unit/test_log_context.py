"""Every log line written while a batch is handled names the batch's place in the topic."""

from __future__ import annotations

from dataclasses import dataclass

import structlog

from infra.logging import batch_context, shards_context


@dataclass
class Record:
    partition: int
    offset: int


def test_a_batch_is_named_by_its_partitions_and_offset_spans():
    records = [Record(3, 90), Record(0, 480), Record(3, 77), Record(0, 120)]
    with batch_context(records):
        assert structlog.contextvars.get_contextvars() == {"batch": "0:120-480;3:77-90"}
        with shards_context([5, 1]):
            assert structlog.contextvars.get_contextvars()["shards"] == "1,5"
        assert "shards" not in structlog.contextvars.get_contextvars()
    assert structlog.contextvars.get_contextvars() == {}
