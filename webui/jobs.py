"""Jobs as the pages show them: one job's status snapshot and document table (polled every
second while it runs), the jobs list, and pickers of recent jobs.

Counts and progress come from the engine (:class:`~docclass.schemas.JobOut`, the one progress
rule); this module only turns them into tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

import pandas as pd
import streamlit as st

from docclass.jobs.service import Service
from docclass.schemas import ACTIVE_JOB, CLAIMABLE_JOB, DocumentRow, JobOut, JobStatus
from webui.format import as_utc, job_label
from webui.nav import status_link

ACTIVE = tuple(str(s) for s in ACTIVE_JOB)
CANCELLABLE = tuple(str(s) for s in CLAIMABLE_JOB)
JOB_STATUSES = [str(s) for s in JobStatus]

# One job's documents: "category" is the document's category (a correction wins).
TABLE_COLUMNS = [
    "doc_id",
    "file",
    "status",
    "progress",
    "category",
    "confidence",
    "review",
    "error",
]
JOBS_COLUMNS = [
    "job_id",
    "link",
    "status",
    "progress",
    "files",
    "completed",
    "failed",
    "created",
    "updated",
]


# --- one job -------------------------------------------------------------------------------


@dataclass(frozen=True)
class JobView:
    """Everything the Job status page shows for one tick: the job and its document table."""

    job: JobOut
    table: pd.DataFrame

    @property
    def active(self) -> bool:
        return self.job.status in ACTIVE

    @property
    def cancellable(self) -> bool:
        """Pending or processing: a finishing job has nothing left to cancel."""
        return self.job.status in CANCELLABLE

    @property
    def retryable(self) -> int:
        return self.job.failed + self.job.cancelled

    @property
    def can_retry(self) -> bool:
        """Something to retry, and no batch pass running over the job's answers."""
        return self.retryable > 0 and self.job.status != JobStatus.finishing

    @property
    def flagged(self) -> pd.Series:
        """Which rows need review."""
        return self.table["review"].fillna(False).astype(bool)


def documents_frame(rows: Sequence[DocumentRow]) -> pd.DataFrame:
    """The document table: one row per document, confidence in percent (shown as "87%")."""
    frame = pd.DataFrame.from_records(
        [
            (
                r.id,
                r.filename,
                r.status,
                r.progress,
                r.corrected_category or r.final_category,
                r.confidence,
                r.needs_review,
                r.error,
            )
            for r in rows
        ],
        columns=TABLE_COLUMNS,
    )
    frame["confidence"] = frame["confidence"].astype("float64") * 100
    return frame


def load_job_view(service: Service, job_id: str) -> JobView | None:
    """The job, its counts and its rows, read in one transaction (what the page polls)."""
    job = service.get_job(job_id)
    if job is None:
        return None
    return JobView(job=job, table=documents_frame(job.documents))


def job_status(service: Service, job_id: str) -> str | None:
    """Only the job's status: decides whether the live view polls."""
    return service.job_statuses([job_id]).get(job_id)


def category_counts(table: pd.DataFrame) -> pd.DataFrame:
    """Documents per category (classified documents only), most first."""
    counts = table["category"].dropna().value_counts()
    return pd.DataFrame({"category": counts.index.astype(str), "documents": counts.to_numpy()})


def documents_table_key(job_id: str, *, review_only: bool = False) -> str:
    """Widget key of a job's document table (its row selection lives under it).

    One per job, so a selection never carries over, and one per view: row numbers differ
    between all documents and only those that need review.
    """
    return f"job_documents_{job_id}" + ("_review" if review_only else "")


def status_table_config() -> dict[str, Any]:
    cc = st.column_config
    return {
        "file": cc.TextColumn("File", width="medium"),
        "status": cc.TextColumn("Status", width="small"),
        "progress": cc.ProgressColumn(
            "Progress", min_value=0, max_value=100, format="%d%%", width="small"
        ),
        "category": cc.TextColumn("Category", help="An analyst's correction wins"),
        "confidence": cc.NumberColumn("Confidence", format="%.0f%%", width="small"),
        "review": cc.CheckboxColumn("Review", width="small", help="Flagged for an analyst"),
        "error": cc.TextColumn("Error", width="large"),
    }


# --- many jobs -----------------------------------------------------------------------------


def jobs_frame(jobs: Sequence[JobOut]) -> pd.DataFrame:
    """Jobs with their progress and a link to each one's status page, in the given order."""
    rows = [
        {
            "job_id": j.job_id,
            "link": status_link(j.job_id),
            "status": j.status,
            "progress": float(j.progress),
            "files": j.total_files,
            "completed": j.completed,
            "failed": j.failed,
            "created": as_utc(j.created_at),
            "updated": as_utc(j.updated_at),
        }
        for j in jobs
    ]
    return pd.DataFrame(rows, columns=JOBS_COLUMNS)


def list_jobs_frame(
    service: Service, statuses: Sequence[str] | None, limit: int, offset: int
) -> tuple[int, pd.DataFrame]:
    """Jobs newest first (one page of them) and how many match the filter."""
    listing = service.list_jobs(statuses=list(statuses or []) or None, limit=limit, offset=offset)
    return listing.total, jobs_frame(listing.jobs)


def jobs_table_config(tz: str) -> dict[str, Any]:
    cc = st.column_config
    return {
        "link": cc.LinkColumn(
            "Job", display_text=r"job=([0-9a-f]{8})", help="Open the job's status page"
        ),
        "status": cc.TextColumn("Status", width="small"),
        "progress": cc.ProgressColumn(
            "Progress", min_value=0, max_value=100, format="%.0f%%", width="small"
        ),
        "files": cc.NumberColumn("Files", width="small"),
        "completed": cc.NumberColumn("Completed", width="small"),
        "failed": cc.NumberColumn("Failed", width="small"),
        "created": cc.DatetimeColumn("Created", format="YYYY-MM-DD HH:mm:ss", timezone=tz),
        "updated": cc.DatetimeColumn("Updated", format="YYYY-MM-DD HH:mm:ss", timezone=tz),
    }


def recent_jobs(service: Service, tz: tzinfo | None = None, limit: int = 50) -> dict[str, str]:
    """Job id → label of the newest jobs, for pickers."""
    return {j.job_id: job_label(j, tz) for j in service.list_jobs(limit=limit).jobs}
