import asyncpg

from infra.failures import backoff_seconds, is_transient


def test_outages_are_transient_even_when_wrapped():
    shutdown = asyncpg.AdminShutdownError("terminating connection due to administrator command")
    try:
        try:
            raise shutdown
        except asyncpg.AdminShutdownError:
            # what asyncpg raises from the transaction's ROLLBACK in that state
            raise asyncpg.InternalClientError("cannot switch to state 15") from None
    except asyncpg.InternalClientError as wrapped:
        assert wrapped.__context__ is shutdown
        assert is_transient(wrapped)


def test_bugs_and_bad_data_are_the_records_own():
    assert not is_transient(ValueError("bad"))
    assert not is_transient(asyncpg.UniqueViolationError("duplicate key"))
    assert not is_transient(asyncpg.NumericValueOutOfRangeError("numeric field overflow"))


def test_a_broken_environment_is_waited_out_not_blamed_on_the_record():
    assert is_transient(asyncpg.UndefinedTableError("relation does not exist"))
    assert is_transient(asyncpg.InsufficientPrivilegeError("permission denied"))


def test_backoff_grows_and_is_capped():
    assert [backoff_seconds(a) for a in range(4)] == [0.1, 0.2, 0.4, 0.8]
    assert backoff_seconds(50) == 5.0
