"""Reads CSV or JSONL sales files into validated facts, reporting every bad line precisely."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

import orjson

from domain.sales import SaleFact
from infra.kafka.codec import Reject, decode_event, validate_many

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


CHUNK_LINES = 2000


@dataclass(slots=True)
class ImportChunk:
    """A slice of the file: its valid facts (with JSON to forward as is) and its bad lines."""

    lines: int = 0
    facts: list[SaleFact] = field(default_factory=list)
    encoded: list[bytes] = field(default_factory=list)
    rejects: list[tuple[int, Reject]] = field(default_factory=list)

    def add(self, line_no: int, result: SaleFact | Reject, line: bytes | None) -> None:
        if isinstance(result, Reject):
            self.rejects.append((line_no, result))
        else:
            self.facts.append(result)
            self.encoded.append(line or result.model_dump_json().encode())


def read_chunks(path: Path) -> Iterator[ImportChunk]:
    """The file in chunks of up to CHUNK_LINES lines, CSV or JSONL by its suffix."""
    reader = _csv_chunks if path.suffix.lower() == ".csv" else _jsonl_chunks
    yield from reader(path)


def _csv_chunks(path: Path) -> Iterator[ImportChunk]:
    chunk = ImportChunk()
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        for row in reader:
            chunk.lines += 1
            chunk.add(reader.line_num, decode_event(_csv_row(row), b""), None)
            if chunk.lines >= CHUNK_LINES:
                yield chunk
                chunk = ImportChunk()
    yield chunk


def _jsonl_chunks(path: Path) -> Iterator[ImportChunk]:
    with path.open("rb") as handle:
        first_line = 1
        while lines := list(islice(handle, CHUNK_LINES)):
            yield _jsonl_chunk(first_line, lines)
            first_line += len(lines)


def _jsonl_chunk(first_line: int, lines: list[bytes]) -> ImportChunk:
    chunk = ImportChunk(lines=len(lines))
    numbered = [(first_line + i, line) for i, line in enumerate(lines) if not line.isspace()]
    facts = validate_many([line for _, line in numbered])
    # A line like `{...},{...}` would validate as two events: only one event per line counts.
    if facts is not None and len(facts) == len(numbered):
        chunk.facts = facts
        chunk.encoded = [line.rstrip() for _, line in numbered]
        return chunk
    for line_no, line in numbered:  # some line is bad: find and name each one
        try:
            item = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            chunk.add(line_no, Reject("not_json", str(exc), line), None)
            continue
        chunk.add(line_no, decode_event(item, line), line.rstrip())
    return chunk


def count_lines(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(buf.count(b"\n") for buf in iter(lambda: handle.read(1 << 20), b""))
