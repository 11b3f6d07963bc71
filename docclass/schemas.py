"""The shapes that cross boundaries: one result per document, from pipeline to export.

Built the way SQLModel's own templates do it: plain base models hold the fields, the table
classes in :mod:`docclass.store.tables` and the public shapes here inherit them, so no list
of fields is ever written twice. :class:`DocumentResult` is what analysing a document
produces; the ``document`` table stores exactly its fields, :class:`DocumentOut` is what
views and the export read back.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, computed_field
from sqlalchemy import JSON, LargeBinary
from sqlmodel import Field, SQLModel

from docclass.statuses import (  # noqa: F401  (re-exported beside the shapes)
    ACTIVE_JOB,
    CLAIMABLE_JOB,
    DONE_DOC,
    UNFINISHED_DOC,
    DocStatus,
    JobStatus,
)

# Characters of text kept for display beside a result (the document view's preview).
PREVIEW_CHARS = 3000


def utcnow() -> datetime:
    return datetime.now(UTC)


def _json(**kwargs: Any) -> Any:
    """A JSON column (``sa_type`` builds a new Column per table, so bases can share it)."""
    return Field(sa_type=JSON, **kwargs)


# --- one document's result ----------------------------------------------------------------


class Verdict(SQLModel):
    """A document's answer after review: what the job's finishing step may rewrite."""

    final_category: str | None = None
    confidence: float | None = None
    scores: dict[str, float] | None = _json(default=None)
    rationale: str | None = None
    classifier: str | None = None
    classifier_meta: dict[str, Any] | None = _json(default=None)
    # Reviewing: floors, low confidence, local/LLM disagreement.
    needs_review: bool = False
    review_reason: str | None = None
    # The job's finishing step changed the answer first shown: what it was before.
    refined: bool = False
    earlier_category: str | None = None


class DocumentResult(Verdict):
    """Everything the pipeline learns about one document; ``error`` set means it failed."""

    error: str | None = None
    # Reading
    kind: str | None = None  # pdf, docx, text
    engine: str | None = None  # the reader that produced the text ("ocr:<engine>" for scans)
    pages: int | None = None
    # OCR: pages whose text came from recognition, and its mean confidence (0..1).
    ocr_pages: int | None = None
    ocr_confidence: float | None = None
    characters: int | None = None
    truncated: bool = False
    page_starts: list[int] | None = _json(default=None)
    text_preview: str | None = None  # the first PREVIEW_CHARS characters, for display
    # The text the classifier scored, kept so the job's batch pass and corrections can learn
    # from it without reading the file again (a bounded head, see Classifier.input_text).
    classifier_input: str | None = None
    # Detecting
    detectors: list[dict[str, Any]] | None = _json(default=None)
    detector_counts: dict[str, int] | None = _json(default=None)
    # Cited evidence: masked detector hits with their pages.
    evidence: list[dict[str, Any]] | None = _json(default=None)
    timings: dict[str, float] | None = _json(default=None)
    # What the offline classifier measured of the classifier input that no correction
    # changes, so the job's batch pass and re-scores do not measure it again: the layout
    # (docclass.classifiers.local.layout.pack_layout) and the meaning reader's vector
    # (float32; only topic taxonomies have one). Not serialised: bytes are for the store,
    # not for views or JSON.
    layout: bytes | None = Field(default=None, sa_type=LargeBinary, exclude=True)
    embedding: bytes | None = Field(default=None, sa_type=LargeBinary, exclude=True)


class DocumentFacts(SQLModel):
    """What is known of an upload before it is read."""

    filename: str
    sha256: str = Field(default="", index=True)
    size: int = 0


class DocumentState(SQLModel):
    """Where a document is in the queue, and the analyst's correction."""

    status: str = DocStatus.pending
    progress: int = 0
    attempts: int = 0
    corrected_category: str | None = None
    # The analyst's review: accepting the answer or correcting it marks it reviewed.
    reviewed_at: datetime | None = None
    reviewed_by: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None
    finished_at: datetime | None = None


class DocumentOut(DocumentFacts, DocumentState, DocumentResult):
    """A document as views, the CLI and the export see it (also a one-off answer)."""

    id: str | None = None  # None for a one-off answer that was never stored
    job_id: str | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def category(self) -> str | None:
        """The document's category: the analyst's correction wins over the prediction."""
        return self.corrected_category or self.final_category


@dataclass(slots=True)
class DocumentRow:
    """One line of a document table: what a live view polls (no JSON, no text).

    ``refined`` and ``earlier_category``: the job's finishing step changed the answer, and
    what it was before. Every field is a plain column, so a covering index serves the poll.
    A slotted dataclass, not a pydantic model: a status view of 10,000 documents builds
    10,000 of these per refresh, at a tenth of a model's cost (``bench/throughput.py``).
    """

    id: str
    filename: str
    status: str
    progress: int
    final_category: str | None = None
    corrected_category: str | None = None
    confidence: float | None = None
    needs_review: bool = False
    error: str | None = None
    reviewed: bool = False
    refined: bool = False
    earlier_category: str | None = None


ROW_FIELDS = tuple(f.name for f in fields(DocumentRow))
# Flags some databases return as 0/1 (SQLite's booleans, computed ones).
ROW_FLAGS = ("needs_review", "reviewed", "refined")


@dataclass(slots=True, kw_only=True)
class FoundDocument(DocumentRow):
    """A document found by a search across jobs: its row and the job it belongs to."""

    job_id: str
    job_name: str | None = None
    taxonomy_name: str = ""
    reviewed_by: str | None = None


class DocumentPage(BaseModel):
    """One page of a search, and how many documents match in all."""

    total: int
    rows: list[FoundDocument]


class DocumentQuery(BaseModel):
    """Which documents a search, the review queue or a filtered export shows.

    One shape for the store's query, the service, the export and the URL of a filtered
    view, so that "export exactly the filtered rows" is the same query twice.
    """

    job_id: str | None = None
    # Part of the file name (its relative path), any case.
    filename: str | None = None
    categories: list[str] = []
    statuses: list[str] = []
    # Error types (``EncryptedDocument``), the part of ``error`` before the colon.
    error_types: list[str] = []
    # True: flagged and not yet reviewed (the review queue); False: the others.
    needs_review: bool | None = None
    min_confidence: float | None = None
    max_confidence: float | None = None
    taxonomy_name: str | None = None
    # "recent": newest job first, upload order; "confidence": least confident first.
    order: str = "recent"


# --- jobs -----------------------------------------------------------------------------------


class JobBase(SQLModel):
    # What analysts call the job (default: date and first file name, set at submit).
    name: str | None = None
    taxonomy_name: str
    classifier: str = "local"
    total_files: int = 0


class JobCounts(SQLModel):
    """Documents per status and the job's progress: the one rule every view uses.

    Progress is the mean of the documents' own progress, leaving out cancelled documents
    (they will not be read), and "done" counts against the same documents (``to_read``):
    cancelled documents are neither done nor pending. A job whose every document was
    cancelled read nothing: 0%.
    """

    pending: int = 0
    processing: int = 0
    completed: int = 0
    failed: int = 0
    cancelled: int = 0
    progress: float = 0.0

    @property
    def done(self) -> int:
        """Read to the end, classified or failed (cancelled documents are not done)."""
        return self.completed + self.failed

    @property
    def to_read(self) -> int:
        """Documents the job reads: all but the cancelled ones (progress is over these)."""
        return self.pending + self.processing + self.completed + self.failed

    @property
    def unfinished(self) -> int:
        return self.pending + self.processing


class JobOut(JobBase, JobCounts):
    job_id: str
    status: str
    error: str | None = None
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None = None
    documents: list[DocumentRow] = []


class JobListOut(SQLModel):
    total: int
    jobs: list[JobOut]
