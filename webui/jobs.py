"""Jobs and documents as the pages show them: one job's snapshot and document table, the
jobs list, search results, and pickers of recent jobs.

Counts and progress come from the engine (:class:`~docclass.schemas.JobOut`, the one progress
rule); this module only turns them into tables. Empty text cells are empty strings, never
``None`` (a table would print "None").
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

import pandas as pd
import streamlit as st

from docclass.jobs.errors import RETRYABLE
from docclass.jobs.service import Service
from docclass.schemas import (
    ACTIVE_JOB,
    CLAIMABLE_JOB,
    DocumentRow,
    FoundDocument,
    JobOut,
    JobStatus,
)
from webui.format import as_utc, job_label, taxonomy_label
from webui.nav import status_link
from webui.widgets import selectable_table

ACTIVE = tuple(str(s) for s in ACTIVE_JOB)
CANCELLABLE = tuple(str(s) for s in CLAIMABLE_JOB)
JOB_STATUSES = [str(s) for s in JobStatus]
DOC_STATUSES = ["pending", "processing", "completed", "failed", "cancelled"]
# One colour per status, readable on light and dark backgrounds (tables draw them as pills).
STATUS_HEX = {
    "pending": "#d97706",
    "processing": "#2563eb",
    "finishing": "#7c3aed",
    "completed": "#16a34a",
    "failed": "#dc2626",
    "cancelled": "#6b7280",
}

# One job's documents: "category" is the document's category (a correction wins).
TABLE_COLUMNS = [
    "doc_id",
    "file",
    "status",
    "progress",
    "category",
    "confidence",
    "review",
    "note",
    "error",
    "notes",
]
FOUND_COLUMNS = ["doc_id", "job_id", "job", *TABLE_COLUMNS[1:]]
# What a table shows, in order (the rest are data for the page: ids, flags, full errors).
SHOWN = ["job", "file", "status", "progress", "category", "confidence", "notes"]
JOBS_COLUMNS = [
    "job_id",
    "name",
    "link",
    "status",
    "progress",
    "files",
    "completed",
    "failed",
    "taxonomy",
    "classifier",
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
    def settled(self) -> bool:
        """No batch pass running over the job's answers: retry and resume may start."""
        return self.job.status != JobStatus.finishing

    @property
    def flagged(self) -> pd.Series:
        """Which rows still need review."""
        return self.table["review"].fillna(False).astype(bool)


def note(row: DocumentRow) -> str:
    """What happened to a document's answer after it was first shown: corrected (the
    prediction beside it), refined by the job's finishing step (the earlier answer), reviewed."""
    parts = []
    if row.corrected_category and row.corrected_category != row.final_category:
        parts.append(f"corrected · predicted {row.final_category or '—'}")
    elif row.reviewed:
        parts.append("reviewed")
    if row.refined:
        parts.append(f"refined · was {row.earlier_category or '—'}")
    return "; ".join(parts)


def _record(r: DocumentRow) -> tuple:
    unfinished = r.status in ("pending", "processing")
    review = bool(r.needs_review and not r.reviewed)
    changes = note(r)
    notes = [r.error or "", "needs review" if review else "", changes]
    return (
        r.id,
        r.filename,
        [r.status],
        r.progress if unfinished else None,
        r.corrected_category or r.final_category or "",
        r.confidence,
        review,
        changes,
        r.error or "",
        "; ".join(n for n in notes if n),
    )


def documents_frame(rows: Sequence[DocumentRow]) -> pd.DataFrame:
    """The document table: one row per document, confidence in percent (shown as "87%"),
    the status as a list (a coloured pill), progress only while a document is read."""
    frame = pd.DataFrame.from_records([_record(r) for r in rows], columns=TABLE_COLUMNS)
    frame["confidence"] = frame["confidence"].astype("float64") * 100
    frame["progress"] = frame["progress"].astype("float64")
    return frame


def found_frame(rows: Sequence[FoundDocument]) -> pd.DataFrame:
    """Search results: the document table with the job each document belongs to."""
    records = [(r.id, r.job_id, r.job_name or r.job_id[:8], *_record(r)[1:]) for r in rows]
    frame = pd.DataFrame.from_records(records, columns=FOUND_COLUMNS)
    frame["confidence"] = frame["confidence"].astype("float64") * 100
    frame["progress"] = frame["progress"].astype("float64")
    return frame


def shown_columns(frame: pd.DataFrame) -> list[str]:
    """The columns a table shows: progress only while some document is read, notes only
    when some row has one (errors, review flags, changes)."""
    out = []
    for column in SHOWN:
        if column not in frame.columns:
            continue
        if column == "progress" and frame[column].isna().all():
            continue
        if column == "notes" and not frame[column].astype(bool).any():
            continue
        out.append(column)
    return out


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
    counts = table["category"][table["category"] != ""].value_counts()
    return pd.DataFrame({"category": counts.index.astype(str), "documents": counts.to_numpy()})


def split_failures(failures: dict[str, int]) -> tuple[dict[str, int], dict[str, int]]:
    """Failures a retry can cure, and the permanent ones, each by error type."""
    retryable = {k: n for k, n in failures.items() if k in RETRYABLE}
    permanent = {k: n for k, n in failures.items() if k not in RETRYABLE}
    return retryable, permanent


def failures_text(failures: dict[str, int]) -> str:
    """``2 upload missing, 1 took too long`` (plain text)."""
    return ", ".join(f"{n} {RETRYABLE.get(kind, kind)}" for kind, n in failures.items())


def documents_table_key(job_id: str, *, review_only: bool = False) -> str:
    """Widget key of a job's document table (its row selection lives under it).

    One per job, so a selection never carries over, and one per view: row numbers differ
    between all documents and only those that need review.
    """
    return f"job_documents_{job_id}" + ("_review" if review_only else "")


def table_key(prefix: str, query: object | None = None, page: int = 1) -> str:
    """Widget key of a table that shows ``query``'s rows: a new filter or page is a new
    table (its row selection starts empty: row numbers mean other documents)."""
    if query is None and page == 1:
        return prefix
    digest = hashlib.sha1(repr(query).encode()).hexdigest()[:10]
    return f"{prefix}_{digest}_{page}"


def document_table(table: pd.DataFrame, key: str, *, max_height: int) -> int | None:
    """A job's or a search's documents, one row selectable; the selected row, if any."""
    return selectable_table(
        table,
        key,
        width="stretch",
        height=min(38 + 35 * max(len(table), 1), max_height),
        column_order=shown_columns(table),
        column_config=status_table_config(),
    )


def selected_row(key: str) -> int | None:
    """The row selected in the table under ``key`` (before it is drawn: the page lays out
    around it, a wide table with nothing selected, the document beside it otherwise)."""
    state = st.session_state.get(key)
    rows = state.get("selection", {}).get("rows", []) if isinstance(state, dict) else []
    if not rows and state is not None and hasattr(state, "selection"):
        rows = list(state.selection.rows)
    return int(rows[0]) if rows else None


def status_column(label: str = "Status", statuses: Sequence[str] = DOC_STATUSES) -> Any:
    """Statuses as coloured pills (a read-only multiselect column of one value per cell)."""
    return st.column_config.MultiselectColumn(
        label,
        options=list(statuses),
        color=[STATUS_HEX[s] for s in statuses],
        width=105,
        disabled=True,
    )


def status_table_config() -> dict[str, Any]:
    cc = st.column_config
    return {
        "job": cc.TextColumn("Job", width=110),
        "file": cc.TextColumn("File", width=190, help="The path within the upload"),
        "status": status_column(),
        "progress": cc.ProgressColumn(
            "Progress", min_value=0, max_value=100, format="%d%%", width="small"
        ),
        "category": cc.TextColumn("Category", width=140, help="An analyst's correction wins"),
        # A bar, and an empty cell for a document without one (a number column says "None").
        "confidence": cc.ProgressColumn(
            "Confidence", min_value=0, max_value=100, format="%.0f%%", width=95
        ),
        "notes": cc.TextColumn(
            "Notes",
            width="large",
            help="The error of a failed document; needs review; corrected by an analyst (the "
            "prediction is kept) or refined by the job's finishing step (the earlier answer "
            "is kept)",
        ),
    }


# --- many jobs -----------------------------------------------------------------------------


def jobs_frame(jobs: Sequence[JobOut]) -> pd.DataFrame:
    """Jobs with their progress and a link to each one's status page, in the given order."""
    rows = [
        {
            "job_id": j.job_id,
            "name": j.name or "",
            "link": status_link(j.job_id),
            "status": [j.status],
            "progress": float(j.progress),
            "files": j.total_files,
            "completed": j.completed,
            "failed": j.failed,
            "taxonomy": taxonomy_label(j.taxonomy_name),
            "classifier": j.classifier,
            "created": as_utc(j.created_at),
            "updated": as_utc(j.updated_at),
        }
        for j in jobs
    ]
    return pd.DataFrame(rows, columns=JOBS_COLUMNS)


def list_jobs_frame(
    service: Service,
    statuses: Sequence[str] | None,
    limit: int,
    offset: int,
    sort: str = "created_at",
    descending: bool = True,
) -> tuple[int, pd.DataFrame]:
    """Jobs in the chosen order (one page of them) and how many match the filter."""
    listing = service.list_jobs(
        statuses=list(statuses or []) or None,
        limit=limit,
        offset=offset,
        sort=sort,
        descending=descending,
    )
    return listing.total, jobs_frame(listing.jobs)


def jobs_table_config(tz: str) -> dict[str, Any]:
    cc = st.column_config
    return {
        "name": cc.TextColumn("Name", width=220),
        "link": cc.LinkColumn(
            "Job", display_text=r"job=([0-9a-f]{8})", help="Open the job's status page", width=80
        ),
        "status": status_column(statuses=JOB_STATUSES),
        "progress": cc.ProgressColumn(
            "Progress", min_value=0, max_value=100, format="%.0f%%", width="small"
        ),
        "files": cc.NumberColumn("Files", width=55),
        "completed": cc.NumberColumn("Done", width=55, help="Completed"),
        "failed": cc.NumberColumn("Failed", width=55),
        "taxonomy": cc.TextColumn("Taxonomy", width=100),
        "classifier": cc.TextColumn("Classifier", width=80),
        "created": cc.DatetimeColumn("Created", format="YYYY-MM-DD HH:mm", timezone=tz),
        "updated": cc.DatetimeColumn("Updated", format="YYYY-MM-DD HH:mm", timezone=tz),
    }


def recent_jobs(service: Service, tz: tzinfo | None = None, limit: int = 50) -> dict[str, str]:
    """Job id → label of the newest jobs, for pickers."""
    return {j.job_id: job_label(j, tz) for j in service.list_jobs(limit=limit).jobs}
