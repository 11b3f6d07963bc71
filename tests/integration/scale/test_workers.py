"""Three ``python -m docclass worker`` processes and the app's own worker on one PostgreSQL
database, each with its own data folder (as on separate machines): one worker is SIGKILLed
mid-job, and every document is still finished exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlmodel import select

from docclass.jobs.service import Service
from docclass.jobs.uploads import Upload
from docclass.statuses import ACTIVE_JOB
from docclass.store import jobs, queue
from docclass.store.db import Database
from docclass.store.tables import Document
from tests.harness import settings_for
from tests.paths import ROOT, eval_texts

CATEGORIES = ("contract", "email", "news_article", "receipt", "resume")
COPIES = 2  # each text twice, the copies different: 120 documents, no duplicate reads


def uploads(attempt: int) -> list[Upload]:
    out = []
    for category in CATEGORIES:
        for path in eval_texts(category, 12):
            text = path.read_bytes()
            for k in range(COPIES):
                tail = f"\n\nref {attempt} {k}\n".encode()
                out.append(Upload(f"{category}-{k}-{path.name}", text + tail))
    return out


def start_worker(url: str, folder: Path) -> subprocess.Popen[bytes]:
    """A worker as another machine would run it: the database URL and its own data folder."""
    folder.mkdir(parents=True)
    env = {
        **os.environ,
        "DOCCLASS_DATABASE_URL": url,
        "DOCCLASS_DATA_DIR": str(folder),
        "DOCCLASS_CLASSIFIER": "local",
        "DOCCLASS_WORKERS": "2",
        "DOCCLASS_PROCESS_WORKERS": "1",
        "DOCCLASS_POLL_S": "0.2",
        "DOCCLASS_HEARTBEAT_S": "0.5",
        "DOCCLASS_LEASE_S": "2",
    }
    with open(folder / "worker.log", "wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "docclass", "worker"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its reader processes die with it
        )


@pytest.fixture
def workers(empty_pg_url: str, tmp_path: Path) -> Iterator[list[subprocess.Popen[bytes]]]:
    procs = [start_worker(empty_pg_url, tmp_path / f"machine-{i}") for i in range(3)]
    yield procs
    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def rows(db: Database, job_id: str) -> dict[str, Document]:
    """The job's document rows, with the worker that holds (or last saved) each one."""
    with db.read() as s:
        return {d.id: d for d in s.exec(select(Document).where(Document.job_id == job_id))}


def worker_id(db: Database, pid: int, deadline: float) -> str:
    while time.monotonic() < deadline:
        for w in queue.list_workers(db=db):
            if w.pid == pid:
                return w.id
        time.sleep(0.05)
    raise AssertionError(f"worker {pid} never registered")


def warm_up(service: Service, pids: list[int], deadline: float) -> None:
    """Small jobs until every worker has saved a document: a worker whose readers are still
    starting (seconds of imports on a busy machine) would otherwise miss the real job."""
    text = eval_texts("email", 1)[0].read_bytes()
    for round_ in range(100):
        done = {w.pid: w.documents_done for w in queue.list_workers(db=service.db)}
        if all(done.get(pid, 0) > 0 for pid in pids):
            return
        assert time.monotonic() < deadline, f"not every worker read a document: {done}"
        batch = [
            Upload(f"warm-{i}.txt", text + f"\nwarm {round_} {i}\n".encode()) for i in range(12)
        ]
        assert service.wait_job(service.submit(batch), timeout=60) == "completed"


# What the victim's documents show mid-job: it has saved some and holds others.
MID_JOB = frozenset({"completed", "processing"})


def victim_statuses(db: Database, job_id: str, victim_id: str, *, locked: bool) -> set[str]:
    """The statuses of the job's documents the victim holds or saved. ``locked`` (the victim
    stopped): the rows are read under a lock, so a write the victim had already sent is
    waited for; one it had not finished (the lock times out) dies with it, and its documents
    stay held, which this reports as MID_JOB."""
    query = select(Document.status).where(Document.job_id == job_id, Document.owner == victim_id)
    if not locked:
        with db.read() as s:
            return set(s.exec(query).all())
    with db.write() as s:
        s.execute(text("SET LOCAL lock_timeout = '500ms'"))
        try:
            return set(s.exec(query.with_for_update()).all())
        except OperationalError:  # LockNotAvailable: a write of its documents in flight
            s.rollback()
            return set(MID_JOB)


def kill_mid_job(
    service: Service, victim: subprocess.Popen[bytes], victim_id: str, deadline: float
) -> str:
    """SIGKILL the victim once it has saved some of a job's documents and holds others; the
    job's id. It is frozen first and looked at again, as it could otherwise save what it
    held between a look and the kill. A job the other workers finish before the victim is
    caught mid-way (it polls late on a busy machine) is followed by a fresh one."""
    for attempt in range(20):
        job_id = service.submit(uploads(attempt))
        while time.monotonic() < deadline:
            assert victim.poll() is None, f"the victim exited on its own ({victim.returncode})"
            if victim_statuses(service.db, job_id, victim_id, locked=False) >= MID_JOB:
                os.killpg(victim.pid, signal.SIGSTOP)
                if victim_statuses(service.db, job_id, victim_id, locked=True) >= MID_JOB:
                    os.killpg(victim.pid, signal.SIGKILL)
                    victim.wait()
                    return job_id
                os.killpg(victim.pid, signal.SIGCONT)
            job = jobs.get_job(db=service.db, job_id=job_id, include_documents=False)
            if job is not None and job.status not in ACTIVE_JOB:
                break
            time.sleep(0.02)
    raise AssertionError("the victim was never caught holding a job's documents")


def stop_cleanly(proc: subprocess.Popen[bytes], log: Path) -> int:
    """Ctrl-C; if the worker has not exited a minute later, its threads' stacks (SIGUSR1)
    go into the failure message."""
    proc.send_signal(signal.SIGINT)
    try:
        return proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGUSR1)
        time.sleep(2)
        raise AssertionError(log.read_text(errors="replace")[-6000:]) from None


def test_a_worker_killed_mid_job_leaves_every_document_finished_once(
    empty_pg_url: str, tmp_path: Path, workers: list[subprocess.Popen[bytes]]
) -> None:
    # The app starts on the new database together with the three workers (all migrate it).
    settings = replace(
        settings_for(tmp_path / "app", heartbeat_s=0.5, lease_s=2.0, process_workers=1),
        database_url=empty_pg_url,
    )
    service = Service(settings)
    try:
        deadline = time.monotonic() + 180
        victim, *survivors = workers
        victim_id = worker_id(service.db, victim.pid, deadline)
        warm_up(service, [p.pid for p in workers], deadline)
        job_id = kill_mid_job(service, victim, victim_id, deadline)
        total = COPIES * 12 * len(CATEGORIES)

        before = rows(service.db, job_id)
        done_before = {k for k, d in before.items() if d.status == "completed"}
        held = {k for k, d in before.items() if d.status == "processing" and d.owner == victim_id}
        assert held and len(done_before) < total, "the kill must land mid-job"

        assert service.wait_job(job_id, timeout=180) == "completed"
        after = rows(service.db, job_id)
        assert len(after) == total
        assert all(d.status == "completed" for d in after.values())
        for doc_id in done_before:  # never run again, never written again
            assert after[doc_id].attempts == 1
            assert after[doc_id].finished_at == before[doc_id].finished_at
        for doc_id, doc in after.items():  # the victim's documents ran once more, elsewhere
            assert doc.attempts == (2 if doc_id in held else 1), doc.filename
            if doc_id in held:
                assert doc.owner != victim_id
        savers = {d.owner for d in after.values()}
        assert victim_id in savers and len(savers - {victim_id}) >= 2
        assert jobs.get_job(db=service.db, job_id=job_id).status == "completed"
        live = {w.id for w in queue.list_workers(db=service.db)}
        assert victim_id not in live  # its lease ran out and it was forgotten

        # Ctrl-C: a clean stop, documents handed back
        logs = [tmp_path / f"machine-{i}" / "worker.log" for i in (1, 2)]
        assert [stop_cleanly(p, log) for p, log in zip(survivors, logs, strict=True)] == [0, 0]
    finally:
        service.stop(wait=False)
