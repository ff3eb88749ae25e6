"""The one text renderer of the reports: a report's rows (the JSON documents the API serves and
the board draws) as an aligned table for the terminal, by the columns its module declares."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

Row = Mapping[str, Any]


@dataclass(frozen=True)
class Column:
    title: str
    cell: Callable[[Row], object]  # the shown value of a row ("-" for None)
    width: int
    align: Literal["<", ">"] = ">"


def text_table(columns: Sequence[Column], rows: Sequence[Row]) -> str:
    lines = [" ".join(f"{c.title:{c.align}{c.width}}" for c in columns)]
    for row in rows:
        lines.append(
            " ".join(f"{_text(c.cell(row))[: max(c.width, 1)]:{c.align}{c.width}}" for c in columns)
        )
    return "\n".join(line.rstrip() for line in lines)


def field(name: str) -> Callable[[Row], object]:
    return lambda row: row[name]


def hours(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def percent(value: object) -> str:
    return "-" if value is None else f"{float(value):.1%}"  # type: ignore[arg-type]


def _text(value: object) -> str:
    return "-" if value is None else str(value)
