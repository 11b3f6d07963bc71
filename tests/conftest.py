"""Shared fixtures: services and databases on temporary folders, and the shared data check.

Tests that read ``../shared`` (the real-world corpus, the labelled documents) must fail
loudly when it is missing, never skip: the session stops at once with the path to fix.

The job store is SQLite unless a test runs on both backends: the store tests do (their
``conftest.py``), and so do the worker tests named in ``BOTH_BACKENDS``. On PostgreSQL each
test gets a fresh database on one real server started for the session (``tests/pg.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from docclass.jobs.pipeline import ExtractFn
from docclass.jobs.service import Service
from docclass.store.db import Database
from tests.harness import settings_for
from tests.paths import CORPUS, EVAL, SHARED
from tests.pg import BACKENDS, PostgresServer

# Worker tests that also run on PostgreSQL: what touches claims, leases, concurrency and
# restarts. The others (readers, limits, exports) do not depend on the database.
BOTH_BACKENDS = {
    "tests/integration/jobs/test_worker.py": {
        "test_a_batch_of_real_documents_is_classified",
        "test_identical_uploads_are_written_once",
        "test_four_jobs_submitted_at_once_finish_without_lock_errors",
        "test_cancel_stops_pending_documents",
        "test_a_service_replaced_in_the_same_process_leaves_nothing_stuck",
        "test_a_finished_job_is_classified_again_as_one_batch",
    },
}


def pytest_sessionstart(session: pytest.Session) -> None:
    missing = [p for p in (SHARED, CORPUS, EVAL) if not p.is_dir()]
    if missing:
        pytest.exit(
            f"shared test data missing: {', '.join(map(str, missing))} "
            "(clone the project beside ../shared or set DOCCLASS_SHARED)",
            returncode=3,
        )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    names = BOTH_BACKENDS.get(metafunc.definition.nodeid.split("::", 1)[0], set())
    if metafunc.definition.originalname in names:
        metafunc.parametrize("backend", BACKENDS)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test named in BOTH_BACKENDS that was renamed away would silently lose its
    PostgreSQL run: fail instead."""
    collected = {(i.nodeid.split("::", 1)[0], getattr(i, "originalname", i.name)) for i in items}
    files = {path for path, _ in collected}
    missing = [
        f"{path}::{name}"
        for path, names in BOTH_BACKENDS.items()
        if path in files
        for name in names
        if (path, name) not in collected
    ]
    if missing:
        raise pytest.UsageError(f"BOTH_BACKENDS names tests that do not exist: {missing}")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    """One real PostgreSQL server for the session; its failure to start fails the tests."""
    server = PostgresServer.start_new()
    yield server
    server.stop()


@pytest.fixture
def backend() -> str:
    """The job store's engine for this test (parametrised where a test runs on both)."""
    return "sqlite"


@pytest.fixture
def database_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """This test's own database: an SQLite file in its folder, or a fresh PostgreSQL one."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'data' / 'docclass.db'}"
        return
    server: PostgresServer = request.getfixturevalue("pg_server")
    url = server.create_database()
    yield url
    server.drop_database(url)


@pytest.fixture
def services(tmp_path: Path, database_url: str) -> Iterator[Callable[..., Service]]:
    """Make services on this test's data folder and database; each is stopped at the end."""
    made: list[Service] = []

    def make(
        extract_fn: ExtractFn | None = None, *, start: bool = True, **overrides: object
    ) -> Service:
        settings = replace(settings_for(tmp_path, **overrides), database_url=database_url)
        if extract_fn is None:
            service = Service(settings, start=start)
        else:
            service = Service(settings, extract_fn=extract_fn, start=start)
        made.append(service)
        return service

    yield make
    for service in made:
        service.stop(wait=False)


@pytest.fixture
def service(services: Callable[..., Service]) -> Service:
    """A started service: this test's database, local classifier, two reader processes."""
    return services()


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    """The job store of this test's database, at the newest schema."""
    database = Database(database_url)
    yield database
    database.dispose()
