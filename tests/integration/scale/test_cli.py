"""The command line on PostgreSQL: a URL is all it needs, and what it did shows up in the
app's service (another process, another data folder)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

from docclass.jobs.service import Service
from tests.harness import settings_for
from tests.paths import ROOT, eval_texts


def run(env: dict[str, str], *args: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "docclass", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_classify_and_jobs_on_postgresql(empty_pg_url: str, tmp_path: Path) -> None:
    files = [*eval_texts("resume", 2), *eval_texts("email", 1)]
    env = {
        **os.environ,
        # postgresql:// (no driver named) is read as psycopg 3
        "DOCCLASS_DATABASE_URL": empty_pg_url.replace("postgresql+psycopg://", "postgresql://"),
        "DOCCLASS_DATA_DIR": str(tmp_path / "cli"),
        "DOCCLASS_CLASSIFIER": "local",
        "DOCCLASS_WORKERS": "2",
    }
    out = json.loads(run(env, "classify", *map(str, files), "-q", "--format", "json"))
    assert [d["status"] for d in out["documents"]] == ["completed"] * 3
    job_id = out["job"]["job_id"]

    listing = json.loads(run(env, "jobs", "--json"))
    assert [(j["job_id"], j["completed"]) for j in listing["jobs"]] == [(job_id, 3)]

    settings = replace(settings_for(tmp_path / "app"), database_url=empty_pg_url)
    service = Service(settings, start=False)  # the app, elsewhere, sees the CLI's job
    try:
        job = service.get_job(job_id)
        assert job is not None and job.status == "completed" and job.completed == 3
    finally:
        service.stop()
