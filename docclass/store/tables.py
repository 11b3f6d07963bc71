"""SQLModel tables: jobs, their documents, analysts' corrections, live workers, uploads.

Tables live inside the package, so Streamlit's file watcher never re-imports them
(re-declaring a table raises "Table ... is already defined"). Their columns come from the
shared bases in :mod:`docclass.schemas`. The schema itself is created and changed by the
Alembic migrations in ``migrations/``: a change here needs a new revision there (a test
compares the two).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, LargeBinary
from sqlmodel import Field, SQLModel

from docclass.schemas import (
    ROW_FIELDS,
    DocumentFacts,
    DocumentResult,
    DocumentState,
    JobBase,
    utcnow,
)

# DocumentRow's columns ("reviewed" is read as reviewed_at IS NOT NULL, see row_columns).
ROW_INDEX_COLUMNS = tuple("reviewed_at" if f == "reviewed" else f for f in ROW_FIELDS)


class Job(JobBase, table=True):
    id: str = Field(primary_key=True, max_length=32)
    status: str = Field(default="pending", index=True)
    # The taxonomy TOML as submitted: a job is re-run identically after a restart.
    taxonomy_toml: str
    taxonomy_base_dir: str | None = None
    error: str | None = None
    # The worker that won the job's finishing step (see docclass.jobs.finish).
    finisher: str | None = None
    # When failed or cancelled documents were last queued again: documents finished before
    # then were shown as done, so a later finishing step leaves their answers alone.
    resumed_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow, index=True)
    updated_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None


class Document(DocumentFacts, DocumentState, DocumentResult, table=True):
    __table_args__ = (
        # A job's documents by status in upload order: claims walk it and stop after a few
        # rows whatever the planner's statistics say (an index without ``position`` made a
        # fresh 20,000-document job sort all its rows on every claim); counts use its prefix.
        Index("ix_document_job_status_position", "job_id", "status", "position"),
        Index("ix_document_status_job", "status", "job_id", "position"),
        # Covers a job's document table (DocumentRow) in upload order: a status page of
        # 10,000 documents reads the index alone, never the rows' text and JSON.
        Index("ix_document_rows", "job_id", "position", *ROW_INDEX_COLUMNS),
    )

    id: str = Field(primary_key=True, max_length=32)
    job_id: str = Field(foreign_key="job.id", ondelete="CASCADE")
    position: int = 0
    # The worker holding the document while it is processed; its heartbeat is the lease.
    owner: str | None = None


class Correction(SQLModel, table=True):
    """An analyst's correction of a document's category; counts as an example from then on."""

    id: int | None = Field(default=None, primary_key=True)
    doc_id: str = Field(foreign_key="document.id", ondelete="CASCADE", index=True)
    taxonomy_name: str = Field(index=True)
    predicted_category: str | None = None
    category: str
    corrected_by: str | None = None
    created_at: datetime = Field(default_factory=utcnow)


class Worker(SQLModel, table=True):
    """A running worker (app or CLI); documents it holds are requeued when it goes silent."""

    id: str = Field(primary_key=True, max_length=64)
    host: str
    pid: int
    started_at: datetime = Field(default_factory=utcnow)
    heartbeat_at: datetime = Field(default_factory=utcnow, index=True)
    documents_done: int = 0


class UploadChunk(SQLModel, table=True):
    """A piece of an upload stored in a server database: workers on other machines read
    the file from here (see :mod:`docclass.store.blobs`)."""

    __tablename__ = "upload_chunk"  # type: ignore[assignment]

    sha256: str = Field(primary_key=True, max_length=64)
    seq: int = Field(primary_key=True)
    data: bytes = Field(sa_type=LargeBinary)
