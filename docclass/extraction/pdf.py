"""PDF: pypdfium2 first (fast, tolerant), pypdf when pdfium fails or finds no text, OCR for
pages without a text layer (:mod:`.scans`).

Pages are read up to ``limits.max_pages`` and ``limits.max_chars``; a second opinion from
pypdf gets only part of the document's time budget, so it never turns text into a timeout.
When neither finds text, the pages are OCR'd (unless ``DOCCLASS_OCR=off``); when that finds
nothing either, the reason is checked before calling the file a scan without words: forms
nested past what the readers follow, or a compression (Brotli) this installation cannot decode.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import pypdf
import pypdfium2 as pdfium
from pypdf import PasswordType
from pypdf.errors import FileNotDecryptedError

from docclass.extraction import ocr
from docclass.extraction.errors import (
    CorruptDocument,
    EncryptedDocument,
    NoTextFound,
    NoTextLayer,
    OcrUnavailable,
    UnsupportedFormat,
    _short,
)
from docclass.extraction.forms import _too_deep
from docclass.extraction.scans import blank_page, candidates, ocr_pdf
from docclass.extraction.source import Extracted, _normalise, _Source
from docclass.settings import Limits

NO_TEXT_LAYER = "no extractable text (scanned image?)"
PASSWORD_REQUIRED = "password required"
NO_BROTLI = (
    "unsupported compression (Brotli, a PDF 2.0 filter): this installation lacks the brotli "
    "package; save the PDF again with standard compression, or install requirements.txt"
)

# pdfium is not thread-safe; the runner uses processes, but example folders are read in-process.
_PDFIUM_LOCK = threading.Lock()

_UNMAPPED = re.compile(r"[\x00-\x08\x0e-\x1f]")


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

    def page_texts(self) -> list[str]:
        """Each page's text, as added (normalised; cut where the character cap cut it)."""
        text = self.text
        ends = [*self.starts[1:], len(text)]
        return [text[start:end].strip() for start, end in zip(self.starts, ends, strict=True)]


@dataclass
class _PdfRead:
    """What one PDF engine got out of a file."""

    pages: int
    acc: _Pages
    failed_pages: list[int]
    first_page_error: str | None = None
    text_objects: int = 0  # pdfium: text objects on the pages read...
    chars: int = 0  # ...and the characters it found in them
    out_of_time: bool = False  # stopped early at the soft deadline, with text in hand
    blank: set[int] = field(default_factory=set)  # pdfium: pages OCR would find nothing on

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
    soft_deadline: float | None = None,
) -> Exception | None:
    """Add page after page to ``read`` until max_pages or max_chars; return the first error.

    A page that fails is recorded and skipped: one bad page must not cost the others. Past
    ``deadline`` the reading is abandoned (_OutOfTime); past ``soft_deadline`` it stops once
    some text is in hand, so a slow file gives its first pages rather than a timeout.
    """
    first_error: Exception | None = None
    for index in range(min(read.pages, max_pages)):
        if read.acc.full:
            read.acc.truncated = True
            break
        if deadline is not None and time.monotonic() > deadline:
            raise _OutOfTime
        if soft_deadline is not None and read.acc.length and time.monotonic() > soft_deadline:
            read.acc.truncated = read.out_of_time = True
            break
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
                    if blank_page(page, text):
                        read.blank.add(index)
                    return text
                finally:
                    page.close()

            _read_pages(read, limits.max_pages, page_text, pdfium.PdfiumError)
            return read
        finally:
            pdf.close()


def _pdf_pypdf(
    src: _Source,
    limits: Limits,
    deadline: float | None = None,
    soft_deadline: float | None = None,
) -> _PdfRead:
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
            read,
            limits.max_pages,
            lambda i: reader.pages[i].extract_text(),
            Exception,
            deadline,
            soft_deadline,
        )
        if error is not None and len(read.failed_pages) == len(read.acc.starts):
            raise error  # not one page readable: the file is broken, not image-only
        return read


_NO_BROTLI_SIGNS = ("brotli is required", "import of brotli", "no module named 'brotli'")


def _needs_brotli(exc: BaseException | None) -> bool:
    """Whether pypdf failed for want of the brotli package (PDF 2.0's /BrotliDecode filter).

    pypdf says so in its message, sometimes only inside a PdfReadError's text.
    """
    seen = 0
    while exc is not None and seen < 10:
        if any(sign in str(exc).lower() for sign in _NO_BROTLI_SIGNS):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


_PDFIUM_ERRORS = {
    0: "no readable pages",
    1: "unknown error",
    2: "file could not be opened",
    3: "not a PDF or corrupted",
    4: PASSWORD_REQUIRED,
    5: "unsupported security handler",
    6: "page not found or content error",
}


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _pdfium_reason(exc: Exception) -> str:
    code = getattr(exc, "err_code", None)
    return _PDFIUM_ERRORS.get(code, _short(exc)) if code is not None else _short(exc)


def _finish_pdf(
    read: _PdfRead,
    engine: str,
    limits: Limits,
    warnings: list[str],
    tally: ocr.Tally | None = None,
) -> Extracted:
    acc = read.acc
    truncated = acc.truncated or read.pages > limits.max_pages
    if read.pages > limits.max_pages:
        warnings.append(f"read the first {limits.max_pages} of {read.pages} pages")
    if acc.unmapped > 0.3 * (acc.unmapped + len(acc.text)):
        warnings.append(
            f"{acc.unmapped} characters use fonts without a Unicode map and were dropped; "
            "the text is incomplete (DOCCLASS_OCR=force reads the pages with OCR)"
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
        ocr_pages=tally.pages if tally else 0,
        ocr_confidence=tally.confidence if tally else None,
    )


def _with_ocr(
    src: _Source, read: _PdfRead, limits: Limits, deadlines: ocr.Deadlines
) -> tuple[_PdfRead, str, ocr.Tally | None, list[str]]:
    """pdfium's reading with the pages that need OCR read by OCR: (reading, engine label,
    what OCR did, warnings). Unchanged when no page needs it or OCR is off."""
    texts = read.acc.page_texts()
    todo = candidates(texts, limits, read.blank) if limits.ocr != "off" else []
    if not todo:
        return read, "pypdfium2", None, []
    why = ocr.unavailable(limits)
    if why is not None:
        return read, "pypdfium2", None, [f"{len(todo)} page(s) without text were not read: {why}"]
    with _PDFIUM_LOCK:
        scan = ocr_pdf(src, texts, limits, deadlines, read.blank)
    acc = _Pages(limits.max_chars)
    for text in scan.texts:
        acc.add(text)
    acc.unmapped = read.acc.unmapped
    acc.truncated = acc.truncated or read.acc.truncated or scan.truncated
    layer_pages = sum(1 for old, new in zip(texts, scan.texts, strict=True) if new and new == old)
    if not scan.tally.pages:
        engine = "pypdfium2"
    else:
        engine = f"ocr:{ocr.ENGINE}" if not layer_pages else f"pypdfium2+ocr:{ocr.ENGINE}"
    return replace(read, acc=acc), engine, scan.tally, scan.notes


def _scanned(
    src: _Source,
    first: _PdfRead,
    limits: Limits,
    warnings: list[str],
    deadlines: ocr.Deadlines,
) -> Extracted:
    """A PDF that pdfium opened and in which no reader found text: its pages by OCR, or the
    error that says why there is no text."""
    if limits.ocr == "off":
        raise _too_deep(src, limits) or NoTextLayer(NO_TEXT_LAYER)
    why = ocr.unavailable(limits)
    if why is not None:
        raise _too_deep(src, limits) or OcrUnavailable(
            f"no text layer (a scan?), and OCR is unavailable: {why}"
        )
    read, engine, tally, notes = _with_ocr(src, first, limits, deadlines)
    if read.acc.length:
        return _finish_pdf(read, engine, limits, warnings + notes, tally)
    read_pages = tally.read if tally else 0
    if not read_pages and first.blank:
        raise _too_deep(src, limits) or NoTextFound(
            f"no text layer, and nothing on its {_count(len(first.blank), 'page')} "
            "for OCR to read (no images: blank pages?)"
        )
    raise _too_deep(src, limits) or NoTextFound(
        f"no text layer, and OCR found no words on the {_count(read_pages, 'page')} it read"
        + (f" ({'; '.join(notes)})" if notes else "")
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
    """pypdfium2 first; pypdf when pdfium cannot open the file or finds no text in it.

    pypdf, pure Python, can need minutes for heavy pages; once most of the document's time
    budget is spent it stops at the pages it has, rather than lose them all to the timeout.
    """
    deadlines = ocr.Deadlines.starting_now(limits)
    first: _PdfRead | None = None
    first_error: Exception | None = None
    try:
        first = _pdf_pdfium(src, limits)
    except MemoryError:
        raise
    except Exception as exc:  # PdfiumError, or ctypes trouble on a hostile file
        first_error = exc
    if first is not None and first.acc.length:
        if first.dropped_chars and limits.ocr != "force":
            better = _pypdf_if_better(src, limits, first)
            if better is not None:
                warnings.append("pypdfium2 skipped the text of some fonts; used pypdf")
                note = _failed_pages_warning("pypdf", better)
                return _finish_pdf(better, "pypdf", limits, warnings + ([note] if note else []))
        note = _failed_pages_warning("pypdfium2", first)
        read, engine, tally, notes = _with_ocr(src, first, limits, deadlines)
        warnings = warnings + ([note] if note else []) + notes
        return _finish_pdf(read, engine, limits, warnings, tally)
    if first is not None and limits.ocr == "force" and len(first.failed_pages) < first.pages:
        return _scanned(src, first, limits, warnings, deadlines)

    if first is None:
        assert first_error is not None
        pdfium_said = _pdfium_reason(first_error)
        fallback_note = f"pypdfium2 failed ({pdfium_said}); used pypdf"
    else:
        pdfium_said = _failed_pages_warning("pypdfium2", first) or "pypdfium2 found no text"
        pdfium_said = pdfium_said.removeprefix("pypdfium2 ")
        fallback_note = f"pypdfium2 {pdfium_said}; used pypdf"
    try:
        second = _pdf_pypdf(src, limits, soft_deadline=deadlines.soft)
    except MemoryError:
        raise
    except (EncryptedDocument, FileNotDecryptedError) as exc:
        if first is not None:  # pdfium opened it: pypdf's view of the encryption is wrong
            return _scanned(src, first, limits, warnings, deadlines)
        if isinstance(exc, EncryptedDocument):
            raise
        raise EncryptedDocument(PASSWORD_REQUIRED) from exc
    except Exception as exc:  # pypdf raises TypeError, AssertionError, KeyError… on bad files
        if _needs_brotli(exc):
            raise UnsupportedFormat(NO_BROTLI) from exc
        if first is not None and len(first.failed_pages) < len(first.acc.starts):
            # pdfium read pages and found no text
            return _scanned(src, first, limits, warnings, deadlines)
        if getattr(first_error, "err_code", None) == 4:
            raise EncryptedDocument(PASSWORD_REQUIRED) from exc
        raise CorruptDocument(
            f"unreadable PDF (pypdfium2: {pdfium_said}; pypdf: {_short(exc)})"
        ) from exc

    if second.acc.length:
        warnings.append(fallback_note)
        if second.out_of_time:
            warnings.append(
                f"pypdf is slow on this file: read {len(second.acc.starts)} of {second.pages} "
                "pages within the time limit"
            )
        note = _failed_pages_warning("pypdf", second)
        return _finish_pdf(second, "pypdf", limits, warnings + ([note] if note else []))
    if max(second.pages, first.pages if first else 0) == 0:
        raise CorruptDocument("PDF has no pages")
    if first is not None:
        return _scanned(src, first, limits, warnings, deadlines)
    if limits.ocr == "off":
        raise _too_deep(src, limits) or NoTextLayer(NO_TEXT_LAYER)
    raise _too_deep(src, limits) or NoTextLayer(
        f"no extractable text, and its pages cannot be rendered for OCR (pypdfium2: {pdfium_said})"
    )
