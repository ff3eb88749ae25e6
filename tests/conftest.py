from __future__ import annotations

import pytest

from infra.settings import Settings


@pytest.fixture(scope="session")
def stack() -> Settings:
    """The real Kafka and PostgreSQL (started once; `make test` has usually started them)."""
    from infra.services import start_all

    settings = Settings()
    start_all(settings)
    return settings


@pytest.fixture
async def env(stack: Settings, request: pytest.FixtureRequest):
    from tests.stack import create_env, drop_env

    test_env = await create_env(stack, request.node.name)
    try:
        yield test_env
    finally:
        test_env.stop_all()
        await drop_env(stack, test_env)
