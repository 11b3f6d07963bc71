"""Export results as CSV (Excel-safe) or JSON: a whole job, or exactly the documents a
filtered view shows (the same :class:`~docclass.schemas.DocumentQuery`)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from docclass.detectors import DETECTORS

if TYPE_CHECKING:  # the store is imported on use: the command line's parser reads FORMATS
    from docclass.schemas import DocumentOut, DocumentQuery
    from docclass.store.db import Database

FORMATS = ("csv", "json")
TOP_N = 3
DETECTOR_COLUMNS = [f"{name}_count" for name in DETECTORS]
COLUMNS = [
    "job_id",
    "doc_id",
    "filename",
    "status",
    "category",
    "final_category",
    "confidence",
    "classifier",
    "corrected_category",
    "needs_review",
    "review_reason",
    "reviewed_at",
    "reviewed_by",
    "refined",
    "earlier_category",
    *[f"top{i}_{part}" for i in range(1, TOP_N + 1) for part in ("category", "score")],
    *DETECTOR_COLUMNS,
    "pages",
    "characters",
    "engine",
    "ocr_pages",
    "ocr_confidence",
    "sha256",
    "error",
    "started_at",
    "finished_at",
    "duration_ms",
]
# What no export column reads: the text and the detectors' hits, most of a job's bytes.
NOT_EXPORTED = frozenset(
    {
        "text_preview",
        "classifier_input",
        "detectors",
        "evidence",
        "page_starts",
        "timings",
        "layout",
        "embedding",
    }
)
# Cells that spreadsheet programs would run as formulas.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:  # databases that drop the zone store UTC
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def document_row(doc: DocumentOut) -> dict[str, Any]:
    """One flat row per document; the same keys in CSV and JSON."""
    top = sorted((doc.scores or {}).items(), key=lambda kv: kv[1], reverse=True)[:TOP_N]
    row: dict[str, Any] = {
        "job_id": doc.job_id,
        "doc_id": doc.id,
        "filename": doc.filename,
        "status": doc.status,
        "category": doc.category,  # the analyst's correction, else the prediction
        "final_category": doc.final_category,
        "confidence": None if doc.confidence is None else round(doc.confidence, 4),
        "classifier": doc.classifier,
        "corrected_category": doc.corrected_category,
        "needs_review": doc.needs_review,
        "review_reason": doc.review_reason,
        "reviewed_at": _iso(doc.reviewed_at),
        "reviewed_by": doc.reviewed_by,
        # The job's finishing step changed the answer: what it was before.
        "refined": doc.refined,
        "earlier_category": doc.earlier_category,
    }
    for i in range(TOP_N):
        name, score = top[i] if i < len(top) else (None, None)
        row[f"top{i + 1}_category"] = name
        row[f"top{i + 1}_score"] = None if score is None else round(score, 4)
    counts = doc.detector_counts or {}
    for name in DETECTORS:
        row[f"{name}_count"] = counts.get(name) if doc.detector_counts is not None else None
    duration = None
    if doc.started_at and doc.finished_at:
        duration = round((doc.finished_at - doc.started_at).total_seconds() * 1000)
    row.update(
        pages=doc.pages,
        characters=doc.characters,
        engine=doc.engine,
        ocr_pages=doc.ocr_pages,
        ocr_confidence=None if doc.ocr_confidence is None else round(doc.ocr_confidence, 4),
        sha256=doc.sha256 or None,
        error=doc.error,
        started_at=_iso(doc.started_at),
        finished_at=_iso(doc.finished_at),
        duration_ms=duration,
    )
    return row


def neutralise(value: Any) -> Any:
    """Prefix text that a spreadsheet would evaluate (``=cmd()``) with a quote."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def rows_to_csv(rows: Iterable[dict[str, Any]]) -> bytes:
    # UTF-8 with BOM: Excel then reads non-ASCII file names correctly. Encoded as written,
    # so a big job's CSV is held once, as bytes, not also as text.
    buffer = io.BytesIO()
    text = io.TextIOWrapper(buffer, encoding="utf-8-sig", newline="")
    writer = csv.DictWriter(text, fieldnames=COLUMNS, extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: neutralise(v) for k, v in row.items()})
    text.flush()
    data = buffer.getvalue()
    text.detach()
    return data


def _check(fmt: str) -> None:
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose csv or json")


def _json_rows(docs: list[DocumentOut]) -> list[dict[str, Any]]:
    rows = [document_row(d) for d in docs]
    for row, doc in zip(rows, docs, strict=True):
        row["scores"] = doc.scores or {}
        row["detector_counts"] = doc.detector_counts or {}
        row["rationale"] = doc.rationale
    return rows


def export_job(*, db: Database, job_id: str, fmt: str = "csv") -> bytes:
    from docclass.store import documents, jobs

    _check(fmt)
    job = jobs.get_job(db=db, job_id=job_id, include_documents=False)
    if job is None:
        raise KeyError(f"no job {job_id}")
    docs = documents.job_documents(db=db, job_id=job_id, skip=NOT_EXPORTED)
    if fmt == "csv":  # streamed: a page of documents at a time, however big the job
        return rows_to_csv(document_row(d) for d in docs)
    payload = {
        "job": job.model_dump(mode="json", exclude={"documents"}),
        "documents": _json_rows(list(docs)),
    }
    return json.dumps(payload, ensure_ascii=False, indent=2).encode("utf-8")


def export_documents(*, db: Database, query: DocumentQuery, fmt: str = "csv") -> bytes:
    """Exactly the documents ``query`` finds, in the order the filtered view lists them."""
    from docclass.store import search

    _check(fmt)
    docs = list(search.found_documents(db=db, query=query))
    if fmt == "csv":
        return rows_to_csv(document_row(d) for d in docs)
    payload = {"query": query.model_dump(mode="json"), "documents": _json_rows(docs)}
    return json.dumps(payload, ensure_ascii=False, indent=2).encode("utf-8")
