"""``app.py``: ``streamlit run`` finds its ``st.App``; its lifespan runs the service for the
server's lifetime; a reader process that imports it as ``__mp_main__`` builds nothing."""

from __future__ import annotations

import asyncio
import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from streamlit import config as streamlit_config
from streamlit.web.server.app_discovery import discover_asgi_app

from docclass.jobs.service import Service
from docclass.jobs.uploads import Upload
from tests.paths import ROOT
from webui.service import current_service

APP = ROOT / "app.py"


def load_app_module(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """Import app.py as a module, the way uvicorn does (``app:app``)."""
    # st.App pins the process's script-level config folder; leave it as it was.
    monkeypatch.setattr(streamlit_config, "_main_script_path", streamlit_config._main_script_path)
    spec = importlib.util.spec_from_file_location("docclass_app_under_test", APP)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_streamlit_run_finds_the_asgi_app() -> None:
    found = discover_asgi_app(APP)
    assert found.is_asgi_app and found.import_string == "app:app"


def test_the_app_serves_the_router(monkeypatch: pytest.MonkeyPatch) -> None:
    module = load_app_module(monkeypatch)
    assert Path(module.app._resolve_script_path()) == ROOT / "webui" / "router.py"


def test_a_reader_process_importing_it_as_mp_main_builds_nothing() -> None:
    code = (
        "import runpy, sys\n"
        f"ns = runpy.run_path({str(APP)!r}, run_name='__mp_main__')\n"
        "assert 'app' not in ns, 'an st.App was built'\n"
        "assert 'streamlit' not in sys.modules, 'streamlit was imported'\n"
        "assert not any(m == 'webui' or m.startswith('webui.') for m in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_the_lifespan_resumes_queued_jobs_and_stops_the_service(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A job queued by a process that stopped before working on it (as after a restart).
    earlier = Service(start=False)
    job_id = earlier.submit([Upload("note.txt", b"Invoice 42: amount due $100.")])
    earlier.stop()
    module = load_app_module(monkeypatch)

    async def serve() -> tuple[Service, str]:
        async with module.lifespan(module.app):
            service = current_service()
            assert service is not None, "the lifespan starts the service"
            # No page was opened: the service's worker picks the job up by itself.
            status = await asyncio.to_thread(service.wait_job, job_id, 60)
        return service, status

    service, status = asyncio.run(serve())
    assert status == "completed"
    assert service.worker.closed, "the lifespan stops the service on shutdown"
    assert current_service() is None
