"""Jobs: create, read, list, cancel, retry, resume, delete (small keyword-only functions)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, or_
from sqlmodel import col, delete, func, select, update

from docclass.schemas import (
    CLAIMABLE_JOB,
    ROW_FIELDS,
    ROW_FLAGS,
    DocStatus,
    DocumentRow,
    JobCounts,
    JobListOut,
    JobOut,
    JobStatus,
    utcnow,
)
from docclass.store.db import Database, new_id, plain_rows
from docclass.store.status import counted, job_counts
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
    name: str | None = None,
) -> str:
    job_id = new_id()
    now = utcnow()
    with db.write() as s:
        s.add(
            Job(
                id=job_id,
                name=name,
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
    out = JobOut(**facts, **counts.model_dump(), job_id=job.id)
    out.documents = documents or []  # our own rows: not validated again, one by one
    return out


def row_columns() -> list[Any]:
    """The columns of :class:`DocumentRow`, in its field order: all in the covering index
    ``ix_document_rows``, so a poll of 10,000 documents never reads their text or JSON."""
    computed = {"reviewed": col(Document.reviewed_at).is_not(None)}
    return [computed[c].label(c) if c in computed else getattr(Document, c) for c in ROW_FIELDS]


_FLAGS = [ROW_FIELDS.index(f) for f in ROW_FLAGS]


def document_row(values: Sequence[Any]) -> DocumentRow:
    """A row from the driver: SQLite's 0/1 flags become booleans."""
    values = list(values)
    for i in _FLAGS:
        values[i] = bool(values[i])
    return DocumentRow(*values)


def get_job(*, db: Database, job_id: str, include_documents: bool = True) -> JobOut | None:
    """The job, its counts and (optionally) one row per document, in one read transaction."""
    with db.read() as s:
        job = s.get(Job, job_id)
        if job is None:
            return None
        if not include_documents:
            return _out(job, job_counts(s, [job_id]).get(job_id, JobCounts()))
        # The driver's tuples, not ORM (or even typed Core) rows: a 10,000-document status
        # view reads in a third of the time. Its counts come from these rows, not from a
        # second query over the same documents.
        found = plain_rows(
            s,
            select(*row_columns())
            .where(Document.job_id == job_id)
            .order_by(col(Document.position)),
        )
        rows = [document_row(r) for r in found]
        return _out(job, counted((r.status, r.progress) for r in rows), rows)


def get_job_row(*, db: Database, job_id: str) -> Job | None:
    with db.read() as s:
        return s.get(Job, job_id)


# What the jobs list can be sorted by (columns of the job row itself).
JOB_SORTS = (
    "created_at",
    "updated_at",
    "name",
    "status",
    "taxonomy_name",
    "classifier",
    "total_files",
)


def list_jobs(
    *,
    db: Database,
    statuses: Sequence[str] | None = None,
    limit: int = 200,
    offset: int = 0,
    sort: str = "created_at",
    descending: bool = True,
) -> JobListOut:
    if sort not in JOB_SORTS:
        raise ValueError(f"cannot sort jobs by {sort!r}; choose one of: {', '.join(JOB_SORTS)}")
    with db.read() as s:
        query = select(Job)
        count_query = select(func.count()).select_from(Job)
        if statuses:
            query = query.where(col(Job.status).in_(statuses))
            count_query = count_query.where(col(Job.status).in_(statuses))
        total = s.exec(count_query).one()
        key = col(getattr(Job, sort))
        order = [key.desc() if descending else key.asc()]
        if sort != "created_at":
            order.append(col(Job.created_at).desc())
        jobs = s.exec(query.order_by(*order, col(Job.id)).offset(offset).limit(limit)).all()
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


def job_version(*, db: Database, job_id: str) -> tuple[str, datetime] | None:
    """The job's status and last change: every change of the job or its documents' answers
    (saves, cancel, retry, corrections, reviews) moves ``updated_at``. A view that is not
    polling the whole table compares this one small row instead."""
    with db.read() as s:
        row = s.exec(select(Job.status, Job.updated_at).where(col(Job.id) == job_id)).first()
    return None if row is None else (row[0], row[1])


def jobs_version(*, db: Database) -> tuple[int, datetime | None]:
    """How many jobs there are and the latest change of any: the jobs list's cheap check."""
    with db.read() as s:
        count, latest = s.exec(select(func.count(), func.max(Job.updated_at))).one()
    return int(count or 0), latest


def failure_counts(*, db: Database, job_id: str | None = None) -> dict[str, int]:
    """Failed documents per error message (of one job, or all): callers group by type."""
    with db.read() as s:
        query = (
            select(Document.error, func.count())
            .where(col(Document.status) == DocStatus.failed)
            .group_by(Document.error)
        )
        if job_id is not None:
            query = query.where(col(Document.job_id) == job_id)
        return {str(error or ""): int(n) for error, n in s.exec(query).all()}


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


def _requeue(db: Database, job_id: str, which: Any) -> int:
    """Queue the job's documents matching ``which`` again and reopen the job.

    ``resumed_at`` marks the moment: documents finished before it were shown as done, so the
    finishing step that follows leaves their answers alone (it only refines the requeued).
    """
    now = utcnow()
    with db.write() as s:
        job = s.get(Job, job_id)
        if job is None:
            return 0
        n = s.exec(
            update(Document)
            .where(col(Document.job_id) == job_id, which)
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
                .values(
                    status=JobStatus.pending,
                    error=None,
                    updated_at=now,
                    finished_at=None,
                    resumed_at=now,
                )
            )
    return n


def retry_failed(*, db: Database, job_id: str, error_types: Sequence[str] | None = None) -> int:
    """Queue failed documents again (only those whose error type is in ``error_types``,
    when given: a permanent failure would fail the same way); returns how many."""
    which = col(Document.status) == DocStatus.failed
    if error_types is not None:
        if not error_types:
            return 0
        which = which & or_(*(col(Document.error).like(f"{t}:%") for t in error_types))
    return _requeue(db, job_id, which)


def resume_cancelled(*, db: Database, job_id: str) -> int:
    """Queue the job's cancelled documents again; returns how many."""
    return _requeue(db, job_id, col(Document.status) == DocStatus.cancelled)


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
