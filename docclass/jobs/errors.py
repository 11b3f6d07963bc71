"""How a document's failure is stored and shown: ``ExceptionType: message``."""

from __future__ import annotations


def describe_error(exc: BaseException) -> str:
    """The form every document error is stored in (one rule for the app, CLI and export)."""
    message = str(exc).strip() or repr(exc)
    return f"{type(exc).__name__}: {message}"[:2000]


class Timeout(Exception):
    """Reading the file took longer than the per-document limit; its process was killed."""


class WorkerCrashed(Exception):
    """The reader process died (memory cap, a crash in a native library)."""


class WorkerStopped(Exception):
    """The worker stopped before the document was read; it goes back to the queue."""


# Failures that say something about the file or the limits, not about our code: they are
# stored on the document without a warning in the log.
EXPECTED = (Timeout, WorkerCrashed, WorkerStopped, MemoryError)
