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


# SQLSTATE classes that say the environment is broken, not the record: syntax error or access
# rule (a table renamed or missing, a privilege revoked), feature not supported, invalid
# authorization or catalog, system and internal errors. Any record would fail the same way, so
# parking or dead-lettering it would be wrong: wait for the repair instead.
_ENVIRONMENT_SQLSTATE_CLASSES = ("42", "0A", "28", "3D", "58", "XX", "F0")


def is_transient(exc: BaseException) -> bool:
    """True for failures that end without the record changing, so the work is retried in place:
    outages that end by themselves (database restart, broker hiccup, deadlock) and a broken
    environment that an operator repairs (a missing table, a revoked privilege); also when they
    surface wrapped: a server shutdown in the middle of a query makes the transaction's
    ROLLBACK fail with an InternalClientError whose context is the shutdown. Anything else is
    the record's own: it is parked or dead-lettered."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, (*_TRANSIENT_PG, *_TRANSIENT_KAFKA, OSError, asyncio.TimeoutError)):
            return True
        if isinstance(current, asyncpg.PostgresError) and str(
            getattr(current, "sqlstate", "") or ""
        ).startswith(_ENVIRONMENT_SQLSTATE_CLASSES):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def backoff_seconds(attempt: int, first: float = 0.1, cap: float = 5.0) -> float:
    return min(cap, first * (2 ** min(attempt, 16)))
