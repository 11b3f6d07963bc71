"""Shared fixtures: services and databases on temporary folders, and the shared data check.

Tests that read ``../shared`` (the real-world corpus, the labelled documents) must fail
loudly when it is missing, never skip: the session stops at once with the path to fix.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from docclass.jobs.service import Service
from docclass.store.db import Database
from tests.harness import make_service
from tests.paths import CORPUS, EVAL, SHARED


def pytest_sessionstart(session: pytest.Session) -> None:
    missing = [p for p in (SHARED, CORPUS, EVAL) if not p.is_dir()]
    if missing:
        pytest.exit(
            f"shared test data missing: {', '.join(map(str, missing))} "
            "(clone the project beside ../shared or set DOCCLASS_SHARED)",
            returncode=3,
        )


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Callable[..., Service]]:
    """Make services on this test's data folder; each is stopped at the end of the test."""
    made: list[Service] = []

    def make(**overrides: object) -> Service:
        service = make_service(tmp_path, **overrides)
        made.append(service)
        return service

    yield make
    for service in made:
        service.stop(wait=False)


@pytest.fixture
def service(services: Callable[..., Service]) -> Service:
    """A started service: SQLite file, local classifier, two reader processes."""
    return services()


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'jobs.db'}")
    yield database
    database.dispose()
