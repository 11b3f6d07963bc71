import threading
from pathlib import Path

import pytest

from docclass import store
from docclass.models import DocStatus, JobStatus


@pytest.fixture
def db(tmp_path: Path) -> store.Database:
    database = store.Database(f"sqlite:///{tmp_path / 'jobs.db'}")
    yield database
    database.dispose()


def _job(db: store.Database, n: int = 3, **kw: object) -> str:
    docs = [store.NewDocument(filename=f"f{i}.txt", sha256=f"{i:064x}", size=10) for i in range(n)]
    return store.create_job(db=db, documents=docs, taxonomy_name="default", taxonomy_toml="", **kw)


def test_sqlite_connections_use_wal_and_busy_timeout(db: store.Database) -> None:
    with db.write_engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == store.BUSY_TIMEOUT_MS
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL


def test_get_job_and_list_jobs_shapes(db: store.Database) -> None:
    job_id = _job(db, 2)
    job = store.get_job(db=db, job_id=job_id)
    assert job is not None
    assert set(job.model_dump()) == {
        "job_id", "status", "total_files", "completed", "failed", "progress", "created_at",
        "updated_at", "documents", "error",
    }  # fmt: skip
    assert set(job.documents[0].model_dump()) == {
        "doc_id",
        "filename",
        "status",
        "progress",
        "error",
    }
    assert (job.status, job.total_files, job.completed, job.failed) == ("pending", 2, 0, 0)
    listing = store.list_jobs(db=db)
    assert listing.total == 1
    assert set(listing.jobs[0].model_dump()) == {
        "job_id", "status", "total_files", "completed", "failed", "created_at", "updated_at",
    }  # fmt: skip
    assert store.get_job(db=db, job_id="missing") is None


def test_claim_progress_and_completion_are_aggregated_in_sql(db: store.Database) -> None:
    job_id = _job(db, 2)
    first = store.claim_next_document(db=db, owner="me")
    second = store.claim_next_document(db=db, owner="me")
    assert first and second and first.doc_id != second.doc_id
    assert store.claim_next_document(db=db, owner="me") is None
    assert store.get_job(db=db, job_id=job_id).status == JobStatus.processing
    store.update_document_in_job(db=db, job_id=job_id, doc_id=first.doc_id, progress=60)
    assert store.get_job(db=db, job_id=job_id).progress == 35.0  # (60 + 10) / 2
    store.update_document_in_job(
        db=db, job_id=job_id, doc_id=first.doc_id, progress=100, status=DocStatus.completed
    )
    store.update_document_in_job(
        db=db,
        job_id=job_id,
        doc_id=second.doc_id,
        progress=100,
        status=DocStatus.failed,
        error="NoTextLayer: no extractable text (scanned image?)",
    )
    assert store.finish_job_if_done(db=db, job_id=job_id)
    job = store.get_job(db=db, job_id=job_id)
    assert (job.status, job.completed, job.failed, job.progress) == ("completed", 1, 1, 100.0)


def test_updates_from_a_stale_owner_are_refused(db: store.Database) -> None:
    job_id = _job(db, 1)
    doc = store.claim_next_document(db=db, owner="a")
    assert not store.update_document_in_job(
        db=db, job_id=job_id, doc_id=doc.doc_id, owner="b", progress=30
    )
    assert store.get_document(db=db, doc_id=doc.doc_id).progress == 10


def test_cancel_then_retry(db: store.Database) -> None:
    job_id = _job(db, 3)
    running = store.claim_next_document(db=db, owner="me")
    assert store.cancel_job(db=db, job_id=job_id)
    job = store.get_job(db=db, job_id=job_id)
    assert job.status == "cancelled"
    assert sorted(d.status for d in job.documents) == ["cancelled", "cancelled", "processing"]
    assert store.claim_next_document(db=db, owner="me") is None  # cancelled jobs are not served
    # the running document may still finish; the job stays cancelled
    store.update_document_in_job(
        db=db, job_id=job_id, doc_id=running.doc_id, progress=100, status="completed"
    )
    assert not store.finish_job_if_done(db=db, job_id=job_id)
    assert store.retry_failed(db=db, job_id=job_id) == 2
    job = store.get_job(db=db, job_id=job_id)
    assert job.status == "pending"
    assert sorted(d.status for d in job.documents) == ["completed", "pending", "pending"]


def test_refused_upload_is_failed_at_creation_and_job_completes(db: store.Database) -> None:
    docs = [store.NewDocument(filename="big.pdf", sha256="", size=10**9, error="FileTooLarge: x")]
    job_id = store.create_job(db=db, documents=docs, taxonomy_name="d", taxonomy_toml="")
    job = store.get_job(db=db, job_id=job_id)
    assert (job.status, job.failed) == ("completed", 1)


def test_delete_job_keeps_uploads_shared_with_other_jobs(db: store.Database) -> None:
    a, b = _job(db, 2), _job(db, 1)
    orphaned = store.delete_job(db=db, job_id=a)
    assert orphaned == [f"{1:064x}"]  # f0 is also in job b
    assert store.get_job(db=db, job_id=a) is None
    assert store.get_job(db=db, job_id=b) is not None


def test_concurrent_claims_never_hand_out_a_document_twice(db: store.Database) -> None:
    _job(db, 60)
    claimed: list[str] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            while (doc := store.claim_next_document(db=db, owner="t")) is not None:
                claimed.append(doc.doc_id)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(claimed) == 60 == len(set(claimed))
