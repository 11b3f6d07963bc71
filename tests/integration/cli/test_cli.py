"""The command line, run as analysts run it: ``python -m docclass`` in a subprocess."""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.paths import CORPUS, ROOT, eval_texts


def run(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [sys.executable, "-m", "docclass", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DOCCLASS_DATA_DIR": str(tmp_path / "data"),
        "DOCCLASS_DATABASE_URL": f"sqlite:///{tmp_path / 'data' / 'docclass.db'}",
        "DOCCLASS_CLASSIFIER": "local",
        "DOCCLASS_WORKERS": "2",
    }


def test_classify_a_folder_then_jobs_status_and_export(env: dict, tmp_path: Path) -> None:
    folder = tmp_path / "in" / "nested"
    folder.mkdir(parents=True)
    for p in eval_texts("resume", 2) + eval_texts("contract", 1):
        shutil.copy(p, folder / f"{p.parent.name}-{p.name}")
    scanned = CORPUS / "py-pdf+sample-files/019-grayscale-image/grayscale-image.pdf"
    if scanned.exists():
        shutil.copy(scanned, folder / "scan.pdf")
    out = tmp_path / "results.json"
    proc = run(env, "classify", str(tmp_path / "in"), "--format", "json", "--out", str(out))
    assert "job " in proc.stderr and "doc" in proc.stderr  # the progress bar went to stderr
    payload = json.loads(out.read_text())
    job_id = payload["job"]["job_id"]
    rows = {r["filename"]: r for r in payload["documents"]}
    assert rows["resume-0000.txt"]["status"] == "completed"
    assert rows["resume-0000.txt"]["final_category"]
    if scanned.exists():
        assert rows["scan.pdf"]["error"].startswith("NoTextFound: ")  # a cartoon, no words

    listing = run(env, "jobs", "--json")
    assert json.loads(listing.stdout)["jobs"][0]["job_id"] == job_id
    status = json.loads(run(env, "status", job_id).stdout)
    assert status["status"] == "completed"
    assert len(status["documents"]) == len(rows)
    csv_out = run(env, "export", job_id, "--format", "csv").stdout
    assert csv_out.splitlines()[0].startswith("job_id,doc_id,filename,status")
    assert len(csv_out.strip().splitlines()) == len(rows) + 1


def test_errors_exit_non_zero_with_one_line(env: dict, tmp_path: Path) -> None:
    proc = run(env, "status", "nope", check=False)
    assert proc.returncode != 0
    assert proc.stderr.strip() == "error: no job nope"
    proc = run(env, "classify", str(tmp_path / "missing"), check=False)
    assert proc.returncode != 0 and "no such file or folder" in proc.stderr
    bad = tmp_path / "bad.toml"
    bad.write_text('[[category]]\nname = "x"\ndescription = "only one"\n')
    good = eval_texts("email", 1)[0]
    proc = run(env, "classify", str(good), "--taxonomy", str(bad), check=False)
    assert proc.returncode != 0
    assert "at least two categories" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_worker_finishes_jobs_left_in_the_database(env: dict) -> None:
    code = (
        "from docclass.settings import load_settings\n"
        "from docclass.jobs.service import Service; from docclass.jobs.uploads import Upload\n"
        "r = Service(load_settings(), start=False)\n"  # queue only: as if the app died at once
        f"j = r.submit([Upload('a.txt', open({str(eval_texts('email', 1)[0])!r}, 'rb'))])\n"
        "print(j)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    job_id = proc.stdout.strip()
    assert json.loads(run(env, "status", job_id).stdout)["status"] == "pending"
    run(env, "worker", "--exit-when-idle")
    assert json.loads(run(env, "status", job_id).stdout)["status"] == "completed"


def started_worker(env: dict, *, inherit_ignored_sigint: bool = False) -> subprocess.Popen:
    """``python -m docclass worker``, returned once it is up (its first line printed)."""

    def ignore_sigint() -> None:  # what a script's shell does to a background job
        signal.signal(signal.SIGINT, signal.SIG_IGN)

    proc = subprocess.Popen(
        [sys.executable, "-m", "docclass", "worker"],
        cwd=ROOT,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=ignore_sigint if inherit_ignored_sigint else None,
    )
    assert proc.stderr is not None and "reader processes" in proc.stderr.readline()
    return proc


def stopped(proc: subprocess.Popen) -> int:
    try:
        return proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_worker_stops_on_ctrl_c_whichever_thread_the_kernel_hands_it_to(env: dict) -> None:
    """The kernel may deliver a process's SIGINT to any thread; Python then only sets a flag
    for the main thread. A worker whose main thread slept for an hour ignored such a Ctrl-C
    for that hour. Here SIGINT goes to one of its other threads on purpose."""
    proc = started_worker(env)
    others = [int(t) for t in os.listdir(f"/proc/{proc.pid}/task") if int(t) != proc.pid]
    assert others, "the worker runs threads besides its main one"
    libc = ctypes.CDLL(None, use_errno=True)
    assert libc.tgkill(proc.pid, others[0], signal.SIGINT) == 0  # glibc 2.30+
    assert stopped(proc) == 0


@pytest.mark.parametrize("inherit_ignored_sigint", [False, True])
def test_worker_stops_cleanly_on_sigint_and_sigterm(env: dict, inherit_ignored_sigint: bool):
    """Also when started in the background by a script, which makes it inherit an ignored
    SIGINT (CI ran the suite that way, and workers then never stopped)."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        proc = started_worker(env, inherit_ignored_sigint=inherit_ignored_sigint)
        assert str(proc.pid) in run(env, "workers").stdout
        proc.send_signal(sig)
        assert stopped(proc) == 0, sig
        assert str(proc.pid) not in run(env, "workers").stdout  # it signed off
