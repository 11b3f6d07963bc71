"""Jobs: create, read, list, cancel, retry, delete (small keyword-only functions)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import insert, text
from sqlmodel import col, delete, func, select, update

from docclass.schemas import (
    CLAIMABLE_JOB,
    DocStatus,
    DocumentRow,
    JobCounts,
    JobListOut,
    JobOut,
    JobStatus,
    utcnow,
)
from docclass.store.db import Database, new_id
from docclass.store.status import job_counts
from docclass.store.tables import Document, Job


@dataclass(frozen=True)
class NewDocument:
    filename: str
    sha256: str
    size: int
    # Set when the file was refused before processing (e.g. over the size limit).
    error: str | None = None


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
    return job_id


def _out(job: Job, counts: JobCounts, documents: list[DocumentRow] | None = None) -> JobOut:
    facts = job.model_dump(include=set(JobOut.model_fields))
    return JobOut(**facts, **counts.model_dump(), job_id=job.id, documents=documents or [])


ROW_COLUMNS = tuple(DocumentRow.model_fields)
# Plain SQL: the status table of a big job is read every second while it runs.
_ROWS = text(f"SELECT {', '.join(ROW_COLUMNS)} FROM document WHERE job_id = :job ORDER BY position")


def get_job(*, db: Database, job_id: str, include_documents: bool = True) -> JobOut | None:
    """The job, its counts and (optionally) one row per document, in one read transaction."""
    with db.read() as s:
        job = s.get(Job, job_id)
        if job is None:
            return None
        counts = job_counts(s, [job_id]).get(job_id, JobCounts())
        rows: list[DocumentRow] = []
        if include_documents:
            found = s.exec(
                select(*(getattr(Document, c) for c in ROW_COLUMNS))
                .where(Document.job_id == job_id)
                .order_by(col(Document.position))
            ).all()
            # Rows come straight from our own table: skip re-validating thousands of them.
            rows = [
                DocumentRow.model_construct(**dict(zip(ROW_COLUMNS, r, strict=True))) for r in found
            ]
        return _out(job, counts, rows)


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
        counts = job_counts(s, [j.id for j in jobs])
        return JobListOut(total=total, jobs=[_out(j, counts.get(j.id, JobCounts())) for j in jobs])


def count_jobs(*, db: Database, statuses: Sequence[str]) -> int:
    with db.read() as s:
        return s.exec(
            select(func.count()).select_from(Job).where(col(Job.status).in_(statuses))
        ).one()


def job_statuses(*, db: Database, job_ids: Sequence[str]) -> dict[str, str]:
    if not job_ids:
        return {}
    with db.read() as s:
        rows = s.exec(select(Job.id, Job.status).where(col(Job.id).in_(job_ids))).all()
    return {r[0]: r[1] for r in rows}


def cancel_job(*, db: Database, job_id: str) -> bool:
    """Pending documents become cancelled and the job ends cancelled; running ones finish.

    Documents first, then the job: the order a claim locks rows in, so that on PostgreSQL a
    cancel and a claim of the same job never wait for each other's locks.
    """
    now = utcnow()
    with db.write() as s:
        s.exec(
            update(Document)
            .where(col(Document.job_id) == job_id, col(Document.status) == DocStatus.pending)
            .values(status=DocStatus.cancelled, updated_at=now, finished_at=now)
        )
        changed = s.exec(
            update(Job)
            .where(col(Job.id) == job_id, col(Job.status).in_(CLAIMABLE_JOB))
            .values(status=JobStatus.cancelled, updated_at=now, finished_at=now)
        ).rowcount  # type: ignore[attr-defined]
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
            s.exec(
                update(Job)
                .where(col(Job.id) == job_id)
                .values(status=JobStatus.pending, error=None, updated_at=now, finished_at=None)
            )
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


def unreferenced(*, db: Database, hashes: Sequence[str]) -> list[str]:
    """The hashes no document refers to (uploads a failed submit may remove)."""
    with db.read() as s:
        used = set(s.exec(select(Document.sha256).where(col(Document.sha256).in_(hashes))).all())
    return sorted(set(hashes) - used)
