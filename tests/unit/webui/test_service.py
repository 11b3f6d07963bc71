"""webui.service: one service per process, keyed on where data lives; the API key from the
environment or Streamlit secrets, never shown."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest

import webui.service as app_service
from docclass.settings import Settings
from webui.admin import engine_settings_frame

SECRET = "sk-test-never-show-1a2b3c4d"


class FakeService:
    """Stands in for docclass's Service: records how it was made and stopped."""

    made: ClassVar[list[FakeService]] = []

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.stopped: list[bool] = []
        FakeService.made.append(self)

    def stop(self, wait: bool = False) -> None:
        self.stopped.append(wait)


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[type[FakeService]]:
    monkeypatch.setenv("DOCCLASS_DATA_DIR", str(tmp_path / "one"))
    monkeypatch.setenv("DOCCLASS_DATABASE_URL", f"sqlite:///{tmp_path / 'one' / 'db'}")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setattr(app_service, "new_service", FakeService)
    monkeypatch.setattr(app_service, "secret_api_key", lambda: None)
    app_service.shutdown_service()
    FakeService.made = []
    yield FakeService
    app_service.shutdown_service()


def test_one_service_until_the_data_settings_change(
    fake: type[FakeService], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = app_service.get_service()
    assert app_service.get_service() is first
    monkeypatch.setenv("DOCCLASS_DATA_DIR", str(tmp_path / "two"))
    second = app_service.get_service()
    assert second is not first and first.stopped == [False], "stopped without waiting"
    monkeypatch.setenv("DOCCLASS_DATABASE_URL", f"sqlite:///{tmp_path / 'two' / 'db'}")
    third = app_service.get_service()
    assert third is not second and second.stopped == [False]
    app_service.shutdown_service()
    assert third.stopped == [False] and app_service.current_service() is None
    app_service.shutdown_service()  # nothing left to stop: no error
    assert len(fake.made) == 3


def test_sessions_asking_at_once_share_one_service(fake: type[FakeService]) -> None:
    got: list[object] = []
    start = threading.Barrier(8)

    def ask() -> None:
        start.wait()
        got.append(app_service.get_service())

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(fake.made) == 1 and all(s is fake.made[0] for s in got)


def test_the_key_comes_from_secrets_when_the_environment_has_none(
    fake: type[FakeService], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app_service, "secret_api_key", lambda: SECRET)
    service = app_service.get_service()
    assert service.settings.openai_api_key == SECRET
    assert SECRET not in repr(service.settings)
    frame = engine_settings_frame(service.settings)
    assert SECRET not in frame.to_csv()
    assert frame.set_index("setting").loc["OpenAI API key", "value"] == "configured"


def test_the_environment_key_wins(fake: type[FakeService], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env")
    monkeypatch.setattr(app_service, "secret_api_key", lambda: SECRET)
    assert app_service.get_service().settings.openai_api_key == "sk-env"


def test_secret_api_key_reads_streamlit_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    import streamlit as st

    class Secrets(dict):
        pass

    monkeypatch.setattr(st, "secrets", Secrets(OPENAI_API_KEY=f"  {SECRET}  "))
    assert app_service.secret_api_key() == SECRET
    monkeypatch.setattr(st, "secrets", Secrets(OPENAI_API_KEY="   "))
    assert app_service.secret_api_key() is None

    class Missing:
        def get(self, _name: str) -> object:
            raise FileNotFoundError("no secrets.toml")

    monkeypatch.setattr(st, "secrets", Missing())
    assert app_service.secret_api_key() is None


def test_a_stop_that_fails_does_not_keep_the_app_from_going_on(
    fake: type[FakeService], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = app_service.get_service()

    def broken(wait: bool = False) -> None:
        raise RuntimeError("database went away")

    first.stop = broken  # type: ignore[method-assign]
    monkeypatch.setenv("DOCCLASS_DATA_DIR", str(tmp_path / "two"))
    assert app_service.get_service() is not first
