"""The queue: what workers ask of the database, one function per query.

The database is the queue (procrastinate's design): documents are claimed a few at a time
with an atomic update, results are written in batches, and a worker's heartbeat is the lease
on every document it holds. A worker that stops heartbeating (crash, SIGKILL, network split)
has its documents requeued by any other worker; writes are owner-checked, so a document is
never completed twice. A job's completion has one owner: the worker whose write made the
job's last document final wins the ``processing -> finishing`` transition, runs the finishing
step, then sets ``completed``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, exists
from sqlmodel import Session, col, delete, select, update

from docclass.schemas import (
    ACTIVE_JOB,
    CLAIMABLE_JOB,
    UNFINISHED_DOC,
    DocStatus,
    DocumentResult,
    JobStatus,
    utcnow,
)
from docclass.store.db import Database, bound_fields
from docclass.store.tables import Document, Job, Worker


@dataclass(frozen=True)
class Claimed:
    doc_id: str
    job_id: str
    filename: str
    sha256: str


@dataclass(frozen=True)
class Outcome:
    """A document's final result, ready to be saved by the worker that holds it."""

    doc_id: str
    job_id: str
    result: DocumentResult


# The claim's statements, built once: a claim runs several times a second while a job of
# short documents is read, and building them each time was about 40% of its time.
_WAITING = exists().where(
    col(Document.job_id) == col(Job.id), col(Document.status) == DocStatus.pending
)
_CLAIMABLE = (
    select(Job.id, Job.status)
    .where(col(Job.status).in_(CLAIMABLE_JOB), _WAITING)
    .order_by(col(Job.created_at), col(Job.id))
)
_PENDING = (
    select(Document.id, Document.job_id, Document.filename, Document.sha256)
    .where(col(Document.status) == DocStatus.pending, col(Document.job_id) == bindparam("job"))
    .order_by(col(Document.position))
    .limit(bindparam("n"))
)
_PENDING_LOCKED = _PENDING.with_for_update(skip_locked=True)
_TAKE = (
    update(Document)
    .where(col(Document.id).in_(bindparam("ids", expanding=True)))
    .values(
        status=DocStatus.processing,
        progress=10,
        owner=bindparam("owner"),
        attempts=Document.attempts + 1,
        started_at=bindparam("now"),
        updated_at=bindparam("now"),
    )
    .execution_options(synchronize_session=False)
)
_START_JOBS = (
    update(Job)
    .where(col(Job.id).in_(bindparam("jobs", expanding=True)), col(Job.status) == JobStatus.pending)
    .values(status=JobStatus.processing, updated_at=bindparam("now"))
    .execution_options(synchronize_session=False)
)


def claim_documents(*, db: Database, owner: str, limit: int) -> list[Claimed]:
    """Atomically take up to ``limit`` pending documents of active jobs, oldest job first.

    Jobs first, then each job's documents in upload order: every step walks an index and
    stops after ``limit`` rows, so a claim costs the same with ten or a million documents
    queued (one query ordering all pending documents by their job's age sorts them all).
    """
    now = utcnow()
    pending_query = _PENDING if db.is_sqlite else _PENDING_LOCKED  # SQLite: BEGIN IMMEDIATE
    with db.write() as s:
        candidates = s.exec(_CLAIMABLE).all()
        rows: list[tuple[str, str, str, str]] = []
        for job_id, _status in candidates:
            found = s.exec(pending_query, params={"job": job_id, "n": limit - len(rows)})
            rows.extend(found.all())
            if len(rows) >= limit:
                break
        if not rows:
            return []
        s.exec(_TAKE, params={"ids": [r[0] for r in rows], "owner": owner, "now": now})
        # A job's first claim moves it to processing (the statement is saved on all others).
        pending = {job_id for job_id, status in candidates if status == JobStatus.pending}
        if started := pending & {r[1] for r in rows}:
            s.exec(_START_JOBS, params={"jobs": list(started), "now": now})
    return [Claimed(doc_id=r[0], job_id=r[1], filename=r[2], sha256=r[3]) for r in rows]


def _owned(doc_id: str, owner: str):
    return (
        (col(Document.id) == doc_id)
        & (col(Document.status) == DocStatus.processing)
        & (col(Document.owner) == owner)
    )


def write_progress(*, db: Database, doc_id: str, owner: str, progress: int) -> bool:
    """A slow document's stage (30/60/90); False when it is no longer this owner's."""
    with db.write() as s:
        return (
            s.exec(
                update(Document)
                .where(_owned(doc_id, owner))
                .values(progress=progress, updated_at=utcnow())
            ).rowcount  # type: ignore[attr-defined]
            > 0
        )


def _begin_finishing(s: Session, job_id: str, owner: str, now: datetime) -> bool:
    unfinished = exists().where(
        col(Document.job_id) == job_id, col(Document.status).in_(UNFINISHED_DOC)
    )
    won = s.exec(
        update(Job)
        .where(col(Job.id) == job_id, col(Job.status).in_(CLAIMABLE_JOB), ~unfinished)
        .values(status=JobStatus.finishing, finisher=owner, updated_at=now)
    ).rowcount  # type: ignore[attr-defined]
    return won > 0


def _save_statement():
    """One UPDATE for every outcome of a batch (executemany): owner-checked, typed columns."""
    table = Document.__table__  # type: ignore[attr-defined]
    columns = [*DocumentResult.model_fields, "status", "progress", "updated_at", "finished_at"]
    return (
        update(table)
        .where(
            table.c.id == bindparam("b_id"),
            table.c.status == DocStatus.processing,
            table.c.owner == bindparam("b_owner"),
        )
        .values({c: bindparam(f"v_{c}", type_=table.c[c].type) for c in columns})
    )


_SAVE = _save_statement()
_RESULT_FIELDS = tuple(DocumentResult.model_fields)


def save_outcomes(
    *, db: Database, owner: str, outcomes: Sequence[Outcome]
) -> tuple[int, list[str]]:
    """Write final results in one transaction; the one place a document's outcome is saved.

    Returns how many documents were written (others were cancelled, deleted or requeued
    meanwhile) and the jobs whose finishing step this owner won with these writes.
    """
    if not outcomes:
        return 0, []
    now = utcnow()
    rows = []
    for outcome in outcomes:
        values = bound_fields(outcome.result, _RESULT_FIELDS)
        failed = outcome.result.error is not None
        values.update(
            b_id=outcome.doc_id,
            b_owner=owner,
            v_status=DocStatus.failed if failed else DocStatus.completed,
            v_progress=100,
            v_updated_at=now,
            v_finished_at=now,
        )
        rows.append(values)
    won: list[str] = []
    with db.write() as s:
        saved = s.connection().execute(_SAVE, rows).rowcount
        if saved:
            s.exec(
                update(Worker)
                .where(col(Worker.id) == owner)
                .values(documents_done=Worker.documents_done + saved)
            )
        # Jobs in one order for every saver: two savers spanning the same jobs on PostgreSQL
        # must not each lock one job row and wait for the other's.
        for job_id in sorted({o.job_id for o in outcomes}):
            s.exec(update(Job).where(col(Job.id) == job_id).values(updated_at=now))
            if _begin_finishing(s, job_id, owner, now):
                won.append(job_id)
    return saved, won


def begin_finishing(*, db: Database, job_id: str, owner: str) -> bool:
    """Win a job whose documents are all final (jobs of refused files only, recovery)."""
    with db.write() as s:
        return _begin_finishing(s, job_id, owner, utcnow())


def complete_job(*, db: Database, job_id: str, owner: str) -> bool:
    """End the finishing step this owner won; False if the job changed meanwhile (retry)."""
    now = utcnow()
    with db.write() as s:
        done = s.exec(
            update(Job)
            .where(
                col(Job.id) == job_id,
                col(Job.status) == JobStatus.finishing,
                col(Job.finisher) == owner,
            )
            .values(status=JobStatus.completed, updated_at=now, finished_at=now)
        ).rowcount  # type: ignore[attr-defined]
    return done > 0


def finishable_jobs(*, db: Database) -> list[str]:
    """Claimable jobs with no unfinished document: nobody won their finishing step yet."""
    unfinished = exists().where(
        col(Document.job_id) == col(Job.id), col(Document.status).in_(UNFINISHED_DOC)
    )
    with db.read() as s:
        return list(
            s.exec(select(Job.id).where(col(Job.status).in_(CLAIMABLE_JOB), ~unfinished)).all()
        )


def release_documents(*, db: Database, owner: str) -> int:
    """Put a stopping worker's in-flight documents back to pending."""
    with db.write() as s:
        return s.exec(
            update(Document)
            .where(col(Document.owner) == owner, col(Document.status) == DocStatus.processing)
            .values(status=DocStatus.pending, progress=0, owner=None, updated_at=utcnow())
        ).rowcount  # type: ignore[attr-defined]


# --- workers and their leases ------------------------------------------------------------


def heartbeat(*, db: Database, worker_id: str, host: str, pid: int) -> None:
    """Register the worker or renew its lease on every document it holds."""
    now = utcnow()
    with db.write() as s:
        changed = s.exec(
            update(Worker).where(col(Worker.id) == worker_id).values(heartbeat_at=now)
        ).rowcount  # type: ignore[attr-defined]
        if not changed:
            s.add(Worker(id=worker_id, host=host, pid=pid, started_at=now, heartbeat_at=now))


def remove_worker(*, db: Database, worker_id: str) -> None:
    with db.write() as s:
        s.exec(delete(Worker).where(col(Worker.id) == worker_id))


def list_workers(*, db: Database) -> list[Worker]:
    with db.read() as s:
        return list(s.exec(select(Worker).order_by(col(Worker.started_at))).all())


def requeue_stalled(*, db: Database, live_since: datetime) -> tuple[int, list[str]]:
    """Requeue what workers silent since ``live_since`` held; forget those workers.

    Returns how many documents went back to pending and the jobs whose finishing step was
    abandoned (back to ``processing``, so that the next saved outcome or sweep finishes them).
    """
    now = utcnow()
    with db.write() as s:
        live = select(Worker.id).where(col(Worker.heartbeat_at) >= live_since)
        docs = s.exec(
            update(Document)
            .where(
                col(Document.status) == DocStatus.processing,
                col(Document.owner).is_(None) | col(Document.owner).not_in(live),
            )
            .values(status=DocStatus.pending, progress=0, owner=None, updated_at=now)
        ).rowcount  # type: ignore[attr-defined]
        jobs = list(
            s.exec(
                select(Job.id).where(
                    col(Job.status) == JobStatus.finishing,
                    col(Job.finisher).is_(None) | col(Job.finisher).not_in(live),
                )
            ).all()
        )
        if jobs:
            s.exec(
                update(Job)
                .where(col(Job.id).in_(jobs))
                .values(status=JobStatus.processing, finisher=None, updated_at=now)
            )
        s.exec(delete(Worker).where(col(Worker.heartbeat_at) < live_since))
    return docs, jobs


def has_unfinished_work(*, db: Database, job_ids: Iterable[str] | None = None) -> bool:
    """Whether any active job (or one of ``job_ids``) still has a document or step to run."""
    with db.read() as s:
        query = select(Job.id).where(col(Job.status).in_(ACTIVE_JOB))
        if job_ids is not None:
            query = query.where(col(Job.id).in_(list(job_ids)))
        return s.exec(query.limit(1)).first() is not None
