"""A file's type from its bytes: "pdf", "docx", "text" or "image" (PNG, JPEG, TIFF, WebP, read
with OCR), or an error naming what it really is.

The type of a file comes from its bytes (uploads are stored under their sha256, without an
extension); the original name only shapes the messages.
"""

from __future__ import annotations

import contextlib
import re

from docclass.extraction.errors import CorruptDocument, EmptyDocument, UnsupportedFormat
from docclass.extraction.names import _KIND_BY_EXT, _TEXT_EXTS, _WORD_EXTS, _bare, _ext, _mismatch
from docclass.extraction.ole import _ole_error
from docclass.extraction.text import _best_charset, _bom_codec, _utf16_guess

# Images read with OCR: (magic, offset); a WebP file is a RIFF container of kind WEBP.
_IMAGE_MAGIC: list[tuple[bytes, int]] = [
    (b"\x89PNG\r\n\x1a\n", 0),
    (b"\xff\xd8\xff", 0),
    (b"II*\x00", 0),
    (b"MM\x00*", 0),
]
# (magic, offset, what it is); checked after PDF, ZIP, OLE and images. Magic numbers made only
# of printable ASCII ("MZ", "ID3"…) could begin a text file, so they count only for binary data.
_MAGIC: list[tuple[bytes, int, str]] = [
    (b"GIF87a", 0, "a GIF image"),
    (b"GIF89a", 0, "a GIF image"),
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
_TEXT_CONTROLS = "\t\n\r\f\v\x1a"
# Unicode category Cc (C0, DEL, C1) minus the controls text files use; C1 alone for UTF-8
# (one regex pass: a per-character loop over the 8 KB head cost ~1 ms per file).
_C0_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x19\x1b-\x1f\x7f]")
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x19\x1b-\x1f\x7f-\x9f]")


def _text_kind(head: bytes) -> str | None:
    """What kind of text ``head`` is ("plain text", "an HTML page"…), or None for binary.

    C1 control characters (U+0080-U+009F) in valid UTF-8 do not make a file binary: they
    are what text decoded twice looks like ("â\x80¢" for a bullet), common in real exports.
    """
    codec = _bom_codec(head)
    if codec is None and b"\x00" in head:
        codec = _utf16_guess(head)
        if codec is None:
            return None
    utf8 = False
    if codec is not None:
        text = head.decode(codec, errors="ignore")
    else:
        text = None
        for cut in range(4):  # the head may end inside a UTF-8 sequence
            with contextlib.suppress(UnicodeDecodeError):
                text = head[: len(head) - cut].decode("utf-8")
                utf8 = True
                break
        if text is None:
            best = _best_charset(head)
            if best is None:
                return None
            text = str(best)
    control = len((_C0_CONTROLS if utf8 else _CONTROLS).findall(text))
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


def _is_pdf(head: bytes, ext: str) -> bool:
    """A PDF header at the start, or within the first 1 KB where PDF readers still find it.

    Later than offset 0 it counts when the name says .pdf, when the bytes are binary, or
    when it starts a line followed by PDF syntax: a text file that merely mentions "%PDF-1.7"
    stays text.
    """
    at = head.find(b"%PDF-", 0, 1024)
    if at <= 0:
        return at == 0
    if ext == ".pdf" or _text_kind(head) is None:
        return True
    return head[at - 1 : at] in (b"\n", b"\r") and bool(_PDF_SYNTAX.search(head, at))


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


def _is_image(head: bytes) -> bool:
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return True
    return any(head[at : at + len(magic)] == magic for magic, at in _IMAGE_MAGIC)


def sniff(head: bytes, filename: str) -> str:
    """Decide "pdf" | "docx" | "text" | "image" from the first bytes of a file (8 KB is plenty).

    Bytes win over the name; when they disagree and the bytes are not something we read, the
    error names what the file really is (".pdf file is really a ZIP archive").
    """
    return _sniff(head, filename, full=None)


def _sniff(head: bytes, filename: str, full: bytes | None) -> str:
    ext = _ext(filename)
    if not head:
        raise EmptyDocument("file is empty (0 bytes)")
    if _is_pdf(head, ext):
        return "pdf"
    if head.startswith(_ZIP_MAGICS):
        # A Word package's first members are [Content_Types].xml, _rels/.rels, word/…; a
        # ZIP under a Word name (or none) is checked member by member when it is opened.
        if ext in _WORD_EXTS or ext in ("", ".doc", ".zip") or b"word/" in head:
            return "docx"
        raise UnsupportedFormat(_mismatch(ext, _zip_hint(head)))
    if head.startswith(_OLE_MAGIC):
        raise _ole_error(head if full is None else full, ext, complete=full is not None)
    if _is_image(head):
        return "image"
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
