"""Reads CSV or JSONL sales files into validated facts, reporting every bad line precisely."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import orjson

from domain.sales import SaleFact
from infra.kafka.codec import Reject, decode_event

_INT_COLUMNS = {"quantity", "amount_minor", "schema_version"}
_BOOL_VALUES = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


def _csv_row(row: dict[str, str]) -> dict[str, object]:
    item: dict[str, object] = {}
    for key, value in row.items():
        if key is None or value is None or value == "":
            continue
        if key in _INT_COLUMNS and value.lstrip("-").isdigit():
            item[key] = int(value)
        elif key == "premium" and value.lower() in _BOOL_VALUES:
            item[key] = _BOOL_VALUES[value.lower()]
        else:
            item[key] = value
    return item


def raw_items(path: Path) -> Iterator[tuple[int, object, bytes]]:
    """(line number, parsed item, original line) for each non-blank line of the file."""
    if path.suffix.lower() == ".csv":
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            for row in reader:
                yield reader.line_num, _csv_row(row), b""
        return
    with path.open("rb") as handle:
        for line_no, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                yield line_no, orjson.loads(line), line
            except orjson.JSONDecodeError as exc:
                yield line_no, Reject("not_json", str(exc), line), line


def read_facts(path: Path) -> Iterator[tuple[int, SaleFact | Reject]]:
    for line_no, item, original in raw_items(path):
        if isinstance(item, Reject):
            yield line_no, item
        else:
            yield line_no, decode_event(item, original or orjson.dumps(item))


def count_lines(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(buf.count(b"\n") for buf in iter(lambda: handle.read(1 << 20), b""))
