"""What can be wrong with one document, and the short messages that say so.

The runner stores an error as ``f"{type(exc).__name__}: {exc}"``, so the class names and
messages here are what an analyst reads and acts on.
"""

from __future__ import annotations

MB = 1024 * 1024


class DocumentError(Exception):
    """Base: a problem with one document.

    Stored as ``f"{type(exc).__name__}: {exc}"``, so class names and messages must be
    something an analyst can act on. Subclasses take exactly one message argument, which
    keeps them picklable across the worker-process boundary.
    """


class UnsupportedFormat(DocumentError):
    """The bytes are not a PDF, a Word document, plain text or an image we read (the message
    names what)."""


class EncryptedDocument(DocumentError):
    """The document cannot be read without a password."""


class CorruptDocument(DocumentError):
    """The file is the right type but broken; the message carries the reader's reason."""


class NoTextLayer(DocumentError):
    """A PDF with pages but no text, read with OCR off (``DOCCLASS_OCR=off``)."""


class NoTextFound(DocumentError):
    """A scan or an image in which OCR found no words (a picture, a blank page)."""


class OcrUnavailable(DocumentError):
    """A scan or an image that needs OCR, on an installation where the engine is missing.

    The message says what to install; the document reads once it is there (retry the job).
    """


class EmptyDocument(DocumentError):
    """A readable file with no text at all."""


class FileTooLarge(DocumentError):
    """Over the byte limit, or a ZIP that would inflate to far more (a zip bomb)."""


def _short(exc: BaseException, limit: int = 160) -> str:
    """``Type: message`` on one line, cut short: reader errors can be kilobytes long."""
    message = " ".join(str(exc).split())
    if len(message) > limit:
        message = message[: limit - 1] + "…"
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def _mb(n: int) -> str:
    """73.2 for sizes, 50 for round limits."""
    value = n / MB
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}"
