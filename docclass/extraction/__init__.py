"""Text out of one uploaded file: PDF, Word (OOXML), plain text or an image (OCR).

The runner calls :func:`extract_file` in a worker process with a timeout and a memory cap, so
this package only has to be *correct* about every file: either it returns text, or it raises
one :class:`DocumentError` subclass whose ``"ClassName: message"`` tells an analyst what to
do. The type of a file comes from its bytes (uploads are stored under their sha256, without
an extension); the original name only shapes the messages.

One module per stage, in the order a file meets them:

- :mod:`~docclass.extraction.extract`: the entry points and the table of readers.
- :mod:`~docclass.extraction.sniffing`: the type from the bytes (:mod:`.names` for what the
  name promised, :mod:`.ole` for legacy and encrypted Office files).
- :mod:`~docclass.extraction.pdf`, :mod:`~docclass.extraction.docx`,
  :mod:`~docclass.extraction.text`, :mod:`~docclass.extraction.images`: one reader per type.
- :mod:`~docclass.extraction.ocr` (the engine) and :mod:`~docclass.extraction.scans` (which
  PDF pages it reads): text for scans and images; :mod:`~docclass.extraction.forms`: why a
  PDF without text may be broken rather than scanned.
- :mod:`~docclass.extraction.errors` and :mod:`~docclass.extraction.source`: what they share.
"""

from __future__ import annotations

from typing import Any

from docclass.extraction.errors import (
    CorruptDocument,
    DocumentError,
    EmptyDocument,
    EncryptedDocument,
    FileTooLarge,
    NoTextFound,
    NoTextLayer,
    OcrUnavailable,
    UnsupportedFormat,
)
from docclass.extraction.source import Extracted

_READERS = {"extract_file": "extract", "extract_bytes": "extract", "sniff": "sniffing"}


def __getattr__(name: str) -> Any:
    """The readers (pypdfium2, pypdf, lxml, charset-normalizer) load on first use: the app
    process only needs the error types; reader processes preload the rest."""
    if name in _READERS:
        import importlib

        return getattr(importlib.import_module(f"{__name__}.{_READERS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "CorruptDocument",
    "DocumentError",
    "EmptyDocument",
    "EncryptedDocument",
    "Extracted",
    "FileTooLarge",
    "NoTextFound",
    "NoTextLayer",
    "OcrUnavailable",
    "UnsupportedFormat",
    "extract_bytes",
    "extract_file",
    "sniff",
]
