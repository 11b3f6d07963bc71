"""Analysts' reviews and corrections: stored with who and when; corrections are read back as
training examples."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import col, func, select, update

from docclass.schemas import utcnow
from docclass.store.db import Database
from docclass.store.tables import Correction, Document, Job
from docclass.taxonomy import parse_taxonomy


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
        # A correction is a review too: the document leaves the review queue.
        doc.reviewed_at = doc.updated_at
        doc.reviewed_by = corrected_by
        s.add(doc)
        if job is not None:
            job.updated_at = doc.updated_at  # views watching the job notice the change
            s.add(job)
    return correction


def accept_documents(
    *, db: Database, doc_ids: Sequence[str], reviewed_by: str | None = None
) -> int:
    """Mark documents reviewed as they are (the answer stands); returns how many.

    Their jobs' ``updated_at`` moves too, so every view watching them notices.
    """
    if not doc_ids:
        return 0
    now = utcnow()
    with db.write() as s:
        n = s.exec(
            update(Document)
            .where(col(Document.id).in_(list(doc_ids)))
            .values(reviewed_at=now, reviewed_by=reviewed_by, updated_at=now)
        ).rowcount  # type: ignore[attr-defined]
        job_ids = s.exec(
            select(Document.job_id).where(col(Document.id).in_(list(doc_ids))).distinct()
        ).all()
        if job_ids:
            s.exec(update(Job).where(col(Job.id).in_(list(job_ids))).values(updated_at=now))
    return int(n)


# A taxonomy's model learns from its most recent corrections, at most this many: enough for
# every category (a few per category already help), and a bound on fitting it, which every
# reader process does and whose solver's memory grows with the square of the examples
# (docclass.classifiers.linear).
EXAMPLES_MAX = 1000


def correction_examples(*, db: Database, taxonomy_name: str) -> list[tuple[str, str]]:
    """(text the classifier read, category) of the corrected documents under a taxonomy,
    the most recently corrected first, at most EXAMPLES_MAX (a fixed order: same model)."""
    with db.read() as s:
        rows = s.exec(
            select(Document.classifier_input, Document.corrected_category)
            .join(Job, col(Job.id) == col(Document.job_id))
            .where(
                Job.taxonomy_name == taxonomy_name,
                col(Document.corrected_category).is_not(None),
                col(Document.classifier_input).is_not(None),
            )
            .order_by(col(Document.reviewed_at).desc(), col(Document.id))
            .limit(EXAMPLES_MAX)
        ).all()
    return [(text, category) for text, category in rows if text and category]


def corrections_version(*, db: Database, taxonomy_name: str) -> int:
    """Changes whenever a correction is added under the taxonomy (cheap cache key)."""
    with db.read() as s:
        latest = s.exec(
            select(func.max(Correction.id)).where(Correction.taxonomy_name == taxonomy_name)
        ).one()
    return int(latest or 0)
