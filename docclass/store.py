"""The job store: small keyword-only functions over SQLite (or any SQLAlchemy URL).

SQLite is shared by the app's worker threads and by other processes (the CLI worker), so
every connection gets WAL, a busy timeout, ``synchronous=NORMAL`` and foreign keys, and
every write runs in a short ``BEGIN IMMEDIATE`` transaction: writers queue on the busy
timeout instead of failing with "database is locked" when a read lock cannot be upgraded.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import case, event, func, insert, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, col, create_engine, delete, select, update

from docclass.models import (
    ACTIVE_JOB,
    UNFINISHED_DOC,
    Correction,
    DocStatus,
    Document,
    DocumentOut,
    DocumentStatusOut,
    Job,
    JobListOut,
    JobStatus,
    JobStatusOut,
    JobSummaryOut,
    utcnow,
)
from docclass.taxonomy import parse_taxonomy

BUSY_TIMEOUT_MS = 30_000


def new_id() -> str:
    return uuid.uuid4().hex


def _sqlite_engine(url: str, *, immediate: bool) -> Engine:
    engine = create_engine(
        url, connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000}
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event, not pysqlite, decide how transactions start.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


class Database:
    """One database: a read engine and a write engine over the same URL."""

    def __init__(self, url: str) -> None:
        self.url = url
        if url.startswith("sqlite"):
            path = url.split("///", 1)[-1]
            if path and path != ":memory:":
                Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
            self.read_engine = _sqlite_engine(url, immediate=False)
            self.write_engine = _sqlite_engine(url, immediate=True)
        else:
            self.read_engine = self.write_engine = create_engine(url, pool_pre_ping=True)
        SQLModel.metadata.create_all(self.write_engine)

    @contextmanager
    def read(self) -> Iterator[Session]:
        with Session(self.read_engine, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A short write transaction, committed on exit."""
        with Session(self.write_engine, expire_on_commit=False) as session:
            yield session
            session.commit()

    def dispose(self) -> None:
        self.read_engine.dispose()
        self.write_engine.dispose()


@dataclass(frozen=True)
class NewDocument:
    filename: str
    sha256: str
    size: int
    # Set when the file was refused before processing (e.g. over the size limit).
    error: str | None = None


# --- jobs ------------------------------------------------------------------------------


def create_job(
    *,
    db: Database,
    documents: Sequence[NewDocument],
    taxonomy_name: str,
    taxonomy_toml: str,
    taxonomy_base_dir: str | None = None,
    classifier: str = "local",
) -> str:
    job_id = new_id()
    now = utcnow()
    with db.write() as s:
        s.add(
            Job(
                id=job_id,
                status=JobStatus.pending,
                taxonomy_name=taxonomy_name,
                taxonomy_toml=taxonomy_toml,
                taxonomy_base_dir=taxonomy_base_dir,
                classifier=classifier,
                total_files=len(documents),
                created_at=now,
                updated_at=now,
            )
        )
        s.flush()
        if documents:
            # Core bulk insert: one statement for thousands of rows instead of ORM objects.
            s.execute(
                insert(Document),
                [
                    {
                        "id": new_id(),
                        "job_id": job_id,
                        "position": i,
                        "filename": d.filename,
                        "sha256": d.sha256,
                        "size": d.size,
                        "status": DocStatus.failed if d.error else DocStatus.pending,
                        "progress": 100 if d.error else 0,
                        "error": d.error,
                        "created_at": now,
                        "updated_at": now,
                        "finished_at": now if d.error else None,
                    }
                    for i, d in enumerate(documents)
                ],
            )
    finish_job_if_done(db=db, job_id=job_id)
    return job_id


def _counts(s: Session, job_ids: Sequence[str]) -> dict[str, tuple[int, int, float]]:
    """(completed, failed, average progress) per job, computed in SQL."""
    if not job_ids:
        return {}
    rows = s.exec(
        select(
            Document.job_id,
            func.sum(case((col(Document.status) == DocStatus.completed, 1), else_=0)),
            func.sum(case((col(Document.status) == DocStatus.failed, 1), else_=0)),
            func.avg(Document.progress),
        )
        .where(col(Document.job_id).in_(job_ids))
        .group_by(Document.job_id)
    ).all()
    return {r[0]: (int(r[1] or 0), int(r[2] or 0), float(r[3] or 0.0)) for r in rows}


def get_job(*, db: Database, job_id: str, include_documents: bool = True) -> JobStatusOut | None:
    with db.read() as s:
        job = s.get(Job, job_id)
        if job is None:
            return None
        completed, failed, progress = _counts(s, [job_id]).get(job_id, (0, 0, 0.0))
        documents: list[DocumentStatusOut] = []
        if include_documents:
            rows = s.exec(
                select(
                    Document.id,
                    Document.filename,
                    Document.status,
                    Document.progress,
                    Document.error,
                )
                .where(Document.job_id == job_id)
                .order_by(col(Document.position))
            ).all()
            # Rows come straight from our own table: skip re-validating thousands of them.
            documents = [
                DocumentStatusOut.model_construct(
                    doc_id=r[0], filename=r[1], status=r[2], progress=r[3], error=r[4]
                )
                for r in rows
            ]
        if job.status == JobStatus.completed:
            progress = 100.0
        return JobStatusOut(
            job_id=job.id,
            status=job.status,
            total_files=job.total_files,
            completed=completed,
            failed=failed,
            progress=round(progress, 1),
            created_at=job.created_at,
            updated_at=job.updated_at,
            documents=documents,
            error=job.error,
        )


def get_job_row(*, db: Database, job_id: str) -> Job | None:
    with db.read() as s:
        return s.get(Job, job_id)


def list_jobs(
    *, db: Database, statuses: Sequence[str] | None = None, limit: int = 200, offset: int = 0
) -> JobListOut:
    with db.read() as s:
        query = select(Job)
        count_query = select(func.count()).select_from(Job)
        if statuses:
            query = query.where(col(Job.status).in_(statuses))
            count_query = count_query.where(col(Job.status).in_(statuses))
        total = s.exec(count_query).one()
        jobs = s.exec(
            query.order_by(col(Job.created_at).desc(), col(Job.id)).offset(offset).limit(limit)
        ).all()
        counts = _counts(s, [j.id for j in jobs])
        return JobListOut(
            total=total,
            jobs=[
                JobSummaryOut(
                    job_id=j.id,
                    status=j.status,
                    total_files=j.total_files,
                    completed=counts.get(j.id, (0, 0, 0.0))[0],
                    failed=counts.get(j.id, (0, 0, 0.0))[1],
                    created_at=j.created_at,
                    updated_at=j.updated_at,
                )
                for j in jobs
            ],
        )


def job_progress(*, db: Database, job_ids: Sequence[str]) -> dict[str, float]:
    with db.read() as s:
        return {k: v[2] for k, v in _counts(s, job_ids).items()}


def count_jobs(*, db: Database, statuses: Sequence[str]) -> int:
    with db.read() as s:
        return s.exec(
            select(func.count()).select_from(Job).where(col(Job.status).in_(statuses))
        ).one()


def update_job_status(
    *,
    db: Database,
    job_id: str,
    status: str,
    error: str | None = None,
    only_from: Sequence[str] | None = None,
) -> bool:
    """Set a job's status; with ``only_from`` the change happens only from those states."""
    now = utcnow()
    values: dict[str, Any] = {"status": status, "updated_at": now}
    if error is not None:
        values["error"] = error
    if status in (JobStatus.completed, JobStatus.failed, JobStatus.cancelled):
        values["finished_at"] = now
    stmt = update(Job).where(col(Job.id) == job_id).values(**values)
    if only_from:
        stmt = stmt.where(col(Job.status).in_(only_from))
    with db.write() as s:
        return s.exec(stmt).rowcount > 0  # type: ignore[attr-defined]


def finish_job_if_done(*, db: Database, job_id: str) -> bool:
    """Mark an active job completed once none of its documents is pending or processing."""
    unfinished = (
        select(Document.id)
        .where(Document.job_id == job_id, col(Document.status).in_(UNFINISHED_DOC))
        .exists()
    )
    now = utcnow()
    stmt = (
        update(Job)
        .where(col(Job.id) == job_id, col(Job.status).in_(ACTIVE_JOB), ~unfinished)
        .values(status=JobStatus.completed, updated_at=now, finished_at=now)
    )
    with db.write() as s:
        return s.exec(stmt).rowcount > 0  # type: ignore[attr-defined]


def cancel_job(*, db: Database, job_id: str) -> bool:
    """Pending documents become cancelled and the job ends cancelled; running ones finish."""
    now = utcnow()
    with db.write() as s:
        changed = s.exec(
            update(Job)
            .where(col(Job.id) == job_id, col(Job.status).in_(ACTIVE_JOB))
            .values(status=JobStatus.cancelled, updated_at=now, finished_at=now)
        ).rowcount  # type: ignore[attr-defined]
        s.exec(
            update(Document)
            .where(col(Document.job_id) == job_id, col(Document.status) == DocStatus.pending)
            .values(status=DocStatus.cancelled, updated_at=now, finished_at=now)
        )
    return changed > 0


def retry_failed(*, db: Database, job_id: str) -> int:
    """Put failed (and cancelled) documents back in the queue; returns how many."""
    now = utcnow()
    with db.write() as s:
        job = s.get(Job, job_id)
        if job is None:
            return 0
        n = s.exec(
            update(Document)
            .where(
                col(Document.job_id) == job_id,
                col(Document.status).in_((DocStatus.failed, DocStatus.cancelled)),
            )
            .values(
                status=DocStatus.pending,
                progress=0,
                error=None,
                owner=None,
                updated_at=now,
                started_at=None,
                finished_at=None,
            )
        ).rowcount  # type: ignore[attr-defined]
        if n:
            job.status = JobStatus.pending
            job.error = None
            job.updated_at = now
            job.finished_at = None
            s.add(job)
    return n


def delete_job(*, db: Database, job_id: str) -> list[str]:
    """Delete a job and its documents; returns the sha256 of uploads no other job uses."""
    with db.write() as s:
        hashes = set(s.exec(select(Document.sha256).where(Document.job_id == job_id)).all())
        s.exec(delete(Document).where(col(Document.job_id) == job_id))
        s.exec(delete(Job).where(col(Job.id) == job_id))
        still_used = set(
            s.exec(select(Document.sha256).where(col(Document.sha256).in_(hashes))).all()
        )
    return sorted(hashes - still_used)


# --- documents -------------------------------------------------------------------------


@dataclass(frozen=True)
class Claimed:
    doc_id: str
    job_id: str
    filename: str
    sha256: str


def claim_next_document(*, db: Database, owner: str) -> Claimed | None:
    """Atomically take the oldest pending document of an active job (the queue is the DB)."""
    now = utcnow()
    with db.write() as s:
        row = s.exec(
            select(Document.id, Document.job_id, Document.filename, Document.sha256)
            .join(Job, col(Job.id) == col(Document.job_id))
            .where(col(Document.status) == DocStatus.pending, col(Job.status).in_(ACTIVE_JOB))
            .order_by(col(Job.created_at), col(Document.job_id), col(Document.position))
            .limit(1)
        ).first()
        if row is None:
            return None
        s.exec(
            update(Document)
            .where(col(Document.id) == row[0])
            .values(
                status=DocStatus.processing,
                progress=10,
                owner=owner,
                attempts=Document.attempts + 1,
                started_at=now,
                updated_at=now,
            )
        )
        s.exec(
            update(Job)
            .where(col(Job.id) == row[1], col(Job.status) == JobStatus.pending)
            .values(status=JobStatus.processing, updated_at=now)
        )
    return Claimed(doc_id=row[0], job_id=row[1], filename=row[2], sha256=row[3])


def update_document_in_job(
    *, db: Database, job_id: str, doc_id: str, owner: str | None = None, **values: Any
) -> bool:
    """Write a document's progress or results while it is still being processed.

    Returns False when the document is no longer ours (cancelled, deleted, re-queued), so
    the worker can stop instead of overwriting someone else's state.
    """
    values["updated_at"] = utcnow()
    if values.get("status") in (DocStatus.completed, DocStatus.failed):
        values.setdefault("finished_at", values["updated_at"])
    stmt = (
        update(Document)
        .where(
            col(Document.id) == doc_id,
            col(Document.job_id) == job_id,
            col(Document.status) == DocStatus.processing,
        )
        .values(**values)
    )
    if owner is not None:
        stmt = stmt.where(col(Document.owner) == owner)
    with db.write() as s:
        changed = s.exec(stmt).rowcount  # type: ignore[attr-defined]
        if changed:
            s.exec(update(Job).where(col(Job.id) == job_id).values(updated_at=values["updated_at"]))
    return changed > 0


def get_document(*, db: Database, doc_id: str) -> DocumentOut | None:
    with db.read() as s:
        doc = s.get(Document, doc_id)
        return None if doc is None else DocumentOut.from_row(doc)


def job_documents(*, db: Database, job_id: str) -> list[Document]:
    """Every document row of a job, in upload order (export and the status table)."""
    with db.read() as s:
        return list(
            s.exec(
                select(Document).where(Document.job_id == job_id).order_by(col(Document.position))
            ).all()
        )


def requeue_orphans(*, db: Database, is_dead: Callable[[str, datetime], bool]) -> int:
    """Return to pending the documents whose owner died; ``is_dead(owner, updated_at)``."""
    with db.read() as s:
        rows = s.exec(
            select(Document.id, Document.owner, Document.updated_at)
            .join(Job, col(Job.id) == col(Document.job_id))
            .where(col(Document.status) == DocStatus.processing)
        ).all()
    orphans = [r[0] for r in rows if r[1] is None or is_dead(r[1], r[2])]
    if not orphans:
        return 0
    now = utcnow()
    with db.write() as s:
        return s.exec(
            update(Document)
            .where(col(Document.id).in_(orphans), col(Document.status) == DocStatus.processing)
            .values(status=DocStatus.pending, progress=0, owner=None, updated_at=now)
        ).rowcount  # type: ignore[attr-defined]


def unfinished_job_ids(*, db: Database) -> list[str]:
    with db.read() as s:
        return list(s.exec(select(Job.id).where(col(Job.status).in_(ACTIVE_JOB))).all())


def has_pending(*, db: Database) -> bool:
    with db.read() as s:
        return (
            s.exec(
                select(text("1"))
                .select_from(Document)
                .join(Job, col(Job.id) == col(Document.job_id))
                .where(col(Document.status).in_(UNFINISHED_DOC), col(Job.status).in_(ACTIVE_JOB))
                .limit(1)
            ).first()
            is not None
        )


# --- corrections -----------------------------------------------------------------------


def correct_document(
    *, db: Database, doc_id: str, category: str, corrected_by: str | None = None
) -> Correction:
    """Record an analyst's category for a document (the prediction stays alongside)."""
    with db.write() as s:
        doc = s.get(Document, doc_id)
        if doc is None:
            raise KeyError(f"no document {doc_id}")
        job = s.get(Job, doc.job_id)
        names = parse_taxonomy(job.taxonomy_toml, name=job.taxonomy_name).names if job else []
        if category not in names:
            raise ValueError(
                f"{category!r} is not a category of taxonomy {job.taxonomy_name if job else '?'}"
                f"; choose one of: {', '.join(names)}"
            )
        correction = Correction(
            doc_id=doc_id,
            taxonomy_name=job.taxonomy_name if job else "",
            predicted_category=doc.final_category,
            category=category,
            corrected_by=corrected_by,
        )
        s.add(correction)
        doc.corrected_category = category
        doc.updated_at = utcnow()
        s.add(doc)
    return correction


def correction_examples(*, db: Database, taxonomy_name: str) -> list[tuple[str, str]]:
    """(text, category) of the latest correction of each document under one taxonomy."""
    with db.read() as s:
        rows = s.exec(
            select(Document.text_preview, Document.corrected_category)
            .join(Job, col(Job.id) == col(Document.job_id))
            .where(
                Job.taxonomy_name == taxonomy_name,
                col(Document.corrected_category).is_not(None),
                col(Document.text_preview).is_not(None),
            )
        ).all()
    return [(text, category) for text, category in rows if text and category]


def corrections_version(*, db: Database, taxonomy_name: str) -> int:
    """Changes whenever a correction is added under the taxonomy (cheap cache key)."""
    with db.read() as s:
        latest = s.exec(
            select(func.max(Correction.id)).where(Correction.taxonomy_name == taxonomy_name)
        ).one()
    return int(latest or 0)


def release_documents(*, db: Database, owner: str) -> int:
    """Put a stopping runner's in-flight documents back to pending."""
    with db.write() as s:
        return s.exec(
            update(Document)
            .where(col(Document.owner) == owner, col(Document.status) == DocStatus.processing)
            .values(status=DocStatus.pending, progress=0, owner=None, updated_at=utcnow())
        ).rowcount  # type: ignore[attr-defined]


def job_status(*, db: Database, job_id: str) -> str | None:
    with db.read() as s:
        return s.exec(select(Job.status).where(Job.id == job_id)).first()


STATUS_TABLE_COLUMNS = (
    Document.id,
    Document.filename,
    Document.status,
    Document.progress,
    Document.final_category,
    Document.confidence,
    Document.needs_review,
    Document.error,
)


def job_table_rows(*, db: Database, job_id: str) -> tuple[Job, list[tuple[Any, ...]]] | None:
    """The job row and its documents' status columns (no JSON, no text) in one read.

    What a live status view polls every second; one transaction so counts and rows agree.
    """
    with db.read() as s:
        job = s.get(Job, job_id)
        if job is None:
            return None
        rows = s.exec(
            select(*STATUS_TABLE_COLUMNS)
            .where(Document.job_id == job_id)
            .order_by(col(Document.position))
        ).all()
    return job, [tuple(r) for r in rows]


def job_statuses(*, db: Database, job_ids: Sequence[str]) -> dict[str, str]:
    if not job_ids:
        return {}
    with db.read() as s:
        rows = s.exec(select(Job.id, Job.status).where(col(Job.id).in_(job_ids))).all()
    return {r[0]: r[1] for r in rows}


def has_unfinished(*, db: Database, job_id: str) -> bool:
    with db.read() as s:
        return (
            s.exec(
                select(Document.id)
                .where(Document.job_id == job_id, col(Document.status).in_(UNFINISHED_DOC))
                .limit(1)
            ).first()
            is not None
        )


def completed_by(*, db: Database, job_id: str, classifier: str, limit: int) -> list[Document]:
    """Completed documents of a job that one classifier decided, in upload order."""
    with db.read() as s:
        return list(
            s.exec(
                select(Document)
                .where(
                    Document.job_id == job_id,
                    Document.status == DocStatus.completed,
                    Document.classifier == classifier,
                )
                .order_by(col(Document.position))
                .limit(limit)
            ).all()
        )


def set_classification(*, db: Database, doc_id: str, **values: Any) -> None:
    """Replace a completed document's classification (the job-level batch pass)."""
    values["updated_at"] = utcnow()
    with db.write() as s:
        s.exec(
            update(Document)
            .where(col(Document.id) == doc_id, col(Document.status) == DocStatus.completed)
            .values(**values)
        )
