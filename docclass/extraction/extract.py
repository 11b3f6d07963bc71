"""The entry points: size check, type from the bytes, then the reader for that type.

Whatever a reader raises leaves here as a :class:`DocumentError` (or MemoryError, which the
runner reports against the memory cap): never a reader's raw exception.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from docclass.extraction.docx import _extract_docx
from docclass.extraction.errors import (
    MB,
    CorruptDocument,
    DocumentError,
    FileTooLarge,
    _mb,
    _short,
)
from docclass.extraction.images import _extract_image
from docclass.extraction.names import _KIND_BY_EXT, _KIND_LABEL, _ext
from docclass.extraction.pdf import _extract_pdf
from docclass.extraction.sniffing import _OLE_MAGIC, _sniff
from docclass.extraction.source import Extracted, _Source
from docclass.extraction.text import _extract_text
from docclass.settings import Limits

_DEFAULT_LIMITS = Limits()
_READERS = {
    "pdf": _extract_pdf,
    "docx": _extract_docx,
    "text": _extract_text,
    "image": _extract_image,
}
_LABEL = {"pdf": "PDF", "docx": "Word document", "text": "text file", "image": "image"}


def _extract(src: _Source, filename: str, limits: Limits) -> Extracted:
    size = src.size()
    if size > limits.max_file_bytes:
        raise FileTooLarge(f"file is {_mb(size)} MB; the limit is {_mb(limits.max_file_bytes)} MB")
    head = src.head()
    kind = "file"
    try:
        full = src.read() if head.startswith(_OLE_MAGIC) else None
        kind = _sniff(head, filename, full)
        warnings: list[str] = []
        ext = _ext(filename)
        if _KIND_BY_EXT.get(ext, kind) != kind:
            warnings.append(f"the name ends in {ext} but the file is {_KIND_LABEL[kind]}")
        return _READERS[kind](src, limits, warnings)
    except (DocumentError, MemoryError):
        raise
    except RecursionError as exc:
        raise CorruptDocument(f"unreadable {_LABEL.get(kind, kind)}: nested too deeply") from exc
    except Exception as exc:  # last resort: never let a reader's raw exception escape
        raise CorruptDocument(f"unreadable {_LABEL.get(kind, kind)} ({_short(exc)})") from exc


def check_sha256(path: Path, expected: str) -> None:
    """Refuse a stored copy whose bytes are no longer the ones that were uploaded.

    Uploads are stored under their sha256; a disk fault or a hand edit would otherwise be
    read, classified and exported as if it were the analyst's file.
    """
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(MB):
            digest.update(chunk)
    actual = digest.hexdigest()
    if actual != expected.lower():
        raise CorruptDocument(
            f"the stored copy {path.name} does not match the uploaded file (its sha256 is now "
            f"{actual[:12]}…, expected {expected[:12]}…): the copy on disk is damaged or was "
            "changed; upload the file again"
        )


def extract_file(
    path: str | os.PathLike[str],
    filename: str | None = None,
    limits: Limits = _DEFAULT_LIMITS,
    sha256: str | None = None,
) -> Extracted:
    """Text of the file at ``path``; ``filename`` is the original upload name (for messages).

    With ``sha256`` (hex), the file's bytes are checked against it before anything is read.
    Raises a :class:`DocumentError` subclass for anything wrong with the document, and
    MemoryError as itself (the runner reports it against the memory cap). An OSError from
    opening ``path`` is an environment problem, not a document one, and is not wrapped.
    """
    p = Path(path)
    if sha256 is not None:
        check_sha256(p, sha256)
    return _extract(_Source(path=p), p.name if filename is None else filename, limits)


def extract_bytes(data: bytes, filename: str, limits: Limits = _DEFAULT_LIMITS) -> Extracted:
    """Like :func:`extract_file` for bytes in memory; nothing is written to disk."""
    return _extract(_Source(data=bytes(data)), filename, limits)
