"""Jobs in the store: shapes, counts and the progress rule, cancel, retry, delete."""

from __future__ import annotations

from datetime import UTC

import pytest

from docclass.schemas import DocumentResult, utcnow
from docclass.store import db as dbmod
from docclass.store import documents, jobs, queue
from docclass.store.db import Database
from docclass.store.jobs import NewDocument


def make_job(db: Database, n: int = 3, **kw: object) -> str:
    docs = [NewDocument(filename=f"f{i}.txt", sha256=f"{i:064x}", size=10) for i in range(n)]
    return jobs.create_job(db=db, documents=docs, taxonomy_name="default", taxonomy_toml="", **kw)


def save(db: Database, owner: str, claimed: queue.Claimed, error: str | None = None) -> list[str]:
    outcome = queue.Outcome(claimed.doc_id, claimed.job_id, DocumentResult(error=error))
    return queue.save_outcomes(db=db, owner=owner, outcomes=[outcome])[1]


@pytest.mark.parametrize("backend", ["sqlite"])
def test_sqlite_connections_use_wal_and_busy_timeout(db: Database) -> None:
    with db.write_engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == dbmod.BUSY_TIMEOUT_MS
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL


@pytest.mark.parametrize("backend", ["postgresql"])
def test_postgresql_sessions_run_in_utc(db: Database) -> None:
    """Timestamps are stored without a zone: every machine's session must mean UTC."""
    with db.write_engine.connect() as conn:
        assert conn.exec_driver_sql("SHOW TIME ZONE").scalar() == "UTC"
    make_job(db, 1)  # the test server's own zone is not UTC (tests/pg.py)
    before = utcnow()
    (claimed,) = queue.claim_documents(db=db, owner="me", limit=1)
    started = documents.get_document(db=db, doc_id=claimed.doc_id).started_at
    assert abs((started.replace(tzinfo=UTC) - before).total_seconds()) < 60


def test_get_job_and_list_jobs_shapes(db: Database) -> None:
    job_id = make_job(db, 2)
    job = jobs.get_job(db=db, job_id=job_id)
    assert job is not None
    assert set(job.model_dump()) == {
        "job_id", "name", "status", "taxonomy_name", "classifier", "total_files", "pending",
        "processing", "completed", "failed", "cancelled", "progress", "created_at",
        "updated_at", "finished_at", "documents", "error",
    }  # fmt: skip
    assert set(job.model_dump()["documents"][0]) == {
        "id", "filename", "status", "progress", "final_category", "corrected_category",
        "confidence", "needs_review", "error", "reviewed", "refined", "earlier_category",
    }  # fmt: skip
    assert (job.status, job.total_files, job.completed, job.failed) == ("pending", 2, 0, 0)
    listing = jobs.list_jobs(db=db)
    assert listing.total == 1
    assert listing.jobs[0].job_id == job_id and listing.jobs[0].documents == []
    assert jobs.get_job(db=db, job_id="missing") is None


def test_progress_is_the_mean_over_documents_that_will_be_read(db: Database) -> None:
    job_id = make_job(db, 3)
    first, second, _third = queue.claim_documents(db=db, owner="me", limit=3)
    assert queue.write_progress(db=db, doc_id=first.doc_id, owner="me", progress=60)
    assert jobs.get_job(db=db, job_id=job_id).progress == round((60 + 10 + 10) / 3, 1)
    save(db, "me", first)
    save(db, "me", second, error="NoTextLayer: no extractable text (scanned image?)")
    job = jobs.get_job(db=db, job_id=job_id)
    assert (job.status, job.completed, job.failed, job.processing) == ("processing", 1, 1, 1)
    assert job.progress == 70.0  # (100 + 100 + 10) / 3


def test_cancelled_documents_are_neither_done_nor_counted_in_progress(db: Database) -> None:
    job_id = make_job(db, 4)
    (running,) = queue.claim_documents(db=db, owner="me", limit=1)
    assert jobs.cancel_job(db=db, job_id=job_id)
    save(db, "me", running)  # a document being read when the job was cancelled still finishes
    job = jobs.get_job(db=db, job_id=job_id)
    assert (job.status, job.done, job.cancelled, job.unfinished) == ("cancelled", 1, 3, 0)
    assert job.progress == 100.0


def test_a_jobs_counts_are_the_same_from_its_rows_and_from_sql(db: Database) -> None:
    """A job's view counts its rows already read; lists ask SQL: the two give one answer."""

    def counts(job_id: str) -> list[tuple]:
        with_rows = jobs.get_job(db=db, job_id=job_id)
        alone = jobs.get_job(db=db, job_id=job_id, include_documents=False)
        (listed,) = [j for j in jobs.list_jobs(db=db).jobs if j.job_id == job_id]
        return [
            (j.pending, j.processing, j.completed, j.failed, j.cancelled, j.progress)
            for j in (with_rows, alone, listed)
        ]

    job_id = make_job(db, 5)
    first, second, third = queue.claim_documents(db=db, owner="me", limit=3)
    assert queue.write_progress(db=db, doc_id=first.doc_id, owner="me", progress=37)
    save(db, "me", second)
    save(db, "me", third, error="NoTextLayer: no extractable text (scanned image?)")
    seen = counts(job_id)
    assert seen[0] == (2, 1, 1, 1, 0, round((37 + 100 + 100) / 5, 1))
    assert seen[1] == seen[0] and seen[2] == seen[0]
    assert jobs.cancel_job(db=db, job_id=job_id)
    seen = counts(job_id)
    assert seen[0] == (0, 1, 1, 1, 2, round((37 + 100 + 100) / 3, 1))
    assert seen[1] == seen[0] and seen[2] == seen[0]
    everything_cancelled = make_job(db, 2)
    assert jobs.cancel_job(db=db, job_id=everything_cancelled)
    assert counts(everything_cancelled) == [(0, 0, 0, 0, 2, 0.0)] * 3


def test_cancel_then_retry(db: Database) -> None:
    job_id = make_job(db, 3)
    (running,) = queue.claim_documents(db=db, owner="me", limit=1)
    assert jobs.cancel_job(db=db, job_id=job_id)
    job = jobs.get_job(db=db, job_id=job_id)
    assert job.status == "cancelled"
    assert sorted(d.status for d in job.documents) == ["cancelled", "cancelled", "processing"]
    assert queue.claim_documents(db=db, owner="me", limit=5) == []  # cancelled: not served
    # the running document may still finish; the job stays cancelled (not finishing)
    assert save(db, "me", running) == []
    assert jobs.get_job(db=db, job_id=job_id).status == "cancelled"
    assert jobs.retry_failed(db=db, job_id=job_id) == 0, "nothing failed: a retry is no resume"
    assert jobs.resume_cancelled(db=db, job_id=job_id) == 2
    job = jobs.get_job(db=db, job_id=job_id)
    assert job.status == "pending"
    assert sorted(d.status for d in job.documents) == ["completed", "pending", "pending"]


def test_refused_uploads_are_failed_at_creation(db: Database) -> None:
    docs = [NewDocument(filename="big.pdf", sha256="", size=10**9, error="FileTooLarge: x")]
    job_id = jobs.create_job(db=db, documents=docs, taxonomy_name="d", taxonomy_toml="")
    job = jobs.get_job(db=db, job_id=job_id)
    assert (job.status, job.failed, job.unfinished) == ("pending", 1, 0)
    assert queue.finishable_jobs(db=db) == [job_id]  # the first worker to look finishes it
    assert queue.begin_finishing(db=db, job_id=job_id, owner="w")
    assert queue.complete_job(db=db, job_id=job_id, owner="w")
    assert jobs.get_job(db=db, job_id=job_id).status == "completed"


def test_delete_job_keeps_uploads_shared_with_other_jobs(db: Database) -> None:
    a, b = make_job(db, 2), make_job(db, 1)
    orphaned = jobs.delete_job(db=db, job_id=a)
    assert orphaned == [f"{1:064x}"]  # f0 is also in job b
    assert jobs.get_job(db=db, job_id=a) is None
    assert jobs.get_job(db=db, job_id=b) is not None
