"""Scale-out tests run on PostgreSQL (some also on SQLite, for comparison)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.pg import PostgresServer


@pytest.fixture
def empty_pg_url(pg_server: PostgresServer) -> Iterator[str]:
    """A PostgreSQL database with no tables: the processes that open it create the schema."""
    url = pg_server.create_database(empty=True)
    yield url
    pg_server.drop_database(url)
