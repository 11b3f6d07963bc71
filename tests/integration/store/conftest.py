"""Every store test runs on SQLite and on PostgreSQL: the queue's guarantees must hold on both."""

from __future__ import annotations

import pytest

from tests.pg import BACKENDS


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)
