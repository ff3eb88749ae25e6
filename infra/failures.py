"""Which failures are worth retrying in place, and the back-off between attempts."""

from __future__ import annotations

import asyncio

import asyncpg
from aiokafka import errors as kafka_errors

_TRANSIENT_PG = (
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError,
    asyncpg.DeadlockDetectedError,
    asyncpg.SerializationError,
    asyncpg.OperatorInterventionError,  # admin shutdown, crash shutdown
    asyncpg.InsufficientResourcesError,
    asyncpg.ConnectionDoesNotExistError,
    # Client-side protocol state broken by a server going away mid-query (e.g. "cannot switch
    # to state 15; another operation is in progress"): a new connection cures it.
    asyncpg.InternalClientError,
)
_TRANSIENT_KAFKA = (
    kafka_errors.KafkaConnectionError,
    kafka_errors.KafkaTimeoutError,
    kafka_errors.RequestTimedOutError,
    kafka_errors.NotLeaderForPartitionError,
    kafka_errors.LeaderNotAvailableError,
    kafka_errors.NodeNotReadyError,
)


def is_transient(exc: BaseException) -> bool:
    """True for outages that end by themselves (database restart, broker hiccup, deadlock),
    also when they surface wrapped: a server shutdown in the middle of a query makes the
    transaction's ROLLBACK fail with an InternalClientError whose context is the shutdown."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, (*_TRANSIENT_PG, *_TRANSIENT_KAFKA, OSError, asyncio.TimeoutError)):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def backoff_seconds(attempt: int, first: float = 0.1, cap: float = 5.0) -> float:
    return min(cap, first * (2 ** min(attempt, 16)))
