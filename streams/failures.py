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
    """True for outages that end by themselves (database restart, broker hiccup, deadlock)."""
    return isinstance(exc, (*_TRANSIENT_PG, *_TRANSIENT_KAFKA, OSError, asyncio.TimeoutError))


def backoff_seconds(attempt: int, first: float = 0.1, cap: float = 5.0) -> float:
    return min(cap, first * (2 ** min(attempt, 16)))
