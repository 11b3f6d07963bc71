"""Documents read back for views and the export, and the finishing step's rewrites."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Text, bindparam, cast, func, or_
from sqlmodel import col, select, update

from docclass.schemas import DocStatus, DocumentOut, Verdict, utcnow
from docclass.store.db import Database, bound_fields
from docclass.store.tables import Document, Job


def _out(doc: Document) -> DocumentOut:
    return DocumentOut.model_validate(doc, from_attributes=True)


def get_document(*, db: Database, doc_id: str) -> DocumentOut | None:
    with db.read() as s:
        doc = s.get(Document, doc_id)
        return None if doc is None else _out(doc)


def job_documents(
    *, db: Database, job_id: str, batch: int = 500, skip: Collection[str] = ()
) -> Iterator[DocumentOut]:
    """Every document of a job in upload order, read in pages (the export streams them).

    ``skip``: fields not read, left at their defaults (the export reads neither the text nor
    the detectors' hits, a job's bulk; the other fields come from the typed columns as
    they are, without a second validation).
    """
    if not skip:
        yield from _whole_documents(db=db, job_id=job_id, batch=batch)
        return
    table = Document.__table__  # type: ignore[attr-defined]
    names = [f for f in DocumentOut.model_fields if f not in skip]
    position = -1
    while True:
        with db.read() as s:
            rows = s.exec(
                select(*(table.c[f] for f in names), table.c.position)  # type: ignore[call-overload]
                .where(table.c.job_id == job_id, table.c.position > position)
                .order_by(table.c.position)
                .limit(batch)
            ).all()
        for row in rows:
            yield DocumentOut.model_construct(**dict(zip(names, row, strict=False)))
        if len(rows) < batch:
            return
        position = rows[-1][-1]


def _whole_documents(*, db: Database, job_id: str, batch: int) -> Iterator[DocumentOut]:
    position = -1
    while True:
        with db.read() as s:
            docs = s.exec(
                select(Document)
                .where(Document.job_id == job_id, col(Document.position) > position)
                .order_by(col(Document.position))
                .limit(batch)
            ).all()
            page = [_out(d) for d in docs]
        yield from page
        if len(page) < batch:
            return
        position = docs[-1].position


@dataclass(frozen=True)
class Refinable:
    """A completed document's answer, as the finishing step's batch pass rewrites it."""

    doc_id: str
    sha256: str
    final_category: str | None
    confidence: float | None
    classifier_meta: dict[str, Any]
    scores: dict[str, float]
    corrected_category: str | None
    rationale: str
    refined: bool
    earlier_category: str | None

    @property
    def content_key(self) -> str:
        """Copies of a file share it: the batch pass reads each content once."""
        return self.sha256 or self.doc_id


@dataclass(frozen=True)
class ClassifierReading:
    """What the classifier reads of one content: its input, how many hits each detector
    found and what the first answer measured (its layout; its embedding for topic taxonomies).

    The counts (a rationale's numbers, the floors: all a batch pass reads of the detectors;
    their spans served the evidence the first answer cited) stay the JSON text they are
    stored as, decoded by the reader process that uses them (:func:`json_loads`): decoded
    here, a thousand documents' hits took 40-140 ms of the worker's own process and 110 ms
    more to unpickle there.
    """

    classifier_input: str
    detector_counts_json: str | None
    layout: bytes | None = None
    embedding: bytes | None = None


def _refinable(job_id: str, classifier: str):
    return (
        (col(Document.job_id) == job_id)
        & (col(Document.status) == DocStatus.completed)
        & (col(Document.classifier) == classifier)
    )


def count_refinable(*, db: Database, job_id: str, classifier: str) -> int:
    """Distinct contents among a job's completed documents that one classifier decided."""
    with db.read() as s:
        return s.exec(
            select(func.count(func.distinct(Document.sha256))).where(_refinable(job_id, classifier))
        ).one()


def refinable_documents(*, db: Database, job_id: str, classifier: str) -> list[Refinable]:
    """Completed documents of a job that one classifier decided, in upload order."""
    with db.read() as s:
        rows = s.exec(
            select(
                Document.id,
                Document.sha256,
                Document.final_category,
                Document.confidence,
                Document.classifier_meta,
                Document.scores,
                Document.corrected_category,
                Document.rationale,
                Document.refined,
                Document.earlier_category,
            )
            .where(_refinable(job_id, classifier))
            .order_by(col(Document.position))
        ).all()
    return [
        Refinable(
            doc_id=r[0],
            sha256=r[1],
            final_category=r[2],
            confidence=r[3],
            classifier_meta=r[4] or {},
            scores=r[5] or {},
            corrected_category=r[6],
            rationale=r[7] or "",
            refined=bool(r[8]),
            earlier_category=r[9],
        )
        for r in rows
    ]


# Ids per query: far below SQLite's limit on bound parameters.
_IDS_PER_QUERY = 500


def classifier_readings(*, db: Database, docs: Sequence[Refinable]) -> dict[str, ClassifierReading]:
    """Per content key, in the order of ``docs``, what the classifier reads (from the first
    document with that content; the batch pass's answers depend on the order).

    A job's copies of a file hold the same text and detectors' counts (a job's bulk): they
    are read and decoded once, not once per copy.
    """
    columns = (
        Document.classifier_input,
        cast(Document.detector_counts, Text),
        Document.layout,
        Document.embedding,
    )
    return {
        key: ClassifierReading(text or "", counted, layout, embedding)
        for key, (text, counted, layout, embedding) in _first_of_each(db, docs, columns).items()
    }


def classifier_inputs(*, db: Database, docs: Sequence[Refinable]) -> dict[str, str]:
    """Per content key, in the order of ``docs``, only the text the classifier reads (what
    suggesting corrections needs: not the counts, layouts and vectors of a whole job)."""
    rows = _first_of_each(db, docs, (Document.classifier_input,))
    return {key: text or "" for key, (text,) in rows.items()}


def _first_of_each(db: Database, docs: Sequence[Refinable], columns: tuple) -> dict[str, tuple]:
    """``columns`` of the first document of each content, per content key in ``docs``' order."""
    first: dict[str, str] = {}
    for doc in docs:
        first.setdefault(doc.content_key, doc.doc_id)
    key_of = {doc_id: key for key, doc_id in first.items()}
    ids = list(key_of)
    found: dict[str, tuple] = {}
    with db.read() as s:
        for start in range(0, len(ids), _IDS_PER_QUERY):
            rows = s.exec(
                select(Document.id, *columns).where(
                    col(Document.id).in_(ids[start : start + _IDS_PER_QUERY])
                )
            ).all()
            for doc_id, *values in rows:
                found[key_of[doc_id]] = tuple(values)
    return {key: found[key] for key in first if key in found}


def _refine_statement():
    """One UPDATE for every rewritten answer (executemany), guarded as save_refined says."""
    table = Document.__table__  # type: ignore[attr-defined]
    jobs = Job.__table__  # type: ignore[attr-defined]
    settled = select(jobs.c.resumed_at).where(jobs.c.id == table.c.job_id).scalar_subquery()
    return (
        update(table)
        .where(
            table.c.id == bindparam("b_id"),
            table.c.status == DocStatus.completed,
            or_(settled.is_(None), table.c.finished_at > settled),
        )
        .values(
            {c: bindparam(f"v_{c}", type_=table.c[c].type) for c in Verdict.model_fields}
            | {"updated_at": bindparam("v_updated_at", type_=table.c.updated_at.type)}
        )
    )


_REFINE = _refine_statement()
_VERDICT_FIELDS = tuple(Verdict.model_fields)


def save_refined(
    *, db: Database, refined: Sequence[tuple[str, Verdict]], job_id: str | None = None
) -> int:
    """Replace completed documents' answers with the batch pass's, in one transaction.

    With ``job_id`` the job's ``updated_at`` moves too, so views watching it redraw (the
    finishing step moves it anyway when it completes the job).

    A document finished before its job was last resumed (a retry of failed documents, a
    resume of cancelled ones) keeps its answer: it was shown as done when the job had
    ended, and a retry of others must never change it. Returns how many were written.
    """
    if not refined:
        return 0
    now = utcnow()
    rows = [
        {"b_id": doc_id, "v_updated_at": now} | bound_fields(verdict, _VERDICT_FIELDS)
        for doc_id, verdict in refined
    ]
    with db.write() as s:
        written = s.connection().execute(_REFINE, rows).rowcount
        if job_id is not None and written:
            s.exec(update(Job).where(col(Job.id) == job_id).values(updated_at=now))
    return written
