from __future__ import annotations

import fcntl
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.settings import Settings


@pytest.fixture(scope="session")
def stack() -> Settings:
    """The real Kafka and PostgreSQL (started once; `make test` has usually started them)."""
    from infra.services import start_all

    settings = Settings()
    start_all(settings)
    return settings


@pytest.fixture(scope="session")
def _turn_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    # Under pytest-xdist every worker's base temp dir sits in one shared parent.
    shared = tmp_path_factory.getbasetemp().parent
    return shared / "stack-turnstile.lock", shared / "stack-room.lock"


@pytest.fixture(autouse=True)
def _shared_stack_turn(
    request: pytest.FixtureRequest, _turn_files: tuple[Path, Path]
) -> Iterator[None]:
    """Tests share one broker and one PostgreSQL cluster (each has its own database and
    topics), and `make test` runs them in parallel processes. A test marked `exclusive` stops
    or kills a shared service, so it waits until no other test runs and holds the others off
    until it ends: a readers-writer lock across the processes. The turnstile is taken first by
    everyone, so a waiting exclusive test is not starved by a stream of shared ones."""
    exclusive = request.node.get_closest_marker("exclusive") is not None
    turnstile_path, room_path = _turn_files
    with turnstile_path.open("a") as turnstile, room_path.open("a") as room:
        fcntl.flock(turnstile, fcntl.LOCK_EX)
        try:
            fcntl.flock(room, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        finally:
            if not exclusive:
                fcntl.flock(turnstile, fcntl.LOCK_UN)
        try:
            yield
        finally:
            fcntl.flock(room, fcntl.LOCK_UN)
            if exclusive:
                fcntl.flock(turnstile, fcntl.LOCK_UN)


@pytest.fixture
async def env(stack: Settings, request: pytest.FixtureRequest):
    from tests.stack import create_env, drop_env

    test_env = await create_env(stack, request.node.name)
    try:
        yield test_env
    finally:
        test_env.stop_all()
        await drop_env(stack, test_env)
