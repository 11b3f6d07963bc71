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


# Stored error types a retry can cure (the machine, the network or the LLM had a bad moment,
# or the upload went missing and may be back), with the words the app shows for each.
# Every other failure says something about the file itself (encrypted, unsupported, no text
# layer, too large, corrupt) and would fail the same way again.
RETRYABLE = {
    "Timeout": "took too long",
    "WorkerCrashed": "reader crashed",
    "WorkerStopped": "worker stopped",
    "MemoryError": "out of memory",
    "LLMError": "LLM error",
    "MalformedAnswer": "LLM answer unreadable",
    "ClassificationError": "classifier error",
    "FileNotFoundError": "upload missing",
    "OSError": "file system error",
    "OcrUnavailable": "OCR model not installed",
}


def error_type(error: str | None) -> str:
    """The exception type of a stored error (``EncryptedDocument: …`` → ``EncryptedDocument``)."""
    if not error:
        return ""
    head = error.split(":", 1)[0].strip()
    return head if head.isidentifier() else "Error"


def is_retryable(error: str | None) -> bool:
    return error_type(error) in RETRYABLE
