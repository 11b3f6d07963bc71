"""Text out of one uploaded file: PDF, Word (OOXML) or plain text.

The runner calls :func:`extract_file` in a worker process with a timeout and a memory cap, so
this module only has to be *correct* about every file: either it returns text, or it raises
one :class:`DocumentError` subclass whose ``"ClassName: message"`` tells an analyst what to
do. The type of a file comes from its bytes (uploads are stored under their sha256, without
an extension); the original name only shapes the messages.

- PDF: pypdfium2 first (fast, tolerant), pypdf when pdfium fails or finds no text.
- Word: the package is read with :mod:`zipfile` and its XML walked with lxml (python-docx's
  own XML library, python-docx's OPC part-name rules). Nothing but the parts that hold text
  is decompressed, so a dangling relationship or a ``.dotx`` content type does not stop us,
  merged table cells are not repeated, and a zip bomb is refused before inflating anything.
- Text: strict UTF-8 first, then charset-normalizer.
"""

from __future__ import annotations

import codecs
import contextlib
import io
import os
import re
import struct
import threading
import time
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO
from urllib.parse import unquote

import pypdf
import pypdfium2 as pdfium
from charset_normalizer import CharsetMatch, from_bytes
from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.packuri import PackURI
from lxml import etree
from pypdf import PasswordType
from pypdf.errors import FileNotDecryptedError

from docclass.settings import Limits

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

MB = 1024 * 1024
HEAD_BYTES = 8192
NO_TEXT_LAYER = "no extractable text (scanned image?)"
PASSWORD_REQUIRED = "password required"
ZIP_TOTAL_CAP = 500 * MB  # declared uncompressed bytes a Word package may hold
ZIP_RATIO_CAP = 200  # uncompressed/compressed ratio of one member that marks a bomb
ZIP_RATIO_MIN_BYTES = 20 * MB  # ...but only for members big enough to hurt

# pdfium is not thread-safe; the runner uses processes, but example folders are read in-process.
_PDFIUM_LOCK = threading.Lock()


# --------------------------------------------------------------------------- errors, result


class DocumentError(Exception):
    """Base: a problem with one document.

    Stored as ``f"{type(exc).__name__}: {exc}"``, so class names and messages must be
    something an analyst can act on. Subclasses take exactly one message argument, which
    keeps them picklable across the worker-process boundary.
    """


class UnsupportedFormat(DocumentError):
    """The bytes are not a PDF, a Word document or plain text (the message names what)."""


class EncryptedDocument(DocumentError):
    """The document cannot be read without a password."""


class CorruptDocument(DocumentError):
    """The file is the right type but broken; the message carries the reader's reason."""


class NoTextLayer(DocumentError):
    """A PDF with pages but no text: it needs OCR, which we do not do."""


class EmptyDocument(DocumentError):
    """A readable file with no text at all."""


class FileTooLarge(DocumentError):
    """Over the byte limit, or a ZIP that would inflate to far more (a zip bomb)."""


@dataclass
class Extracted:
    """Text of one document plus what is needed to cite and audit it."""

    text: str
    kind: str  # "pdf" | "docx" | "text"
    engine: str  # "pypdfium2" | "pypdf" | "python-docx" | "text"
    pages: int  # total pages (PDF); 1 for docx/text
    pages_read: int  # pages actually read (<= limits.max_pages)
    page_starts: list[int]  # offset in `text` where each read page starts (docx/text: [0])
    truncated: bool  # text cut at limits.max_chars or pages cut at max_pages
    encoding: str | None = None  # text files: detected encoding
    warnings: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- helpers


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


def _ext(filename: str) -> str:
    """Lower-case extension with its dot, '' when there is none."""
    return Path(filename).suffix.lower() if filename else ""


_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f\ufffe\uffff]")
_LINE_BREAKS = re.compile(r"\r\n|[\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
_TRAILING_SPACE = re.compile(r"[ \t\u00a0]+\n")
_BLANK_RUNS = re.compile(r"\n{4,}")
_UNMAPPED = re.compile(r"[\x00-\x08\x0e-\x1f]")


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


# --------------------------------------------------------------------------- type detection

_WORD_EXTS = frozenset({".docx", ".docm", ".dotx", ".dotm"})
_TEXT_EXTS = frozenset(
    {".txt", ".md", ".csv", ".text", ".log", ".tsv", ".json", ".xml", ".html", ".htm"}
)
_KIND_BY_EXT = {
    ".pdf": "pdf",
    **dict.fromkeys(_WORD_EXTS, "docx"),
    **dict.fromkeys(_TEXT_EXTS, "text"),
}
_KIND_LABEL = {"pdf": "a PDF", "docx": "a Word document", "text": "plain text"}

# (magic, offset, what it is); checked after PDF, ZIP and OLE. Magic numbers made only of
# printable ASCII ("MZ", "ID3"…) could begin a text file, so they count only for binary data.
_MAGIC: list[tuple[bytes, int, str]] = [
    (b"\x89PNG\r\n\x1a\n", 0, "a PNG image"),
    (b"\xff\xd8\xff", 0, "a JPEG image"),
    (b"GIF87a", 0, "a GIF image"),
    (b"GIF89a", 0, "a GIF image"),
    (b"II*\x00", 0, "a TIFF image"),
    (b"MM\x00*", 0, "a TIFF image"),
    (b"WEBP", 8, "a WebP image"),
    (b"ftypheic", 4, "a HEIC image"),
    (b"ftypavif", 4, "an AVIF image"),
    (b"8BPS", 0, "a Photoshop image"),
    (b"\x00\x00\x01\x00", 0, "an icon image"),
    (b"WAVE", 8, "a WAV audio file"),
    (b"AVI ", 8, "an AVI video"),
    (b"ID3", 0, "an MP3 audio file"),
    (b"OggS", 0, "an Ogg media file"),
    (b"fLaC", 0, "a FLAC audio file"),
    (b"ftyp", 4, "an MP4/QuickTime media file"),
    (b"\x1aE\xdf\xa3", 0, "a Matroska/WebM video"),
    (b"\x1f\x8b", 0, "a gzip archive"),
    (b"BZh", 0, "a bzip2 archive"),
    (b"\xfd7zXZ\x00", 0, "an xz archive"),
    (b"(\xb5/\xfd", 0, "a zstd archive"),
    (b"7z\xbc\xaf'\x1c", 0, "a 7-Zip archive"),
    (b"Rar!\x1a\x07", 0, "a RAR archive"),
    (b"ustar", 257, "a tar archive"),
    (b"\x7fELF", 0, "a Linux executable"),
    (b"MZ", 0, "a Windows executable"),
    (b"\xca\xfe\xba\xbe", 0, "a Java class file"),
    (b"SQLite format 3\x00", 0, "an SQLite database"),
    (b"\x00asm", 0, "a WebAssembly module"),
]

_PRINTABLE = re.compile(rb"[ -~]+")
_PDF_SYNTAX = re.compile(rb"\d+\s+\d+\s+obj\b|\bstartxref\b|\btrailer\s*<<")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_BOMS: list[tuple[bytes, str]] = [  # longest first: UTF-32-LE starts like UTF-16-LE
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
]


def _bom_codec(data: bytes) -> str | None:
    return next((codec for bom, codec in _BOMS if data.startswith(bom)), None)


def _best_charset(data: bytes) -> CharsetMatch | None:
    """charset-normalizer's best guess, but cp1252 wins a tie.

    French text in cp1252 scores exactly like cp1250 (which turns "crème" into "crčme"), and
    charset-normalizer then picks whichever it tried first; cp1252 is far more common.
    """
    matches = from_bytes(data)
    best = matches.best()
    if best is None or best.encoding == "cp1252":
        return best
    for match in matches:
        if (
            match.encoding == "cp1252"
            and abs(match.chaos - best.chaos) < 0.005
            and abs(match.coherence - best.coherence) < 0.005
        ):
            return match
    return best


def _utf16_guess(data: bytes) -> str | None:
    """'utf-16-le'/'-be' for BOM-less UTF-16 of mostly Latin text (zeros on one parity only)."""
    sample = data[: HEAD_BYTES - HEAD_BYTES % 2]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    zeros_even, zeros_odd = even.count(0) / len(even), odd.count(0) / len(odd)
    if zeros_odd > 0.6 and zeros_even < 0.02:
        return "utf-16-le"
    if zeros_even > 0.6 and zeros_odd < 0.02:
        return "utf-16-be"
    return None


_TEXT_CONTROLS = "\t\n\r\f\v\x1a"


def _text_kind(head: bytes) -> str | None:
    """What kind of text ``head`` is ("plain text", "an HTML page"…), or None for binary."""
    codec = _bom_codec(head)
    if codec is None and b"\x00" in head:
        codec = _utf16_guess(head)
        if codec is None:
            return None
    if codec is not None:
        text = head.decode(codec, errors="ignore")
    else:
        text = None
        for cut in range(4):  # the head may end inside a UTF-8 sequence
            with contextlib.suppress(UnicodeDecodeError):
                text = head[: len(head) - cut].decode("utf-8")
                break
        if text is None:
            best = _best_charset(head)
            if best is None:
                return None
            text = str(best)
    control = sum(1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in _TEXT_CONTROLS)
    if control > max(2, len(text) // 100):
        return None
    start = text.lstrip("\ufeff \t\r\n").lower()
    if start.startswith(("<!doctype html", "<html")):
        return "an HTML page"
    if start.startswith("<?xml"):
        return "an XML file"
    if start.startswith("{\\rtf"):
        return "an RTF document"
    if start.startswith("%!ps"):
        return "a PostScript file"
    return "plain text"


def _bare(what: str) -> str:
    """'a PNG image' -> 'PNG image'."""
    for article in ("a ", "an "):
        if what.startswith(article):
            return what[len(article) :]
    return what


def _mismatch(ext: str, what: str) -> str:
    """'.pdf file is really X' when the name promised something else; else 'unsupported…'."""
    if ext in _KIND_BY_EXT:
        return f"{ext} file is really {what}"
    suffix = f" ({ext})" if ext and ext not in what else ""
    return f"unsupported file type: {_bare(what)}{suffix}"


def _zip_hint(head: bytes) -> str:
    """Best guess at what a ZIP is from the member names visible in its first bytes."""
    if b"mimetypeapplication/vnd.oasis.opendocument.text" in head:
        return "an OpenDocument text file (.odt)"
    if b"mimetypeapplication/vnd.oasis.opendocument" in head:
        return "an OpenDocument file"
    if b"mimetypeapplication/epub+zip" in head:
        return "an EPUB e-book"
    if b"xl/" in head:
        return "an Excel workbook (.xlsx)"
    if b"ppt/" in head:
        return "a PowerPoint presentation (.pptx)"
    return "a ZIP archive"


def sniff(head: bytes, filename: str) -> str:
    """Decide "pdf" | "docx" | "text" from the first bytes of a file (8 KB is plenty).

    Bytes win over the name; when they disagree and the bytes are not something we read, the
    error names what the file really is (".pdf file is really a ZIP archive").
    """
    return _sniff(head, filename, full=None)


def _sniff(head: bytes, filename: str, full: bytes | None) -> str:
    ext = _ext(filename)
    if not head:
        raise EmptyDocument("file is empty (0 bytes)")
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(_ZIP_MAGICS):
        # A Word package's first members are [Content_Types].xml, _rels/.rels, word/…; a
        # ZIP under a Word name (or none) is checked member by member when it is opened.
        if ext in _WORD_EXTS or ext in ("", ".doc", ".zip") or b"word/" in head:
            return "docx"
        raise UnsupportedFormat(_mismatch(ext, _zip_hint(head)))
    if head.startswith(_OLE_MAGIC):
        raise _ole_error(full if full is not None else head, ext)
    magic = next(((m, what) for m, at, what in _MAGIC if head[at : at + len(m)] == m), None)
    if magic is not None and not _PRINTABLE.fullmatch(magic[0]):
        raise UnsupportedFormat(_mismatch(ext, magic[1]))
    text_kind = _text_kind(head)
    if text_kind is not None:
        if text_kind in ("an RTF document", "a PostScript file"):
            raise UnsupportedFormat(_mismatch(ext, text_kind))
        if ext in _TEXT_EXTS or ext == "":
            return "text"
        if ext == ".pdf" and _PDF_SYNTAX.search(head):
            raise CorruptDocument("not a PDF: no %PDF- header in the first 1024 bytes")
        if ext in _KIND_BY_EXT:
            raise UnsupportedFormat(f"{ext} file is really {text_kind}")
        raise UnsupportedFormat(
            f"unsupported file type: {ext} ({_bare(text_kind)}); "
            "rename it to .txt to read it as text"
        )
    if magic is not None:
        raise UnsupportedFormat(_mismatch(ext, magic[1]))
    if ext == ".pdf":
        raise CorruptDocument("not a PDF: no %PDF- header in the first 1024 bytes")
    if ext in _WORD_EXTS:
        raise CorruptDocument(f"not a Word document: {ext} file is neither a ZIP nor an OLE file")
    if ext in _TEXT_EXTS:
        raise UnsupportedFormat(f"{ext} file is really binary data, not text")
    raise UnsupportedFormat(f"unsupported file type: binary data{f' ({ext})' if ext else ''}")


# --------------------------------------------------------------------------- OLE (legacy Office)


def _ole_entries(data: bytes) -> list[tuple[str, int, int]] | None:
    """(name, start sector, size) of each entry in an OLE directory; None if unreadable.

    A minimal Compound File Binary reader: enough to tell an encrypted OOXML package
    (``EncryptionInfo`` stream) from a legacy ``WordDocument`` without trusting any count.
    """
    if len(data) < 512:
        return None
    shift = struct.unpack_from("<H", data, 0x1E)[0]
    if shift not in (9, 12):
        return None
    ss = 1 << shift
    n_sectors = max(0, len(data) // ss - 1)
    n_fat, first_dir = struct.unpack_from("<II", data, 0x2C)
    first_difat, n_difat = struct.unpack_from("<II", data, 0x44)

    def sector(n: int) -> bytes:
        return data[(n + 1) * ss : (n + 2) * ss] if n < n_sectors else b""

    fat_sectors = [s for s in struct.unpack_from("<109I", data, 0x4C) if s < n_sectors]
    seen: set[int] = set()
    nxt = first_difat
    while nxt < n_sectors and nxt not in seen and len(seen) < n_difat and len(fat_sectors) < n_fat:
        seen.add(nxt)
        raw = sector(nxt)
        if len(raw) < ss:
            break
        values = struct.unpack(f"<{ss // 4}I", raw)
        fat_sectors.extend(s for s in values[:-1] if s < n_sectors)
        nxt = values[-1]
    fat: list[int] = []
    for s in fat_sectors[: max(n_fat, 1)]:
        raw = sector(s)
        if len(raw) == ss:
            fat.extend(struct.unpack(f"<{ss // 4}I", raw))
    entries: list[tuple[str, int, int]] = []
    seen.clear()
    nxt = first_dir
    while nxt < n_sectors and nxt not in seen:
        seen.add(nxt)
        raw = sector(nxt)
        for off in range(0, len(raw) - 127, 128):
            name_len, kind = struct.unpack_from("<HB", raw, off + 64)
            if kind not in (1, 2, 5) or not 2 <= name_len <= 64:
                continue
            name = raw[off : off + name_len - 2].decode("utf-16-le", errors="replace")
            start, size = struct.unpack_from("<II", raw, off + 116)
            entries.append((name, start, size))
        nxt = fat[nxt] if nxt < len(fat) else n_sectors
    return entries or None


def _legacy_word_encrypted(data: bytes, start: int, size: int) -> bool | None:
    """fEncrypted/fObfuscated from the FIB at the start of the WordDocument stream."""
    shift = struct.unpack_from("<H", data, 0x1E)[0]
    cutoff = struct.unpack_from("<I", data, 0x38)[0]
    if size < cutoff:  # in the mini stream; rare for a real document, not worth a walk
        return None
    ss = 1 << shift
    fib = data[(start + 1) * ss : (start + 1) * ss + 12]
    if len(fib) < 12 or struct.unpack_from("<H", fib, 0)[0] != 0xA5EC:
        return None
    flags = struct.unpack_from("<H", fib, 0x0A)[0]
    return bool(flags & 0x0100 or flags & 0x8000)


def _ole_error(data: bytes, ext: str) -> DocumentError:
    """The error for an OLE compound file: encrypted OOXML, legacy .doc, or other Office file."""
    entries = _ole_entries(data)
    if entries is None:
        return EncryptedDocument("password-protected or legacy .doc Word file (OLE container)")
    names = {name for name, _, _ in entries}
    if "EncryptionInfo" in names or "EncryptedPackage" in names:
        app = {".xlsx": "Excel", ".xlsm": "Excel", ".pptx": "PowerPoint"}.get(ext, "Word")
        return EncryptedDocument(
            f"password-protected {app} file (encrypted OOXML package in an OLE container); "
            "remove the password and upload it again"
        )
    word = next(((s, n) for name, s, n in entries if name == "WordDocument"), None)
    if word is not None:
        named = f"{ext} file is really a " if ext and ext != ".doc" else ""
        if _legacy_word_encrypted(data, *word):
            return EncryptedDocument(
                f"{named}password-protected legacy .doc Word file (Word 97-2003); "
                "remove the password and save it as .docx"
            )
        return UnsupportedFormat(
            f"{named}legacy .doc Word file (Word 97-2003, OLE container); save it as .docx or PDF"
        )
    if names & {"Workbook", "Book"}:
        return UnsupportedFormat(_mismatch(ext, "a legacy .xls Excel workbook"))
    if "PowerPoint Document" in names:
        return UnsupportedFormat(_mismatch(ext, "a legacy .ppt PowerPoint presentation"))
    if any(name.startswith("__substg1.0_") for name in names):
        return UnsupportedFormat(_mismatch(ext, "an Outlook message (.msg)"))
    return UnsupportedFormat(_mismatch(ext, "an OLE compound file (legacy Microsoft Office)"))


# --------------------------------------------------------------------------- pages → text


class _Pages:
    """Joins page texts with blank lines, remembering where each page starts, up to a cap."""

    def __init__(self, max_chars: int) -> None:
        self.max_chars = max_chars
        self.parts: list[str] = []
        self.starts: list[int] = []
        self.length = 0
        self.truncated = False
        self.unmapped = 0  # glyph codes a font could not map to Unicode (control characters)

    @property
    def full(self) -> bool:
        return self.length >= self.max_chars

    def add(self, raw: str) -> None:
        self.unmapped += len(_UNMAPPED.findall(raw))
        text = _normalise(raw)
        sep = "\n\n" if self.length and text else ""
        start = self.length + len(sep)
        room = self.max_chars - start
        if len(text) > room:
            text, self.truncated = text[: max(room, 0)].rstrip(), True
            sep = sep if text else ""
            start = self.length + len(sep)
        self.starts.append(start if text else self.length)
        if text:
            self.parts += [sep, text]
            self.length = start + len(text)

    @property
    def text(self) -> str:
        return "".join(self.parts)


@dataclass
class _PdfRead:
    """What one PDF engine got out of a file."""

    pages: int
    acc: _Pages
    failed_pages: list[int]
    first_page_error: str | None = None
    text_objects: int = 0  # pdfium: text objects on the pages read...
    chars: int = 0  # ...and the characters it found in them

    @property
    def dropped_chars(self) -> bool:
        """Far more text objects than characters: pdfium skipped a font (pypdf may not)."""
        return self.text_objects > 2 * self.chars + 20

    @property
    def visible(self) -> int:
        return sum(not ch.isspace() for ch in self.acc.text)


def _failed_pages_warning(engine: str, read: _PdfRead) -> str | None:
    if not read.failed_pages:
        return None
    shown = ", ".join(str(i + 1) for i in read.failed_pages[:10])
    more = f" and {len(read.failed_pages) - 10} more" if len(read.failed_pages) > 10 else ""
    return f"{engine} could not read page(s) {shown}{more} ({read.first_page_error})"


def _count_text_objects(page: pdfium.PdfPage) -> int:
    """Top-level text objects on a page (cheap: no Python wrappers)."""
    n = pdfium.raw.FPDFPage_CountObjects(page.raw)
    text_type = pdfium.raw.FPDF_PAGEOBJ_TEXT
    get, kind = pdfium.raw.FPDFPage_GetObject, pdfium.raw.FPDFPageObj_GetType
    return sum(1 for i in range(n) if kind(get(page.raw, i)) == text_type)


class _OutOfTime(Exception):
    """An optional second reading ran past its time budget."""


def _read_pages(
    read: _PdfRead,
    max_pages: int,
    page_text: Callable[[int], str],
    page_errors: type[Exception] | tuple[type[Exception], ...],
    deadline: float | None = None,
) -> Exception | None:
    """Add page after page to ``read`` until max_pages or max_chars; return the first error.

    A page that fails is recorded and skipped: one bad page must not cost the others.
    """
    first_error: Exception | None = None
    for index in range(min(read.pages, max_pages)):
        if read.acc.full:
            read.acc.truncated = True
            break
        if deadline is not None and time.monotonic() > deadline:
            raise _OutOfTime
        try:
            text = page_text(index)
        except (MemoryError, FileNotDecryptedError):
            raise
        except page_errors as exc:
            read.failed_pages.append(index)
            read.first_page_error = read.first_page_error or _short(exc, 80)
            first_error = first_error or exc
            text = ""
        read.acc.add(text)
    return first_error


def _pdf_pdfium(src: _Source, limits: Limits) -> _PdfRead:
    """Text of each page with pypdfium2, closing every handle as soon as it is done."""
    with _PDFIUM_LOCK:
        pdf = pdfium.PdfDocument(src.pdfium_input())
        try:
            read = _PdfRead(pages=len(pdf), acc=_Pages(limits.max_chars), failed_pages=[])

            def page_text(index: int) -> str:
                page = pdf[index]
                try:
                    textpage = page.get_textpage()
                    try:
                        read.chars += textpage.count_chars()
                        text = textpage.get_text_range()
                    finally:
                        textpage.close()
                    read.text_objects += _count_text_objects(page)
                    return text
                finally:
                    page.close()

            _read_pages(read, limits.max_pages, page_text, pdfium.PdfiumError)
            return read
        finally:
            pdf.close()


def _pdf_pypdf(src: _Source, limits: Limits, deadline: float | None = None) -> _PdfRead:
    """Text of each page with pypdf; raises EncryptedDocument if a user password is needed."""
    with src.open() as fh:
        reader = pypdf.PdfReader(fh)
        if reader.is_encrypted:
            try:
                result = reader.decrypt("")
            except NotImplementedError as exc:
                raise EncryptedDocument(f"encrypted with an unsupported method ({exc})") from exc
            if result == PasswordType.NOT_DECRYPTED:
                raise EncryptedDocument(PASSWORD_REQUIRED)
        read = _PdfRead(pages=len(reader.pages), acc=_Pages(limits.max_chars), failed_pages=[])
        # pypdf raises builtins (TypeError, KeyError, AssertionError…) on bad pages.
        error = _read_pages(
            read, limits.max_pages, lambda i: reader.pages[i].extract_text(), Exception, deadline
        )
        if error is not None and len(read.failed_pages) == len(read.acc.starts):
            raise error  # not one page readable: the file is broken, not image-only
        return read


_PDFIUM_ERRORS = {
    0: "no readable pages",
    1: "unknown error",
    2: "file could not be opened",
    3: "not a PDF or corrupted",
    4: PASSWORD_REQUIRED,
    5: "unsupported security handler",
    6: "page not found or content error",
}


def _pdfium_reason(exc: Exception) -> str:
    code = getattr(exc, "err_code", None)
    return _PDFIUM_ERRORS.get(code, _short(exc)) if code is not None else _short(exc)


def _finish_pdf(read: _PdfRead, engine: str, limits: Limits, warnings: list[str]) -> Extracted:
    acc = read.acc
    truncated = acc.truncated or read.pages > limits.max_pages
    if read.pages > limits.max_pages:
        warnings.append(f"read the first {limits.max_pages} of {read.pages} pages")
    if acc.unmapped > 0.3 * (acc.unmapped + len(acc.text)):
        warnings.append(
            f"{acc.unmapped} characters use fonts without a Unicode map and were dropped; "
            "the text is incomplete (OCR may do better)"
        )
    return Extracted(
        text=acc.text,
        kind="pdf",
        engine=engine,
        pages=read.pages,
        pages_read=len(acc.starts),
        page_starts=list(acc.starts),
        truncated=truncated,
        warnings=warnings,
    )


def _pypdf_if_better(src: _Source, limits: Limits, first: _PdfRead) -> _PdfRead | None:
    """pypdf's reading when it finds clearly more text than pdfium did; else None.

    pdfium's text is already good enough to keep, so pypdf gets a quarter of the document's
    time budget: a slow pypdf must not turn a readable file into a timeout.
    """
    try:
        second = _pdf_pypdf(src, limits, deadline=time.monotonic() + limits.doc_timeout_s / 4)
    except MemoryError:
        raise
    except Exception:  # pdfium's text stands
        return None
    return second if second.visible > 1.5 * first.visible else None


def _extract_pdf(src: _Source, limits: Limits, warnings: list[str]) -> Extracted:
    """pypdfium2 first; pypdf when pdfium cannot open the file or finds no text in it."""
    first: _PdfRead | None = None
    first_error: Exception | None = None
    try:
        first = _pdf_pdfium(src, limits)
    except MemoryError:
        raise
    except Exception as exc:  # PdfiumError, or ctypes trouble on a hostile file
        first_error = exc
    if first is not None and first.acc.length:
        if first.dropped_chars:
            better = _pypdf_if_better(src, limits, first)
            if better is not None:
                warnings.append("pypdfium2 skipped the text of some fonts; used pypdf")
                note = _failed_pages_warning("pypdf", better)
                return _finish_pdf(better, "pypdf", limits, warnings + ([note] if note else []))
        note = _failed_pages_warning("pypdfium2", first)
        return _finish_pdf(first, "pypdfium2", limits, warnings + ([note] if note else []))

    if first is None:
        assert first_error is not None
        pdfium_said = _pdfium_reason(first_error)
        fallback_note = f"pypdfium2 failed ({pdfium_said}); used pypdf"
    else:
        pdfium_said = _failed_pages_warning("pypdfium2", first) or "pypdfium2 found no text"
        pdfium_said = pdfium_said.removeprefix("pypdfium2 ")
        fallback_note = f"pypdfium2 {pdfium_said}; used pypdf"
    try:
        second = _pdf_pypdf(src, limits)
    except MemoryError:
        raise
    except (EncryptedDocument, FileNotDecryptedError) as exc:
        if first is not None:  # pdfium opened it: pypdf's view of the encryption is wrong
            raise NoTextLayer(NO_TEXT_LAYER) from exc
        if isinstance(exc, EncryptedDocument):
            raise
        raise EncryptedDocument(PASSWORD_REQUIRED) from exc
    except Exception as exc:  # pypdf raises TypeError, AssertionError, KeyError… on bad files
        if first is not None and len(first.failed_pages) < len(first.acc.starts):
            raise NoTextLayer(NO_TEXT_LAYER) from exc  # pdfium read pages and found no text
        if getattr(first_error, "err_code", None) == 4:
            raise EncryptedDocument(PASSWORD_REQUIRED) from exc
        raise CorruptDocument(
            f"unreadable PDF (pypdfium2: {pdfium_said}; pypdf: {_short(exc)})"
        ) from exc

    if second.acc.length:
        warnings.append(fallback_note)
        note = _failed_pages_warning("pypdf", second)
        return _finish_pdf(second, "pypdf", limits, warnings + ([note] if note else []))
    if max(second.pages, first.pages if first else 0) == 0:
        raise CorruptDocument("PDF has no pages")
    raise NoTextLayer(NO_TEXT_LAYER)


# --------------------------------------------------------------------------- Word (OOXML)

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_W_STRICT = "http://purl.oclc.org/ooxml/wordprocessingml/main"
_M = "http://schemas.openxmlformats.org/officeDocument/2006/math"
_M_STRICT = "http://purl.oclc.org/ooxml/officeDocument/math"
_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_R_STRICT = "http://purl.oclc.org/ooxml/officeDocument/relationships"
_MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
_V = "urn:schemas-microsoft-com:vml"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_PKG_CT = "http://schemas.openxmlformats.org/package/2006/content-types"

_WORD_MAIN_TYPES = frozenset(
    {
        CT.WML_DOCUMENT_MAIN,
        "application/vnd.ms-word.document.macroEnabled.main+xml",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml",
        "application/vnd.ms-word.template.macroEnabledTemplate.main+xml",
    }
)
_OTHER_MAIN_TYPES = {
    CT.SML_SHEET_MAIN: "an Excel workbook (.xlsx)",
    CT.SML_TEMPLATE_MAIN: "an Excel template (.xltx)",
    "application/vnd.ms-excel.sheet.macroEnabled.main+xml": "an Excel workbook (.xlsm)",
    CT.PML_PRESENTATION_MAIN: "a PowerPoint presentation (.pptx)",
    CT.PML_TEMPLATE_MAIN: "a PowerPoint template (.potx)",
    "application/vnd.ms-powerpoint.presentation.macroEnabled.main+xml": "a PowerPoint (.pptm)",
}


def _w_tags(*local: str) -> frozenset[str]:
    return frozenset(f"{{{ns}}}{name}" for ns in (_W, _W_STRICT) for name in local)


_TEXT_TAGS = _w_tags("t") | {f"{{{_M}}}t", f"{{{_M_STRICT}}}t"}
_TAB_TAGS = _w_tags("tab", "ptab")
_BREAK_TAGS = _w_tags("br", "cr")
_HYPHEN_TAGS = _w_tags("noBreakHyphen")
_PARA_TAGS = _w_tags("p")
# Subtrees never read: tab-stop definitions (w:tab inside w:pPr), deleted and moved-away runs.
# Field codes (w:instrText) and deleted text (w:delText) are not w:t, so they are never read.
_SKIP_TAGS = _w_tags("pPr", "del", "moveFrom")
_TEXTPATH = f"{{{_V}}}textpath"
_HEADER_REF = _w_tags("headerReference")
_FOOTER_REF = _w_tags("footerReference")
_REL_ID_ATTRS = (f"{{{_R}}}id", f"{{{_R_STRICT}}}id")
_NOTE_TAGS = _w_tags("footnote", "endnote")
_PICTURE_TAGS = _w_tags("drawing", "pict", "object")

_XML_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
)
_XML_RECOVER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, recover=True
)


class _Sink:
    """Collects text pieces, and says when enough has been kept to fill ``max_chars``."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.pieces: list[str] = []
        self.size = 0

    def add(self, piece: str) -> None:
        if piece:
            self.pieces.append(piece)
            self.size += len(piece)

    @property
    def full(self) -> bool:
        return self.size >= self.cap

    def text(self) -> str:
        return "".join(self.pieces)


def _own_text(el: etree._Element) -> str:
    """Text of a ``w:t`` without expanding entity references (their tails are kept)."""
    parts = [el.text or ""]
    parts += [child.tail or "" for child in el]
    return "".join(parts)


def _has_text(el: etree._Element) -> bool:
    return next(el.iter(*_TEXT_TAGS), None) is not None


def _pick_alternate_content(root: etree._Element) -> None:
    """Keep one branch of each ``mc:AlternateContent``: a Choice with text, else the Fallback.

    Text boxes are stored twice (DrawingML Choice, VML Fallback); reading both doubles them.
    """
    choice_tag, fallback_tag = f"{{{_MC}}}Choice", f"{{{_MC}}}Fallback"
    for alt in list(root.iter(f"{{{_MC}}}AlternateContent")):
        children = [c for c in alt if c.tag in (choice_tag, fallback_tag)]
        keep = next((c for c in children if c.tag == choice_tag and _has_text(c)), None)
        if keep is None:
            keep = next((c for c in children if c.tag == fallback_tag), None)
        for child in children:
            if child is not keep:
                alt.remove(child)


def _walk(root: etree._Element, sink: _Sink) -> None:
    """Document-order text: runs, tabs, breaks; a newline per paragraph; no deleted text."""
    _pick_alternate_content(root)
    walker = etree.iterwalk(root, events=("start", "end"))
    for event, el in walker:
        tag = el.tag
        if not isinstance(tag, str):  # comments, processing instructions, entities
            continue
        if event == "end":
            if tag in _PARA_TAGS:
                sink.add("\n")
                if sink.full:
                    return
            continue
        if tag in _SKIP_TAGS:
            walker.skip_subtree()
        elif tag in _TEXT_TAGS:
            sink.add(_own_text(el))
            walker.skip_subtree()
        elif tag in _TAB_TAGS:
            sink.add("\t")
        elif tag in _BREAK_TAGS:
            sink.add("\n")
        elif tag in _HYPHEN_TAGS:
            sink.add("-")
        elif tag == _TEXTPATH and el.get("string"):  # WordArt, e.g. a CONFIDENTIAL watermark
            sink.add(el.get("string", "") + "\n")


def _zip_reason(exc: Exception) -> str:
    message = str(exc)
    if message == "File is not a zip file":
        return "truncated or damaged ZIP archive (end of central directory not found)"
    return f"damaged ZIP archive ({_short(exc)})"


class _Package:
    """Just enough of an OPC package: parts by name, relationships, content types."""

    def __init__(self, zf: zipfile.ZipFile, warnings: list[str]) -> None:
        self.zf = zf
        self.warnings = warnings
        self.infos: dict[str, zipfile.ZipInfo] = {}
        for info in zf.infolist():
            self.infos.setdefault(info.filename.lstrip("/").lower(), info)

    def has(self, partname: str) -> bool:
        return partname.lstrip("/").lower() in self.infos

    def read(self, partname: str) -> bytes | None:
        info = self.infos.get(partname.lstrip("/").lower())
        if info is None:
            return None
        if info.flag_bits & 0x1:
            raise EncryptedDocument("the ZIP archive is password-protected")
        try:
            return self.zf.read(info)
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
            raise CorruptDocument(f"damaged ZIP member {info.filename} ({_short(exc)})") from exc
        except NotImplementedError as exc:
            raise CorruptDocument(f"ZIP member {info.filename} uses {exc}") from exc

    def xml(self, partname: str) -> etree._Element | None:
        """Parse a part without resolving entities or DTDs; salvage what we can if broken."""
        data = self.read(partname)
        if data is None:
            return None
        name = partname.lstrip("/")
        if b"<!DOCTYPE" in data[:2048] or b"<!ENTITY" in data[:4096]:
            self.warnings.append(f"{name} declares a DTD; entities were not resolved")
        try:
            return etree.fromstring(data, _XML_PARSER)
        except etree.XMLSyntaxError as exc:
            root = None
            with contextlib.suppress(etree.XMLSyntaxError, ValueError):
                root = etree.fromstring(data, _XML_RECOVER)
            if root is None:
                raise CorruptDocument(f"broken XML in {name} ({_short(exc)})") from exc
            self.warnings.append(f"{name} is damaged ({_short(exc, 80)}); kept the readable part")
            return root

    def rels(self, partname: str) -> list[tuple[str, str, str]]:
        """(type suffix, target part name, id) of a part's internal relationships."""
        source = PackURI("/" + partname.lstrip("/"))  # "/" is the package itself
        try:
            root = self.xml(source.rels_uri)
        except CorruptDocument as exc:
            self.warnings.append(str(exc))
            return []
        if root is None:
            return []
        out = []
        for rel in root.iter(f"{{{_PKG_REL}}}Relationship"):
            target, rtype = rel.get("Target"), rel.get("Type") or ""
            if not target or rel.get("TargetMode") == "External":
                continue
            with contextlib.suppress(ValueError):
                resolved = PackURI.from_rel_ref(source.baseURI, unquote(target.replace("\\", "/")))
                out.append((rtype.rsplit("/", 1)[-1], str(resolved), rel.get("Id") or ""))
        return out

    def content_type(self, partname: str) -> str | None:
        try:
            root = self.xml("/[Content_Types].xml")
        except CorruptDocument:
            return None
        if root is None:
            return None
        name = partname.lower()
        for el in root.iter(f"{{{_PKG_CT}}}Override"):
            if (el.get("PartName") or "").lower() == name:
                return el.get("ContentType")
        ext = name.rsplit(".", 1)[-1]
        for el in root.iter(f"{{{_PKG_CT}}}Default"):
            if (el.get("Extension") or "").lower() == ext:
                return el.get("ContentType")
        return None


def _check_zip_bomb(zf: zipfile.ZipFile, limits: Limits) -> None:
    """Refuse a package whose declared sizes would inflate far beyond what a document needs.

    zipfile never inflates a member past its declared size, so the declared sizes bound
    the work; they are checked before anything is decompressed.
    """
    cap = min(ZIP_TOTAL_CAP, 20 * limits.max_file_bytes)
    infos = zf.infolist()
    total = sum(info.file_size for info in infos)
    if total > cap:
        raise FileTooLarge(f"zip declares {_mb(total)} MB uncompressed (zip bomb?)")
    for info in infos:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size >= ZIP_RATIO_MIN_BYTES and ratio > ZIP_RATIO_CAP:
            raise FileTooLarge(
                f"zip declares {_mb(total)} MB uncompressed (zip bomb?): {info.filename} "
                f"would expand {ratio:.0f}×"
            )


def _not_word(pkg: _Package) -> UnsupportedFormat:
    """Name the kind of ZIP that is not a Word document."""
    if pkg.has("xl/workbook.xml"):
        return UnsupportedFormat("file is an Excel workbook (.xlsx), not a Word document")
    if pkg.has("ppt/presentation.xml"):
        return UnsupportedFormat("file is a PowerPoint presentation (.pptx), not a Word document")
    mimetype = (pkg.read("mimetype") or b"")[:100].decode("ascii", errors="replace")
    if mimetype.startswith("application/vnd.oasis.opendocument"):
        return UnsupportedFormat(f"file is an OpenDocument file ({mimetype}), not a Word document")
    if mimetype == "application/epub+zip":
        return UnsupportedFormat("file is an EPUB e-book, not a Word document")
    return UnsupportedFormat("file is a ZIP archive but not a Word document (no word/document.xml)")


@dataclass
class _DocxText:
    blocks: list[str]  # headers, body, footnotes, endnotes, footers; empty ones dropped
    cut: bool  # stopped collecting at the character cap
    pictures: bool  # the body has drawings, pictures or embedded objects


def _docx_blocks(pkg: _Package, limits: Limits) -> _DocxText:
    """The text blocks of the main document part and the parts it references."""
    main_rel = next((t for kind, t, _ in pkg.rels("/") if kind == "officeDocument"), None)
    if main_rel is None or not pkg.has(main_rel):
        if not pkg.has("word/document.xml"):
            raise _not_word(pkg)
        if main_rel is not None or pkg.has("_rels/.rels"):
            pkg.warnings.append("package relationships are broken; read word/document.xml")
        main_rel = "/word/document.xml"
    content_type = pkg.content_type(main_rel)
    if content_type in _OTHER_MAIN_TYPES:
        raise UnsupportedFormat(f"file is {_OTHER_MAIN_TYPES[content_type]}, not a Word document")
    root = pkg.xml(main_rel)
    assert root is not None  # has() was checked
    qname = etree.QName(root)
    if qname.localname != "document" or qname.namespace not in (_W, _W_STRICT):
        raise UnsupportedFormat(
            "file is an Office package but not a Word document "
            f"(its main part {main_rel.lstrip('/')} holds <{qname.localname}>)"
        )
    if content_type is not None and content_type not in _WORD_MAIN_TYPES:
        pkg.warnings.append(f"unexpected content type for the main part: {content_type}")
    if qname.namespace == _W_STRICT:
        pkg.warnings.append("ISO Strict OOXML document")

    cap = limits.max_chars * 2 + 10_000  # normalising only shrinks text; this is plenty
    rels = pkg.rels(main_rel)
    by_id = {rid: target for _, target, rid in rels}
    header_ids: list[str] = []
    footer_ids: list[str] = []
    for el in root.iter(*_HEADER_REF, *_FOOTER_REF):
        rid = next((el.get(a) for a in _REL_ID_ATTRS if el.get(a)), None)
        bucket = header_ids if el.tag in _HEADER_REF else footer_ids
        if rid and rid not in bucket:
            bucket.append(rid)

    cut = False

    def read_part(partname: str, notes: bool = False) -> str:
        nonlocal cut
        part_root = root if partname == main_rel else pkg.xml(partname)
        if part_root is None:
            return ""
        sink = _Sink(cap)
        if notes:
            for note in part_root.iter(*_NOTE_TAGS):
                note_type = note.get(f"{{{_W}}}type") or note.get(f"{{{_W_STRICT}}}type")
                if note_type not in (None, "normal"):  # separators, continuation notices
                    continue
                _walk(note, sink)
                if sink.full:
                    break
        else:
            body = part_root.find(f"{{{qname.namespace}}}body")
            _walk(body if body is not None else part_root, sink)
        cut = cut or sink.full
        return _normalise(sink.text())

    def parts_for(ids: list[str]) -> list[str]:
        out: list[str] = []
        for rid in ids:
            target = by_id.get(rid)
            if target is not None and pkg.has(target):
                text = read_part(target)
                if text and text not in out:  # sections often repeat the same header
                    out.append(text)
        return out

    blocks = parts_for(header_ids)
    blocks.append(read_part(main_rel))
    for kind in ("footnotes", "endnotes"):
        target = next((t for k, t, _ in rels if k == kind), f"/word/{kind}.xml")
        if pkg.has(target):
            blocks.append(read_part(target, notes=True))
    blocks += parts_for(footer_ids)
    pictures = next(root.iter(*_PICTURE_TAGS), None) is not None
    return _DocxText([b for b in blocks if b], cut, pictures)


def _extract_docx(src: _Source, limits: Limits, warnings: list[str]) -> Extracted:
    """Word text via the package's relationships; see :func:`_docx_blocks` for the order."""
    with src.open() as fh:
        try:
            zf = zipfile.ZipFile(fh)
        except zipfile.BadZipFile as exc:
            raise CorruptDocument(_zip_reason(exc)) from exc
        except (OSError, EOFError, ValueError, zipfile.LargeZipFile) as exc:
            raise CorruptDocument(f"damaged ZIP archive ({_short(exc)})") from exc
        with zf:
            _check_zip_bomb(zf, limits)
            found = _docx_blocks(_Package(zf, warnings), limits)
    text = "\n\n".join(found.blocks)
    if not text:
        only = " (only pictures or embedded objects)" if found.pictures else ""
        raise EmptyDocument(f"the Word document contains no text{only}")
    truncated = found.cut or len(text) > limits.max_chars
    text = text[: limits.max_chars]
    return Extracted(
        text=text,
        kind="docx",
        engine="python-docx",
        pages=1,
        pages_read=1,
        page_starts=[0],
        truncated=truncated,
        warnings=warnings,
    )


# --------------------------------------------------------------------------- plain text


def _decode(data: bytes) -> tuple[str, str]:
    """(text, codec name): BOM, then strict UTF-8, then BOM-less UTF-16, then charset-normalizer."""
    codec = _bom_codec(data)
    if codec is None and b"\x00" in data[:HEAD_BYTES]:
        codec = _utf16_guess(data)
    if codec is not None:
        return data.decode(codec, errors="replace"), codec  # these codecs drop the BOM
    try:
        return data.decode("utf-8"), ("ascii" if data.isascii() else "utf-8")
    except UnicodeDecodeError:
        pass
    best = _best_charset(data)
    if best is None:
        raise UnsupportedFormat("file does not decode as text in any known encoding")
    return str(best).lstrip("\ufeff"), codecs.lookup(best.encoding).name


def _extract_text(src: _Source, limits: Limits, warnings: list[str]) -> Extracted:
    raw, encoding = _decode(src.read())
    text = _normalise(raw)
    if not text:
        raise EmptyDocument("the text file contains only whitespace")
    truncated = len(text) > limits.max_chars
    return Extracted(
        text=text[: limits.max_chars],
        kind="text",
        engine="text",
        pages=1,
        pages_read=1,
        page_starts=[0],
        truncated=truncated,
        encoding=encoding,
        warnings=warnings,
    )


# --------------------------------------------------------------------------- entry points

_DEFAULT_LIMITS = Limits()
_READERS = {"pdf": _extract_pdf, "docx": _extract_docx, "text": _extract_text}
_LABEL = {"pdf": "PDF", "docx": "Word document", "text": "text file"}


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


def extract_file(
    path: str | os.PathLike[str], filename: str | None = None, limits: Limits = _DEFAULT_LIMITS
) -> Extracted:
    """Text of the file at ``path``; ``filename`` is the original upload name (for messages).

    Raises a :class:`DocumentError` subclass for anything wrong with the document, and
    MemoryError as itself (the runner reports it against the memory cap). An OSError from
    opening ``path`` is an environment problem, not a document one, and is not wrapped.
    """
    p = Path(path)
    return _extract(_Source(path=p), p.name if filename is None else filename, limits)


def extract_bytes(data: bytes, filename: str, limits: Limits = _DEFAULT_LIMITS) -> Extracted:
    """Like :func:`extract_file` for bytes in memory; nothing is written to disk."""
    return _extract(_Source(data=bytes(data)), filename, limits)
