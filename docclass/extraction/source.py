"""The file being read, the text every reader hands back, and the one normalisation they share."""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

HEAD_BYTES = 8192


@dataclass
class Extracted:
    """Text of one document plus what is needed to cite and audit it."""

    text: str
    kind: str  # "pdf" | "docx" | "text" | "image"
    # "pypdfium2" | "pypdf" | "python-docx" | "text" | "ocr:tesseract" | "pypdfium2+ocr:tesseract"
    engine: str
    pages: int  # total pages (PDF, image frames); 1 for docx/text
    pages_read: int  # pages actually read (<= limits.max_pages)
    page_starts: list[int]  # offset in `text` where each read page starts (docx/text: [0])
    truncated: bool  # text cut at limits.max_chars or pages cut at max_pages
    encoding: str | None = None  # text files: detected encoding
    warnings: list[str] = field(default_factory=list)
    ocr_pages: int = 0  # pages whose text came from OCR
    ocr_confidence: float | None = None  # their mean word confidence, 0..1


_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f\ufffe\uffff]")
_LINE_BREAKS = re.compile(r"\r\n|[\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
_TRAILING_SPACE = re.compile(r"[ \t\u00a0]+\n")
_BLANK_RUNS = re.compile(r"\n{4,}")


def _normalise(text: str) -> str:
    """One line-break convention, no NULs/control codes, at most two blank lines in a row."""
    text = _LINE_BREAKS.sub("\n", text)
    text = _CONTROL.sub("", text)
    text = _TRAILING_SPACE.sub("\n", text)
    return _BLANK_RUNS.sub("\n\n\n", text).strip()


class _Source:
    """The file being read: a path on disk, or bytes already in memory."""

    def __init__(self, path: Path | None = None, data: bytes | None = None) -> None:
        if (path is None) == (data is None):
            raise ValueError("give a path or bytes")
        self.path = path
        self.data = data

    def _path(self) -> Path:
        assert self.path is not None
        return self.path

    def size(self) -> int:
        return len(self.data) if self.data is not None else self._path().stat().st_size

    def head(self, n: int = HEAD_BYTES) -> bytes:
        if self.data is not None:
            return self.data[:n]
        with self._path().open("rb") as fh:
            return fh.read(n)

    def read(self) -> bytes:
        return self.data if self.data is not None else self._path().read_bytes()

    @contextlib.contextmanager
    def open(self) -> Iterator[BinaryIO]:
        if self.data is not None:
            yield io.BytesIO(self.data)
        else:
            with self._path().open("rb") as fh:
                yield fh

    def pdfium_input(self) -> str | bytes:
        return self.data if self.data is not None else str(self._path())
