"""SQLModel tables (jobs, documents, corrections) and the public shapes the store returns.

Tables live here, inside the package, so Streamlit's file watcher never re-imports them
(re-declaring a table raises "Table ... is already defined").
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel
from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class JobStatus(StrEnum):
    pending = "pending"
    processing = "processing"
    completed = "completed"
    failed = "failed"
    cancelled = "cancelled"


class DocStatus(StrEnum):
    pending = "pending"
    processing = "processing"
    completed = "completed"
    failed = "failed"
    cancelled = "cancelled"


ACTIVE_JOB = (JobStatus.pending, JobStatus.processing)
UNFINISHED_DOC = (DocStatus.pending, DocStatus.processing)


class Job(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=32)
    status: str = Field(default=JobStatus.pending, index=True)
    taxonomy_name: str
    # The taxonomy TOML as submitted: a job is re-run identically after a restart.
    taxonomy_toml: str
    taxonomy_base_dir: str | None = None
    classifier: str = "local"
    total_files: int = 0
    error: str | None = None
    created_at: datetime = Field(default_factory=utcnow, index=True)
    updated_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None


class Document(SQLModel, table=True):
    __table_args__ = (
        Index("ix_document_job_status", "job_id", "status"),
        Index("ix_document_status_job", "status", "job_id", "position"),
    )

    id: str = Field(primary_key=True, max_length=32)
    job_id: str = Field(foreign_key="job.id", ondelete="CASCADE")
    position: int = 0
    filename: str
    sha256: str = Field(index=True)
    size: int = 0
    status: str = Field(default=DocStatus.pending)
    progress: int = 0
    error: str | None = None
    attempts: int = 0
    # Which runner holds the document while processing ("host:pid:token"); lets a restarted
    # runner tell a crashed owner's work from a live one's.
    owner: str | None = None
    kind: str | None = None
    engine: str | None = None
    pages: int | None = None
    characters: int | None = None
    truncated: bool = False
    text_preview: str | None = None
    page_starts: list[int] | None = Field(default=None, sa_column=Column(JSON))
    detectors: list[dict[str, Any]] | None = Field(default=None, sa_column=Column(JSON))
    detector_counts: dict[str, int] | None = Field(default=None, sa_column=Column(JSON))
    final_category: str | None = None
    confidence: float | None = None
    scores: dict[str, float] | None = Field(default=None, sa_column=Column(JSON))
    rationale: str | None = None
    classifier: str | None = None
    classifier_meta: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    timings: dict[str, float] | None = Field(default=None, sa_column=Column(JSON))
    # Set when the analyst should look: floor and classifier disagree, low confidence, …
    needs_review: bool = False
    review_reason: str | None = None
    # Cited hits: [{detector, text (masked), page}].
    evidence: list[dict[str, Any]] | None = Field(default=None, sa_column=Column(JSON))
    # Latest analyst correction (history in the Correction table).
    corrected_category: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None
    finished_at: datetime | None = None


class Correction(SQLModel, table=True):
    """An analyst's correction of a document's category; counts as an example from then on."""

    id: int | None = Field(default=None, primary_key=True)
    doc_id: str = Field(foreign_key="document.id", ondelete="CASCADE", index=True)
    taxonomy_name: str = Field(index=True)
    predicted_category: str | None = None
    category: str
    corrected_by: str | None = None
    created_at: datetime = Field(default_factory=utcnow)


# --- public shapes ---------------------------------------------------------------------


class DocumentStatusOut(BaseModel):
    doc_id: str
    filename: str
    status: str
    progress: int
    error: str | None = None


class JobStatusOut(BaseModel):
    job_id: str
    status: str
    total_files: int
    completed: int
    failed: int
    progress: float
    created_at: datetime
    updated_at: datetime
    documents: list[DocumentStatusOut]
    error: str | None = None


class JobSummaryOut(BaseModel):
    job_id: str
    status: str
    total_files: int
    completed: int
    failed: int
    created_at: datetime
    updated_at: datetime


class JobListOut(BaseModel):
    total: int
    jobs: list[JobSummaryOut]


class ClassificationOut(BaseModel):
    final_category: str
    confidence: float
    scores: dict[str, float]
    rationale: str
    classifier: str


class DocumentOut(BaseModel):
    """A document's full record."""

    doc_id: str
    job_id: str
    filename: str
    status: str
    progress: int
    error: str | None = None
    classification: ClassificationOut | None = None
    classifier_meta: dict[str, Any] = {}
    detectors: list[dict[str, Any]] = []
    pages: int | None = None
    characters: int | None = None
    engine: str | None = None
    kind: str | None = None
    truncated: bool = False
    sha256: str
    size: int
    text_preview: str | None = None
    timings: dict[str, float] = {}
    attempts: int = 0
    needs_review: bool = False
    review_reason: str | None = None
    evidence: list[dict[str, Any]] = []
    corrected_category: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None

    @classmethod
    def from_row(cls, doc: Document) -> DocumentOut:
        classification = None
        if doc.final_category is not None:
            classification = ClassificationOut(
                final_category=doc.final_category,
                confidence=doc.confidence or 0.0,
                scores=doc.scores or {},
                rationale=doc.rationale or "",
                classifier=doc.classifier or "",
            )
        return cls(
            doc_id=doc.id,
            job_id=doc.job_id,
            filename=doc.filename,
            status=doc.status,
            progress=doc.progress,
            error=doc.error,
            classification=classification,
            classifier_meta=doc.classifier_meta or {},
            detectors=doc.detectors or [],
            pages=doc.pages,
            characters=doc.characters,
            engine=doc.engine,
            kind=doc.kind,
            truncated=doc.truncated,
            sha256=doc.sha256,
            size=doc.size,
            text_preview=doc.text_preview,
            timings=doc.timings or {},
            attempts=doc.attempts,
            needs_review=doc.needs_review,
            review_reason=doc.review_reason,
            evidence=doc.evidence or [],
            corrected_category=doc.corrected_category,
            started_at=doc.started_at,
            finished_at=doc.finished_at,
        )
