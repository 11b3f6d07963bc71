"""The one status/progress rule (:class:`JobCounts`): in SQL for any number of jobs, and over
the rows of one job already read. A test holds the two equal."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from sqlalchemy import case, func
from sqlmodel import Session, col, select

from docclass.schemas import DocStatus, JobCounts
from docclass.store.tables import Document


def job_counts(s: Session, job_ids: Sequence[str]) -> dict[str, JobCounts]:
    """Counts per status and progress for each job (see :class:`JobCounts` for the rule)."""
    if not job_ids:
        return {}

    def n(status: str):
        return func.sum(case((col(Document.status) == status, 1), else_=0))

    readable = col(Document.status) != DocStatus.cancelled
    rows = s.exec(
        select(
            Document.job_id,
            n(DocStatus.pending),
            n(DocStatus.processing),
            n(DocStatus.completed),
            n(DocStatus.failed),
            n(DocStatus.cancelled),
            func.avg(case((readable, Document.progress), else_=None)),
        )
        .where(col(Document.job_id).in_(job_ids))
        .group_by(Document.job_id)
    ).all()
    out: dict[str, JobCounts] = {}
    for job_id, pending, processing, completed, failed, cancelled, progress in rows:
        out[job_id] = JobCounts(
            pending=int(pending or 0),
            processing=int(processing or 0),
            completed=int(completed or 0),
            failed=int(failed or 0),
            cancelled=int(cancelled or 0),
            # Nothing to read (every document cancelled): nothing was read, 0%.
            progress=round(0.0 if progress is None else float(progress), 1),
        )
    return out


def counted(rows: Iterable[tuple[str, int]]) -> JobCounts:
    """:func:`job_counts` of one job from its documents' (status, progress), already read: a
    status view of 10,000 documents has them and need not ask the database again."""
    n: Counter[str] = Counter()
    read = 0
    for status, progress in rows:
        n[status] += 1
        if status != DocStatus.cancelled:
            read += progress
    to_read = sum(n.values()) - n[DocStatus.cancelled]
    return JobCounts(
        pending=n[DocStatus.pending],
        processing=n[DocStatus.processing],
        completed=n[DocStatus.completed],
        failed=n[DocStatus.failed],
        cancelled=n[DocStatus.cancelled],
        progress=round(read / to_read if to_read else 0.0, 1),
    )
