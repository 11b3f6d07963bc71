"""The worker end to end: real files, a real SQLite file, real reader processes."""

from __future__ import annotations

import io
import json
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
from sqlmodel import col, update

from docclass.classifiers.local import SELF_TRAIN_MIN
from docclass.jobs.service import Service
from docclass.jobs.uploads import Upload
from docclass.schemas import DocumentOut
from docclass.store import documents, jobs
from docclass.store.db import Database
from docclass.store.tables import Document, Job
from tests import workers
from tests.builders import docx_from_text
from tests.paths import CORPUS, ROOT, corpus_manifest, eval_texts

KNOWN_ERRORS = {
    "EncryptedDocument",
    "NoTextLayer",
    "NoTextFound",
    "CorruptDocument",
    "UnsupportedFormat",
    "EmptyDocument",
    "FileTooLarge",
    "Timeout",
    "WorkerCrashed",
    "MemoryError",
}


def docs_of(service: Service, job_id: str) -> list[DocumentOut]:
    return list(documents.job_documents(db=service.db, job_id=job_id))


def test_a_batch_of_real_documents_is_classified(service: Service) -> None:
    uploads = [Upload(p.name, p) for p in eval_texts("contract", 2)]
    uploads += [
        Upload(f"{p.stem}.docx", docx_from_text(p.read_text())) for p in eval_texts("email", 2)
    ]
    uploads.append(
        Upload("sample.pdf", CORPUS / "py-pdf+sample-files/001-trivial/minimal-document.pdf")
    )
    job_id = service.submit(uploads)
    assert service.wait_job(job_id, timeout=120) == "completed"
    job = service.get_job(job_id)
    assert (job.total_files, job.completed, job.failed, job.progress) == (5, 5, 0, 100.0)
    rows = {d.filename: d for d in docs_of(service, job_id)}
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
    stored = sorted(p.name for p in service.uploads.folder.iterdir() if not p.name.startswith("."))
    assert stored == sorted({d.sha256 for d in rows.values()})


def test_identical_uploads_are_written_once(service: Service) -> None:
    data = eval_texts("receipt", 1)[0].read_bytes()
    job_id = service.submit([Upload("a.txt", data), Upload("b.txt", io.BytesIO(data))])
    assert service.wait_job(job_id, timeout=60) == "completed"
    assert len([p for p in service.uploads.folder.iterdir() if not p.name.startswith(".")]) == 1


def test_every_corpus_file_ends_completed_or_with_a_specific_error(services) -> None:
    manifest = corpus_manifest()
    files = [(category, path) for category, path, _ in manifest]
    service = services(workers=4, doc_timeout_s=20.0)
    try:
        job_id = service.submit([Upload(p.name, p) for _, p in files])
        assert service.wait_job(job_id, timeout=900) == "completed"
        docs = docs_of(service, job_id)
    finally:
        service.stop(wait=False)
    assert len(docs) == len(files)
    by_category: dict[str, list[DocumentOut]] = {}
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
    # The scans of typed pages are read by OCR; the pictures without words fail as such.
    scans = {d.filename: d for d in by_category["pdf-image-only"]}
    for name in ("pdf_scanned_invoice.pdf", "MEDRPT-2024-PAT-3847_medical_report_scan.pdf"):
        assert (scans[name].status, scans[name].engine) == ("completed", "ocr:tesseract"), name
        assert scans[name].ocr_pages and scans[name].ocr_confidence
    assert all(
        d.error.startswith("NoTextFound: ")
        for d in by_category["pdf-image-only"]
        if d.status == "failed"
    )
    assert any(
        d.error == "EncryptedDocument: password required" for d in by_category["pdf-encrypted"]
    )
    assert any(d.status == "completed" for d in by_category["pdf-encrypted"])  # empty password
    assert all(d.status == "failed" for d in by_category["docx-encrypted-or-not-zip"])


def test_a_hanging_extraction_is_killed_at_the_timeout(services) -> None:
    service = services(extract_fn=workers.hang, doc_timeout_s=2.0, workers=1, process_workers=1)
    try:
        good = eval_texts("email", 1)[0]
        start = time.monotonic()
        job_id = service.submit([Upload("hang.txt", b"never read"), Upload(good.name, good)])
        assert service.wait_job(job_id, timeout=60) == "completed"
        elapsed = time.monotonic() - start
        docs = docs_of(service, job_id)
    finally:
        service.stop(wait=True)
    assert docs[0].status == "failed"
    assert docs[0].error.startswith("Timeout: reading the file took longer than 2 s")
    assert docs[1].status == "completed"  # the pool replaced the killed process
    assert elapsed < 30


def test_a_memory_hog_fails_alone_under_the_cap(services) -> None:
    service = services(
        extract_fn=workers.eat_memory, doc_memory_mb=600, workers=1, process_workers=1
    )
    try:
        good = eval_texts("resume", 1)[0]
        job_id = service.submit([Upload("bomb.txt", b"x"), Upload(good.name, good)])
        assert service.wait_job(job_id, timeout=120) == "completed"
        docs = docs_of(service, job_id)
    finally:
        service.stop(wait=True)
    assert docs[0].status == "failed"
    assert docs[0].error.split(":")[0] in ("MemoryError", "WorkerCrashed")
    assert "600 MB" in docs[0].error
    assert docs[1].status == "completed"


# As pid 1 of its own pid namespace (a container): a restarted worker there has the same
# host and pid as the dead one, so only leases, not pid liveness, can tell it is dead.
AS_PID_1 = ["unshare", "--pid", "--fork", "--kill-child"]


@pytest.mark.parametrize("prefix", [[], AS_PID_1], ids=["process", "pid-1"])
def test_sigkill_mid_job_then_restart_finishes_each_document_once(
    tmp_path: Path, prefix: list[str]
) -> None:
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
        # the restarted worker requeues the killed one's documents once its lease runs out
        "DOCCLASS_HEARTBEAT_S": "0.5",
        "DOCCLASS_LEASE_S": "2",
    }
    proc = subprocess.Popen(
        [*prefix, sys.executable, "-m", "tests.job_process", "submit", str(folder)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    job_id = proc.stdout.readline().strip()
    db = Database(env["DOCCLASS_DATABASE_URL"])
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        job = jobs.get_job(db=db, job_id=job_id)
        if job.completed >= 10:
            break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)  # the runner and its extraction processes
    proc.wait()
    before = {d.id: d for d in documents.job_documents(db=db, job_id=job_id)}
    done_before = {k for k, d in before.items() if d.status == "completed"}
    in_flight = {k for k, d in before.items() if d.status == "processing"}
    assert 10 <= len(done_before) < 50, "the kill must land mid-job"

    subprocess.run(
        [*prefix, sys.executable, "-m", "tests.job_process", "resume"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=300,
    )
    after = {d.id: d for d in documents.job_documents(db=db, job_id=job_id)}
    assert jobs.get_job(db=db, job_id=job_id).status == "completed"
    assert all(d.status == "completed" for d in after.values())
    for doc_id in done_before:  # never re-run
        assert after[doc_id].attempts == 1
        assert after[doc_id].finished_at == before[doc_id].finished_at
    for doc_id, doc in after.items():
        expected = 2 if doc_id in in_flight else 1
        assert doc.attempts == expected, (doc.filename, doc.attempts, expected)
    db.dispose()


def test_four_jobs_submitted_at_once_finish_without_lock_errors(
    services, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    # Four services on one database file, as four processes would be.
    runners = [services(workers=2, process_workers=1) for _ in range(4)]
    files = [p for c in ("email", "receipt", "contract", "resume") for p in eval_texts(c, 6)]
    job_ids: list[str] = []
    errors: list[BaseException] = []

    def submit(r: Service) -> None:
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
            job = runners[0].get_job(job_id)
            assert (job.completed, job.failed) == (len(files), 0)
    finally:
        for r in runners:
            r.stop(wait=True)
    assert "database is locked" not in caplog.text


def test_cancel_stops_pending_documents(services) -> None:
    service = services(extract_fn=workers.gated, workers=1, process_workers=1)
    first, *rest = eval_texts("news_article", 12)
    try:
        job_id = service.submit(
            [Upload(f"open-{first.name}", first), *(Upload(p.name, p) for p in rest)]
        )
        while service.get_job(job_id).completed < 1:
            time.sleep(0.05)
        assert service.cancel(job_id)  # the other documents are pending or held in a reader
        (service.uploads.folder / ".go").touch()
        service.wait_idle(timeout=60)
        job = service.get_job(job_id)
    finally:
        service.stop(wait=True)
    statuses = [d.status for d in job.documents]
    assert job.status == "cancelled"
    assert "pending" not in statuses and "processing" not in statuses
    # Running reads finish (at most the worker's slots, held at the gate); the rest never ran.
    held = statuses.count("completed") - 1
    assert 0 <= held <= service.worker.capacity
    assert statuses == ["completed"] * (1 + held) + ["cancelled"] * (11 - held)
    assert job.completed == 1 + held


def test_retry_failed_reruns_only_failed_documents(service: Service) -> None:
    good, bad = eval_texts("resume", 2)
    job_id = service.submit([Upload(good.name, good), Upload(bad.name, bad)])
    assert service.wait_job(job_id, timeout=60) == "completed"
    # Simulate a lost upload: the document fails with a clear error, the job still completes.
    docs = docs_of(service, job_id)
    victim = service.uploads.path(docs[1].sha256)
    saved = victim.read_bytes()
    victim.unlink()
    assert service.retry(job_id) == 0  # nothing failed yet
    with service.db.write() as s:  # as if the document had never been read
        s.exec(
            update(Document)
            .where(col(Document.id) == docs[1].id)
            .values(status="pending", progress=0)
        )
        s.exec(update(Job).where(col(Job.id) == job_id).values(status="pending"))
    service.worker.kick()
    assert service.wait_job(job_id, timeout=60) == "completed"
    failed = service.get_document(docs[1].id)
    assert failed.status == "failed"
    assert failed.error == "FileNotFoundError: the uploaded file is missing from the uploads folder"
    victim.write_bytes(saved)
    assert service.retry(job_id) == 1
    assert service.wait_job(job_id, timeout=60) == "completed"
    after = {d.id: d for d in docs_of(service, job_id)}
    assert after[docs[1].id].status == "completed"
    assert after[docs[0].id].attempts == 1


def test_too_large_upload_fails_without_being_stored(services) -> None:
    service = services(max_file_bytes=1024)
    try:
        job_id = service.submit([Upload("big.txt", b"a" * 5000), Upload("ok.txt", b"hello there")])
        assert service.wait_job(job_id, timeout=60) == "completed"
        docs = docs_of(service, job_id)
    finally:
        service.stop(wait=True)
    assert docs[0].status == "failed"
    assert docs[0].error.startswith("FileTooLarge: ")
    assert docs[1].status == "completed"


def test_csv_export_is_excel_safe_and_opens_with_pandas(service: Service) -> None:
    text = eval_texts("receipt", 1)[0].read_bytes()
    names = ["=cmd()|calc.txt", "+sum.txt", "ünïcode—名前.txt"]
    job_id = service.submit([Upload(n, text + n.encode()) for n in names])
    assert service.wait_job(job_id, timeout=60) == "completed"
    data = service.export(job_id, "csv")
    assert data.startswith(b"\xef\xbb\xbf")
    frame = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")
    assert list(frame["filename"]) == ["'=cmd()|calc.txt", "'+sum.txt", "ünïcode—名前.txt"]
    assert list(frame.columns[:8]) == [
        "job_id", "doc_id", "filename", "status", "category", "final_category", "confidence",
        "classifier",
    ]  # fmt: skip
    assert {"top1_category", "top3_score", "email_count", "duration_ms", "sha256"} <= set(frame)
    assert (frame["status"] == "completed").all()
    assert (frame["top1_category"] == frame["final_category"]).all()
    js = service.export(job_id, "json")
    payload = json.loads(js)
    assert payload["job"]["job_id"] == job_id
    assert payload["documents"][0]["filename"] == "=cmd()|calc.txt"  # JSON keeps the raw name


def test_the_export_reads_only_what_it_writes_and_writes_what_a_whole_read_gives(
    service: Service,
) -> None:
    """The export skips the text and the detectors' hits (export.NOT_EXPORTED); any column
    it writes must still come out as reading whole documents gives it."""
    from docclass import export

    uploads = [Upload(p.name, p) for p in eval_texts("receipt", 3)]
    uploads.append(Upload("broken.pdf", b"%PDF-1.7 not really"))
    job_id = service.submit(uploads)
    assert service.wait_job(job_id, timeout=60) == "completed"
    first = docs_of(service, job_id)[0]
    service.correct(first.id, "receipt", corrected_by="ana")
    whole = list(documents.job_documents(db=service.db, job_id=job_id))
    assert any(d.status == "failed" for d in whole) and any(d.detectors for d in whole)
    assert service.export(job_id, "csv") == export.rows_to_csv(
        export.document_row(d) for d in whole
    )
    payload = json.loads(service.export(job_id, "json"))
    assert payload["documents"] == json.loads(json.dumps(export._json_rows(whole)))
    trimmed = list(documents.job_documents(db=service.db, job_id=job_id, skip=export.NOT_EXPORTED))
    assert all(d.detectors is None and d.text_preview is None for d in trimmed)


def test_a_service_replaced_in_the_same_process_leaves_nothing_stuck(services) -> None:
    """What clearing the app's cached service does: stop(wait=False), then a new one."""
    first = services(extract_fn=workers.slow, workers=2, process_workers=1)
    job_id = first.submit([Upload(p.name, p) for p in eval_texts("email", 8)])
    while not any(d.status == "processing" for d in docs_of(first, job_id)):
        time.sleep(0.02)
    first.stop(wait=False)
    deadline = time.monotonic() + 15
    while any(first.worker.token in t.name for t in threading.enumerate()):
        assert time.monotonic() < deadline, "worker threads outlived stop(wait=False)"
        time.sleep(0.1)
    second = services()
    assert second.wait_job(job_id, timeout=120) == "completed"
    assert [d.status for d in docs_of(second, job_id)] == ["completed"] * 8


def test_a_finished_job_is_classified_again_as_one_batch(service: Service) -> None:
    """Self-training over the job's own documents once the last one is saved."""
    folders = ["contract", "email", "news_article", "receipt", "resume", "scientific_paper"]
    per_folder = -(-SELF_TRAIN_MIN // len(folders))  # a job the lexicon's batch pass works on
    files = [(f.replace("_", " "), p) for f in folders for p in eval_texts(f, per_folder)]
    job_id = service.submit([Upload(p.name, p) for _, p in files])
    assert service.wait_job(job_id, timeout=120) == "completed"
    docs = docs_of(service, job_id)
    assert all(d.classifier_meta.get("stage") == "batch" for d in docs)
    # the answer given one document at a time is kept beside the batch's
    assert all(set(d.classifier_meta["single"]) == {"category", "confidence"} for d in docs)
    assert all(
        d.refined == (d.final_category != d.classifier_meta["single"]["category"]) for d in docs
    )
    assert all(
        d.earlier_category == (d.classifier_meta["single"]["category"] if d.refined else None)
        for d in docs
    )
    pairs = [(label, d.final_category) for (label, _), d in zip(files, docs, strict=True)]
    assert sum(a == b for a, b in pairs) >= 0.93 * len(files), pairs  # 96% over all 240
    assert all(d.evidence is not None and d.rationale for d in docs)
