"""The runner end to end: real files, a real SQLite file, real worker processes."""

from __future__ import annotations

import io
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from docclass import export, store
from docclass.models import Document
from docclass.runner import Runner, Upload
from tests import workers
from tests.builders import docx_from_text
from tests.harness import make_runner
from tests.paths import CORPUS, EVAL, ROOT, corpus_manifest, eval_texts

pytestmark = pytest.mark.skipif(not EVAL.is_dir(), reason="shared eval documents missing")

KNOWN_ERRORS = {
    "EncryptedDocument",
    "NoTextLayer",
    "CorruptDocument",
    "UnsupportedFormat",
    "EmptyDocument",
    "FileTooLarge",
    "Timeout",
    "WorkerCrashed",
    "MemoryError",
}


@pytest.fixture
def runner(tmp_path: Path):
    r = make_runner(tmp_path)
    yield r
    r.shutdown(wait=True)


def test_a_batch_of_real_documents_is_classified(runner: Runner) -> None:
    uploads = [Upload(p.name, p) for p in eval_texts("contract", 2)]
    uploads += [
        Upload(f"{p.stem}.docx", docx_from_text(p.read_text())) for p in eval_texts("email", 2)
    ]
    uploads.append(
        Upload("sample.pdf", CORPUS / "py-pdf+sample-files/001-trivial/minimal-document.pdf")
    )
    job_id = runner.submit(uploads)
    assert runner.wait_job(job_id, timeout=120) == "completed"
    job = store.get_job(db=runner.db, job_id=job_id)
    assert (job.total_files, job.completed, job.failed, job.progress) == (5, 5, 0, 100.0)
    rows = {d.filename: d for d in store.job_documents(db=runner.db, job_id=job_id)}
    assert rows["sample.pdf"].engine == "pypdfium2" and rows["sample.pdf"].pages == 1
    assert {rows[u.filename].engine for u in uploads if u.filename.endswith(".docx")} == {
        "python-docx"
    }
    for doc in rows.values():
        assert doc.final_category in set(doc.scores)
        assert 0.0 <= doc.confidence <= 1.0 and doc.rationale
        assert doc.detector_counts is not None and "email" in doc.detector_counts
        assert set(doc.timings) >= {"load_ms", "detect_ms", "classify_ms"}
    # each content is stored once, named by its sha256
    stored = sorted(p.name for p in runner.uploads.iterdir() if not p.name.startswith("."))
    assert stored == sorted({d.sha256 for d in rows.values()})


def test_identical_uploads_are_written_once(runner: Runner) -> None:
    data = eval_texts("receipt", 1)[0].read_bytes()
    job_id = runner.submit([Upload("a.txt", data), Upload("b.txt", io.BytesIO(data))])
    assert runner.wait_job(job_id, timeout=60) == "completed"
    assert len([p for p in runner.uploads.iterdir() if not p.name.startswith(".")]) == 1


def test_every_corpus_file_ends_completed_or_with_a_specific_error(tmp_path: Path) -> None:
    if not CORPUS.is_dir():
        pytest.skip("corpus missing")
    manifest = corpus_manifest()
    files = [(category, path) for category, path, _ in manifest]
    runner = make_runner(tmp_path, workers=4, doc_timeout_s=20.0)
    try:
        job_id = runner.submit([Upload(p.name, p) for _, p in files])
        assert runner.wait_job(job_id, timeout=900) == "completed"
        docs = store.job_documents(db=runner.db, job_id=job_id)
    finally:
        runner.shutdown(wait=False)
    assert len(docs) == len(files)
    by_category: dict[str, list[Document]] = {}
    for (category, _), doc in zip(files, docs, strict=True):
        by_category.setdefault(category, []).append(doc)
        assert doc.status in ("completed", "failed"), doc.filename
        if doc.status == "failed":
            kind = doc.error.split(":", 1)[0]
            assert kind in KNOWN_ERRORS, f"{doc.filename}: {doc.error}"
            assert re.match(r"^\w+: \S", doc.error)
        else:
            assert doc.characters and doc.characters > 0 and doc.final_category
    for (category, path, outcomes), doc in zip(manifest, docs, strict=True):
        if category == "pdf-baseline" and "pypdfium2=ok" in outcomes:
            assert doc.status == "completed", (path.name, doc.error)
    assert all(
        d.error.startswith("NoTextLayer: ")
        for d in by_category["pdf-image-only"]
        if d.status == "failed"
    )
    assert any(
        d.error == "EncryptedDocument: password required" for d in by_category["pdf-encrypted"]
    )
    assert any(d.status == "completed" for d in by_category["pdf-encrypted"])  # empty password
    assert all(d.status == "failed" for d in by_category["docx-encrypted-or-not-zip"])


def test_a_hanging_extraction_is_killed_at_the_timeout(tmp_path: Path) -> None:
    runner = make_runner(
        tmp_path, extract_fn=workers.hang, doc_timeout_s=2.0, workers=1, process_workers=1
    )
    try:
        good = eval_texts("email", 1)[0]
        start = time.monotonic()
        job_id = runner.submit([Upload("hang.txt", b"never read"), Upload(good.name, good)])
        assert runner.wait_job(job_id, timeout=60) == "completed"
        elapsed = time.monotonic() - start
        docs = store.job_documents(db=runner.db, job_id=job_id)
    finally:
        runner.shutdown(wait=True)
    assert docs[0].status == "failed"
    assert docs[0].error.startswith("Timeout: reading the file took longer than 2 s")
    assert docs[1].status == "completed"  # the pool replaced the killed process
    assert elapsed < 30


def test_a_memory_hog_fails_alone_under_the_cap(tmp_path: Path) -> None:
    runner = make_runner(
        tmp_path, extract_fn=workers.eat_memory, doc_memory_mb=600, workers=1, process_workers=1
    )
    try:
        good = eval_texts("resume", 1)[0]
        job_id = runner.submit([Upload("bomb.txt", b"x"), Upload(good.name, good)])
        assert runner.wait_job(job_id, timeout=120) == "completed"
        docs = store.job_documents(db=runner.db, job_id=job_id)
    finally:
        runner.shutdown(wait=True)
    assert docs[0].status == "failed"
    assert docs[0].error.split(":")[0] in ("MemoryError", "WorkerCrashed")
    assert "600 MB" in docs[0].error
    assert docs[1].status == "completed"


def test_sigkill_mid_job_then_restart_finishes_each_document_once(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for category in ("contract", "email", "news_article", "receipt", "resume"):
        for p in eval_texts(category, 10):
            shutil.copy(p, folder / f"{category}-{p.name}")
    env = {
        **os.environ,
        "DOCCLASS_DATA_DIR": str(tmp_path / "data"),
        "DOCCLASS_DATABASE_URL": f"sqlite:///{tmp_path / 'data' / 'docclass.db'}",
        "PYTHONPATH": str(ROOT),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.job_process", "submit", str(folder)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    job_id = proc.stdout.readline().strip()
    db = store.Database(env["DOCCLASS_DATABASE_URL"])
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        job = store.get_job(db=db, job_id=job_id)
        if job.completed >= 10:
            break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)  # the runner and its extraction processes
    proc.wait()
    before = {d.id: d for d in store.job_documents(db=db, job_id=job_id)}
    done_before = {k for k, d in before.items() if d.status == "completed"}
    in_flight = {k for k, d in before.items() if d.status == "processing"}
    assert 10 <= len(done_before) < 50, "the kill must land mid-job"

    subprocess.run(
        [sys.executable, "-m", "tests.job_process", "resume"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=300,
    )
    after = {d.id: d for d in store.job_documents(db=db, job_id=job_id)}
    assert store.get_job(db=db, job_id=job_id).status == "completed"
    assert all(d.status == "completed" for d in after.values())
    for doc_id in done_before:  # never re-run
        assert after[doc_id].attempts == 1
        assert after[doc_id].finished_at == before[doc_id].finished_at
    for doc_id, doc in after.items():
        expected = 2 if doc_id in in_flight else 1
        assert doc.attempts == expected, (doc.filename, doc.attempts, expected)
    db.dispose()


def test_four_jobs_submitted_at_once_finish_without_lock_errors(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    # Four runners on one database file, as four processes would be.
    runners = [make_runner(tmp_path, workers=2, process_workers=1) for _ in range(4)]
    files = [p for c in ("email", "receipt", "contract", "resume") for p in eval_texts(c, 6)]
    job_ids: list[str] = []
    errors: list[BaseException] = []

    def submit(r: Runner) -> None:
        try:
            job_ids.append(r.submit([Upload(p.name, p) for p in files]))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=submit, args=(r,)) for r in runners]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors
        for job_id in job_ids:
            assert runners[0].wait_job(job_id, timeout=300) == "completed"
            job = store.get_job(db=runners[0].db, job_id=job_id)
            assert (job.completed, job.failed) == (len(files), 0)
    finally:
        for r in runners:
            r.shutdown(wait=True)
    assert "database is locked" not in caplog.text


def test_cancel_stops_pending_documents(tmp_path: Path) -> None:
    runner = make_runner(tmp_path, extract_fn=workers.slow, workers=1, process_workers=1)
    try:
        job_id = runner.submit([Upload(p.name, p) for p in eval_texts("news_article", 12)])
        while store.get_job(db=runner.db, job_id=job_id).completed < 1:
            time.sleep(0.05)
        assert runner.cancel_job(job_id)
        runner.wait_idle(timeout=60)
        job = store.get_job(db=runner.db, job_id=job_id)
    finally:
        runner.shutdown(wait=True)
    statuses = [d.status for d in job.documents]
    assert job.status == "cancelled"
    assert "pending" not in statuses and "processing" not in statuses
    assert statuses.count("cancelled") >= 8
    assert job.completed == statuses.count("completed") >= 1


def test_retry_failed_reruns_only_failed_documents(runner: Runner) -> None:
    good, bad = eval_texts("resume", 2)
    job_id = runner.submit([Upload(good.name, good), Upload(bad.name, bad)])
    assert runner.wait_job(job_id, timeout=60) == "completed"
    # Simulate a lost upload: the document fails with a clear error, the job still completes.
    docs = store.job_documents(db=runner.db, job_id=job_id)
    victim = runner.uploads / docs[1].sha256
    saved = victim.read_bytes()
    victim.unlink()
    assert runner.retry_failed(job_id) == 0  # nothing failed yet
    with runner.db.write() as s:
        row = s.get(Document, docs[1].id)
        row.status, row.progress = "pending", 0
        s.add(row)
    store.update_job_status(db=runner.db, job_id=job_id, status="pending")
    runner.kick()
    assert runner.wait_job(job_id, timeout=60) == "completed"
    failed = store.get_document(db=runner.db, doc_id=docs[1].id)
    assert failed.status == "failed"
    assert failed.error == "FileNotFoundError: the uploaded file is missing from the uploads folder"
    victim.write_bytes(saved)
    assert runner.retry_failed(job_id) == 1
    assert runner.wait_job(job_id, timeout=60) == "completed"
    after = {d.id: d for d in store.job_documents(db=runner.db, job_id=job_id)}
    assert after[docs[1].id].status == "completed"
    assert after[docs[0].id].attempts == 1


def test_too_large_upload_fails_without_being_stored(tmp_path: Path) -> None:
    runner = make_runner(tmp_path, max_file_bytes=1024)
    try:
        job_id = runner.submit([Upload("big.txt", b"a" * 5000), Upload("ok.txt", b"hello there")])
        assert runner.wait_job(job_id, timeout=60) == "completed"
        docs = store.job_documents(db=runner.db, job_id=job_id)
    finally:
        runner.shutdown(wait=True)
    assert docs[0].status == "failed"
    assert docs[0].error.startswith("FileTooLarge: ")
    assert docs[1].status == "completed"


def test_csv_export_is_excel_safe_and_opens_with_pandas(runner: Runner) -> None:
    text = eval_texts("receipt", 1)[0].read_bytes()
    names = ["=cmd()|calc.txt", "+sum.txt", "ünïcode—名前.txt"]
    job_id = runner.submit([Upload(n, text + n.encode()) for n in names])
    assert runner.wait_job(job_id, timeout=60) == "completed"
    data = export.export_job(db=runner.db, job_id=job_id, fmt="csv")
    assert data.startswith(b"\xef\xbb\xbf")
    frame = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")
    assert list(frame["filename"]) == ["'=cmd()|calc.txt", "'+sum.txt", "ünïcode—名前.txt"]
    assert list(frame.columns[:7]) == [
        "job_id", "doc_id", "filename", "status", "final_category", "confidence", "classifier",
    ]  # fmt: skip
    assert {"top1_category", "top3_score", "email_count", "duration_ms", "sha256"} <= set(frame)
    assert (frame["status"] == "completed").all()
    assert (frame["top1_category"] == frame["final_category"]).all()
    js = export.export_job(db=runner.db, job_id=job_id, fmt="json")
    import json

    payload = json.loads(js)
    assert payload["job"]["job_id"] == job_id
    assert payload["documents"][0]["filename"] == "=cmd()|calc.txt"  # JSON keeps the raw name


def test_a_runner_replaced_in_the_same_process_leaves_nothing_stuck(tmp_path: Path) -> None:
    """What clearing Streamlit's cache does: shutdown(wait=False), then a new runner."""
    first = make_runner(tmp_path, extract_fn=workers.slow, workers=2, process_workers=1)
    job_id = first.submit([Upload(p.name, p) for p in eval_texts("email", 8)])
    while not any(
        d.status == "processing" for d in store.job_documents(db=first.db, job_id=job_id)
    ):
        time.sleep(0.02)
    first.shutdown(wait=False)
    deadline = time.monotonic() + 15
    while any(t.name.startswith(first.thread_prefix) for t in threading.enumerate()):
        assert time.monotonic() < deadline, "worker threads outlived shutdown(wait=False)"
        time.sleep(0.1)
    second = make_runner(tmp_path)
    try:
        assert second.wait_job(job_id, timeout=120) == "completed"
        docs = store.job_documents(db=second.db, job_id=job_id)
    finally:
        second.shutdown(wait=True)
    assert [d.status for d in docs] == ["completed"] * 8


def test_a_finished_job_is_classified_again_as_one_batch(runner: Runner) -> None:
    """Self-training over the job's own documents once the last one is saved."""
    folders = ["contract", "email", "news_article", "receipt", "resume", "scientific_paper"]
    files = [(f.replace("_", " "), p) for f in folders for p in eval_texts(f, 3)]
    job_id = runner.submit([Upload(p.name, p) for _, p in files])
    assert runner.wait_job(job_id, timeout=120) == "completed"
    docs = store.job_documents(db=runner.db, job_id=job_id)
    assert all(d.classifier_meta.get("stage") == "batch" for d in docs)
    assert all("single_category" in d.classifier_meta for d in docs)
    pairs = [(label, d.final_category) for (label, _), d in zip(files, docs, strict=True)]
    assert sum(a == b for a, b in pairs) >= len(files) - 2, pairs
    assert all(d.evidence is not None and d.rationale for d in docs)
