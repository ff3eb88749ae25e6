"""structlog configured once per process: key/value lines on stderr."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable
from contextlib import AbstractContextManager
from typing import Protocol

import structlog


def configure_logging(level: str = "info") -> None:
    numeric = logging.getLevelName(level.upper())
    logging.basicConfig(stream=sys.stderr, level=numeric, format="%(message)s")
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            structlog.processors.KeyValueRenderer(
                key_order=["timestamp", "level", "event"], sort_keys=False
            ),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )


class Positioned(Protocol):
    partition: int
    offset: int


def batch_context(records: Iterable[Positioned]) -> AbstractContextManager[dict[str, object]]:
    """Binds the batch's place in the topic to every log line written while it is handled:
    `batch=0:120-480;3:77-90` (partition:first-last offset)."""
    spans: dict[int, tuple[int, int]] = {}
    for r in records:
        low, high = spans.get(r.partition, (r.offset, r.offset))
        spans[r.partition] = (min(low, r.offset), max(high, r.offset))
    batch = ";".join(f"{p}:{low}-{high}" for p, (low, high) in sorted(spans.items()))
    return structlog.contextvars.bound_contextvars(batch=batch)


def shards_context(shards: Iterable[int]) -> AbstractContextManager[dict[str, object]]:
    """Binds the KR shards a stage-2 run works on to its log lines."""
    return structlog.contextvars.bound_contextvars(shards=",".join(map(str, sorted(shards))))
