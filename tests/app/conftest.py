"""Fixtures of the AppTest suite: a fresh data folder, database and service per test.

Settings come from environment variables (read by ``load_settings``); the app's one service
(``webui.service``) is shut down before and after each test, so every test gets its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import webui.service
from docclass.jobs.service import Service
from webui.service import get_service, shutdown_service


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh data folder and database, the local classifier, and no service yet."""
    data = tmp_path / "data"
    monkeypatch.setenv("DOCCLASS_DATA_DIR", str(data))
    monkeypatch.setenv("DOCCLASS_DATABASE_URL", f"sqlite:///{data / 'docclass.db'}")
    monkeypatch.setenv("DOCCLASS_CLASSIFIER", "local")
    monkeypatch.setenv("DOCCLASS_WORKERS", "2")
    monkeypatch.setenv("DOCCLASS_PROCESS_WORKERS", "1")
    for name in ("DOCCLASS_TAXONOMY", "OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    shutdown_service()
    yield data
    shutdown_service()


@pytest.fixture
def stopped_services(monkeypatch: pytest.MonkeyPatch, data_dir: Path) -> Callable[[], Service]:
    """Services the app creates from now on are not started: jobs stay queued until the test
    calls ``start()``. Returns :func:`get_service` (call it once the environment is set)."""

    def not_started(settings: object) -> Service:
        return Service(settings, start=False)  # type: ignore[arg-type]

    monkeypatch.setattr(webui.service, "new_service", not_started)
    return get_service


@pytest.fixture
def idle_service(stopped_services: Callable[[], Service]) -> Service:
    """The app's service, created stopped."""
    return stopped_services()
