"""Servers for the service tests, stopped after even when a test fails."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.reviewbot.service.servers import (
    POSTGRES_INSTALL,
    REDIS_INSTALL,
    PostgresServer,
    RedisServer,
    postgres_bin,
)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    bin_dir = postgres_bin()
    if bin_dir is None:
        pytest.fail(f"no initdb: {POSTGRES_INSTALL}", pytrace=False)
    server = PostgresServer(bin_dir)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_url(postgres: PostgresServer) -> str:
    """A fresh database on the session's server."""
    return postgres.new_database()


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    """A redis-server of this test's own, which the test may stop and start again."""
    server = RedisServer()
    if not server.binary:
        pytest.fail(f"no redis-server: {REDIS_INSTALL}", pytrace=False)
    try:
        server.start()
        yield server
    finally:
        server.stop()
