"""Job and document states, and which of them are still moving.

Apart from :mod:`docclass.schemas` (which re-exports them) so that code needing only the
states, such as the command line's argument parser, imports no database layer.
"""

from __future__ import annotations

from enum import StrEnum


class JobStatus(StrEnum):
    pending = "pending"
    processing = "processing"
    # Every document is saved; the one thread that won the transition runs the batch pass.
    finishing = "finishing"
    completed = "completed"
    failed = "failed"
    cancelled = "cancelled"


class DocStatus(StrEnum):
    pending = "pending"
    processing = "processing"
    completed = "completed"
    failed = "failed"
    cancelled = "cancelled"


# The one definition of which states are still moving (views poll, workers claim, …).
ACTIVE_JOB = (JobStatus.pending, JobStatus.processing, JobStatus.finishing)
CLAIMABLE_JOB = (JobStatus.pending, JobStatus.processing)
UNFINISHED_DOC = (DocStatus.pending, DocStatus.processing)
DONE_DOC = (DocStatus.completed, DocStatus.failed)
