"""The server without a browser: ``streamlit run app.py`` starts the service in its lifespan,
so a job left queued by an earlier run finishes with no page open; SIGTERM stops it cleanly."""

from __future__ import annotations

import signal
import urllib.request
from pathlib import Path

import pytest

from docclass.jobs.service import Service
from docclass.jobs.uploads import Upload
from docclass.settings import load_settings
from tests.browser.conftest import run_server
from tests.paths import EVAL

pytestmark = pytest.mark.browser


def test_queued_jobs_resume_when_the_server_starts_with_no_browser_open(tmp_path: Path) -> None:
    data = tmp_path / "data"
    files = sorted((EVAL / "receipt").glob("*.txt"))[:2]
    # A job queued by a process that stopped before any document was read.
    earlier = Service(
        load_settings(
            data_dir=data, database_url=f"sqlite:///{data / 'docclass.db'}", classifier="local"
        ),
        start=False,
    )
    try:
        job_id = earlier.submit([Upload(f.name, f) for f in files], taxonomy="default")
        with run_server(data) as server:
            # Nothing but the health check has asked the server anything.
            assert earlier.wait_job(job_id, timeout=60) == "completed"
            job = earlier.get_job(job_id)
            assert job is not None and job.completed == 2
            assert len(earlier.workers()) == 1, "the server's worker is registered"
            with urllib.request.urlopen(f"{server.url}/_stcore/health", timeout=5) as reply:
                assert reply.status == 200
            assert server.stop() in (0, -signal.SIGTERM)
        # The lifespan stopped the service: its worker said goodbye (no lease left to expire).
        assert earlier.workers() == []
        log = server.log.read_text("utf-8", errors="replace")
        assert "Traceback" not in log, log
    finally:
        earlier.stop()
