"""The router (``webui/router.py``): every page runs inside it, with the sidebar; one service
per process; the API key may come from Streamlit secrets and is never shown."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from docclass.jobs.service import Service
from tests.app.support import (
    ROUTER,
    SECRET,
    all_text,
    find_table,
    new_app,
    no_exception,
    open_page,
    shown,
    submit,
)
from tests.paths import eval_texts
from webui import nav
from webui.service import current_service, get_service, shutdown_service


def test_every_page_renders_under_the_router_with_the_sidebar(data_dir: Path) -> None:
    at = new_app()
    no_exception(at)
    assert at.title[0].value == "Classify a document"
    side = shown(at.sidebar.markdown)
    assert "**Classifier** · local" in side
    assert "**Taxonomy** · default" in side
    assert [(m.label, m.value) for m in at.sidebar.metric] == [("Running jobs", "0")]
    for page, title in [
        (nav.PAGE_BATCH, "Batch"),
        (nav.PAGE_STATUS, "Job status"),
        (nav.PAGE_JOBS, "Jobs"),
        (nav.PAGE_SETTINGS, "Settings"),
        (nav.PAGE_CLASSIFY, "Classify a document"),
    ]:
        open_page(at, page)
        no_exception(at)
        assert at.title[0].value == title
        # The router ran too: the sidebar is there on every page.
        assert [m.label for m in at.sidebar.metric] == ["Running jobs"]


def test_page_constants_are_absolute_paths_outside_the_router_folder() -> None:
    pages = [nav.PAGE_CLASSIFY, nav.PAGE_BATCH, nav.PAGE_STATUS, nav.PAGE_JOBS, nav.PAGE_SETTINGS]
    for page in pages:
        path = Path(page)
        assert path.is_absolute() and path.is_file(), page
    # No pages/ folder beside the main script: Streamlit never enters its legacy mode.
    assert not (ROUTER.parent / "pages").exists()
    assert Path(nav.PAGE_STATUS).stem == nav.STATUS_URL


def test_one_service_per_process_replaced_when_the_data_settings_change(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = get_service()
    assert get_service() is first and current_service() is first
    monkeypatch.setenv("DOCCLASS_WORKERS", "3")  # not part of the key: the same service
    assert get_service() is first
    other = data_dir.parent / "other"
    monkeypatch.setenv("DOCCLASS_DATA_DIR", str(other))
    monkeypatch.setenv("DOCCLASS_DATABASE_URL", f"sqlite:///{other / 'docclass.db'}")
    second = get_service()
    assert second is not first
    assert first.worker.closed, "the replaced service must be stopped"
    assert not second.worker.closed and second.settings.data_dir == other
    shutdown_service()
    assert second.worker.closed and current_service() is None


def test_sidebar_counts_running_jobs(idle_service: Service) -> None:
    submit(idle_service, eval_texts("email", 1))
    submit(idle_service, eval_texts("resume", 1))
    at = new_app()
    assert [m.value for m in at.sidebar.metric] == ["2"]


def test_the_api_key_may_come_from_streamlit_secrets(data_dir: Path) -> None:
    at = AppTest.from_file(str(ROUTER), default_timeout=60)
    at.secrets["OPENAI_API_KEY"] = SECRET
    at.run()
    no_exception(at)
    assert get_service().settings.openai_api_key == SECRET
    assert SECRET not in repr(get_service().settings)  # repr=False on the key
    open_page(at, nav.PAGE_SETTINGS)
    engine = find_table(at, "environment variable").set_index("setting")["value"]
    assert engine["OpenAI API key"] == "configured"
    assert SECRET not in all_text(at)


def test_the_environment_key_wins_over_secrets(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-the-environment")
    at = AppTest.from_file(str(ROUTER), default_timeout=60)
    at.secrets["OPENAI_API_KEY"] = SECRET
    at.run()
    no_exception(at)
    assert get_service().settings.openai_api_key == "sk-from-the-environment"


def test_bad_settings_are_named_on_the_page(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCCLASS_WORKERS", "many")
    at = new_app()
    no_exception(at)
    assert shown(at.error) == [
        "docclass could not start: ValueError: DOCCLASS_WORKERS must be an integer, got 'many'"
    ]
    assert current_service() is None
