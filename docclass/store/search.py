"""Documents found across jobs: the search page, the review queue and filtered exports.

One :class:`~docclass.schemas.DocumentQuery` becomes one ``WHERE`` clause, so the table an
analyst filtered and the file they export from it are the same query.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import col, select

from docclass.schemas import (
    ROW_FIELDS,
    DocStatus,
    DocumentOut,
    DocumentPage,
    DocumentQuery,
    FoundDocument,
)
from docclass.store.db import Database
from docclass.store.jobs import row_columns
from docclass.store.tables import Document, Job

_FOUND_EXTRA = ("job_id", "job_name", "taxonomy_name", "reviewed_by")


def _like(text: str) -> str:
    """``text`` as a LIKE pattern matching it anywhere, its own ``%`` and ``_`` literal."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def category_column() -> Any:
    """A document's category as every view shows it: the analyst's correction wins."""
    return func.coalesce(col(Document.corrected_category), col(Document.final_category))


def conditions(query: DocumentQuery) -> list[Any]:
    """The query's filters as SQL conditions on ``document`` joined with ``job``."""
    where: list[Any] = []
    if query.job_id:
        where.append(col(Document.job_id) == query.job_id)
    if query.filename and query.filename.strip():
        pattern = _like(query.filename.strip())
        where.append(func.lower(col(Document.filename)).like(pattern, escape="\\"))
    if query.categories:
        where.append(category_column().in_(query.categories))
    if query.statuses:
        where.append(col(Document.status).in_(query.statuses))
    if query.error_types:
        where.append(or_(*(col(Document.error).like(f"{t}:%") for t in query.error_types)))
    if query.needs_review is True:
        where += [
            col(Document.needs_review).is_(True),
            col(Document.reviewed_at).is_(None),
            col(Document.status) == DocStatus.completed,
        ]
    elif query.needs_review is False:
        where.append(
            or_(col(Document.needs_review).is_(False), col(Document.reviewed_at).is_not(None))
        )
    if query.min_confidence is not None:
        where.append(col(Document.confidence) >= query.min_confidence)
    if query.max_confidence is not None:
        where.append(col(Document.confidence) <= query.max_confidence)
    if query.taxonomy_name:
        where.append(col(Job.taxonomy_name) == query.taxonomy_name)
    return where


def _order(query: DocumentQuery) -> list[Any]:
    upload_order = [col(Job.created_at).desc(), col(Job.id), col(Document.position)]
    if query.order == "confidence":
        confidence = col(Document.confidence)
        return [confidence.is_(None), confidence.asc(), *upload_order]
    return upload_order


def search_documents(
    *, db: Database, query: DocumentQuery, limit: int = 200, offset: int = 0
) -> DocumentPage:
    """One page of the documents ``query`` finds, and how many it finds in all."""
    where = conditions(query)
    extra = [
        col(Document.job_id).label("job_id"),
        col(Job.name).label("job_name"),
        col(Job.taxonomy_name).label("taxonomy_name"),
        col(Document.reviewed_by).label("reviewed_by"),
    ]
    with db.read() as s:
        total = s.exec(
            select(func.count())
            .select_from(Document)
            .join(Job, col(Job.id) == col(Document.job_id))
            .where(*where)
        ).one()
        found = s.exec(
            select(*row_columns(), *extra)
            .join(Job, col(Job.id) == col(Document.job_id))
            .where(*where)
            .order_by(*_order(query))
            .offset(offset)
            .limit(limit)
        ).all()
    base = len(ROW_FIELDS)
    rows = [
        FoundDocument(*r[:base], **dict(zip(_FOUND_EXTRA, r[base:], strict=True))) for r in found
    ]
    return DocumentPage(total=int(total), rows=rows)


def found_documents(
    *, db: Database, query: DocumentQuery, batch: int = 500
) -> Iterator[DocumentOut]:
    """Every document ``query`` finds, whole, in the search's order (filtered exports)."""
    where = conditions(query)
    offset = 0
    while True:
        with db.read() as s:
            docs = s.exec(
                select(Document)
                .join(Job, col(Job.id) == col(Document.job_id))
                .where(*where)
                .order_by(*_order(query))
                .offset(offset)
                .limit(batch)
            ).all()
            page = [DocumentOut.model_validate(d, from_attributes=True) for d in docs]
        yield from page
        if len(page) < batch:
            return
        offset += batch


def category_names(*, db: Database, query: DocumentQuery | None = None) -> list[str]:
    """The categories documents have (of the query's jobs, or all), for filter choices."""
    category = category_column()
    with db.read() as s:
        stmt = (
            select(category)
            .select_from(Document)
            .join(Job, col(Job.id) == col(Document.job_id))
            .where(category.is_not(None))
            .distinct()
        )
        if query is not None and query.job_id:
            stmt = stmt.where(col(Document.job_id) == query.job_id)
        return sorted(str(c) for c in s.exec(stmt).all())


def taxonomy_names(*, db: Database) -> dict[str, int]:
    """Taxonomy names with the documents needing review under each (the review queue)."""
    review = DocumentQuery(needs_review=True)
    with db.read() as s:
        rows = s.exec(
            select(Job.taxonomy_name, func.count())
            .select_from(Document)
            .join(Job, col(Job.id) == col(Document.job_id))
            .where(*conditions(review))
            .group_by(Job.taxonomy_name)
        ).all()
    return {str(name): int(n) for name, n in rows}
