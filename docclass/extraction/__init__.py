"""Text out of one uploaded file: PDF, Word (OOXML) or plain text.

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
  :mod:`~docclass.extraction.text`: one reader per type.
- :mod:`~docclass.extraction.errors` and :mod:`~docclass.extraction.source`: what they share.
"""

from __future__ import annotations

from docclass.extraction.errors import (
    CorruptDocument,
    DocumentError,
    EmptyDocument,
    EncryptedDocument,
    FileTooLarge,
    NoTextLayer,
    UnsupportedFormat,
)
from docclass.extraction.extract import extract_bytes, extract_file
from docclass.extraction.sniffing import sniff
from docclass.extraction.source import Extracted

__all__ = [
    "CorruptDocument",
    "DocumentError",
    "EmptyDocument",
    "EncryptedDocument",
    "Extracted",
    "FileTooLarge",
    "NoTextLayer",
    "UnsupportedFormat",
    "extract_bytes",
    "extract_file",
    "sniff",
]
