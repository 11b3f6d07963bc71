"""Scanned PDF pages: which pages need OCR, rendering them, and their text among the others.

In ``auto`` a page is OCR'd when its text layer holds fewer than OCR_MIN_CHARS visible
characters (a scan, perhaps with a stamped page number) and it holds something OCR could
read (:func:`blank_page`); in ``force`` every page is. OCR
reads at most ``ocr_max_pages`` pages per document, in page order, and once the soft
deadline has passed with text in hand it stops at the pages it has: a long scan gives its
first pages rather than a timeout.
"""

from __future__ import annotations

import time
from collections.abc import Collection
from dataclasses import dataclass, field

import pypdfium2 as pdfium

from docclass.extraction.errors import _short
from docclass.extraction.ocr import OCR_MAX_PIXELS, Deadlines, Tally, recognise, report
from docclass.extraction.source import _normalise, _Source
from docclass.settings import Limits

OCR_MIN_CHARS = 20  # a page with fewer visible characters in its text layer is a scan
# Path segments from which a page's drawing may be text set as outlines (a page's rules,
# boxes and a logo take tens): OCR reads such a page.
OUTLINE_SEGMENTS = 200


def visible(text: str) -> int:
    return sum(not ch.isspace() for ch in text)


@dataclass
class ScanRead:
    """Every page read, each from its text layer or from OCR, and what OCR did."""

    texts: list[str]
    tally: Tally
    notes: list[str] = field(default_factory=list)
    truncated: bool = False  # pages that needed OCR were left unread (page cap, time)


def blank_page(page: pdfium.PdfPage, text: str) -> bool:
    """Whether a page, read from its text layer as ``text``, is one OCR would find nothing on.

    True when the text layer is too short to count as text (OCR_MIN_CHARS) and the page
    holds no image, no form XObject (which may hold one), no drawing complex enough to be
    outlined text, and no more text objects than its text layer has visible characters
    (pdfium decoded them all). Blank pages and pages that show only a page number are the
    common case: OCR'd, each costs a render and a recognition to find nothing. Counted on
    the raw handles, without Python wrappers per object.
    """
    shown = visible(text)
    if shown >= OCR_MIN_CHARS:
        return False
    raw = pdfium.raw
    text_objects = segments = 0
    for index in range(raw.FPDFPage_CountObjects(page.raw)):
        obj = raw.FPDFPage_GetObject(page.raw, index)
        kind = raw.FPDFPageObj_GetType(obj)
        if kind in (raw.FPDF_PAGEOBJ_IMAGE, raw.FPDF_PAGEOBJ_FORM, raw.FPDF_PAGEOBJ_UNKNOWN):
            return False
        if kind == raw.FPDF_PAGEOBJ_TEXT:
            text_objects += 1
        elif kind == raw.FPDF_PAGEOBJ_PATH:
            segments += max(raw.FPDFPath_CountSegments(obj), 0)
            if segments >= OUTLINE_SEGMENTS:
                return False
    return text_objects <= shown


def candidates(texts: list[str], limits: Limits, blank: Collection[int] = ()) -> list[int]:
    """The pages OCR should read, in page order (before the page cap).

    ``blank``: pages OCR would find nothing on (:func:`blank_page`).
    """
    if limits.ocr == "force":
        return list(range(len(texts)))
    return [i for i, text in enumerate(texts) if visible(text) < OCR_MIN_CHARS and i not in blank]


def _render(page: pdfium.PdfPage, limits: Limits) -> tuple[pdfium.PdfBitmap, int]:
    """The page as a greyscale bitmap at ``ocr_dpi`` (less for a huge page), and its dpi."""
    width, height = page.get_size()  # points, 1/72 inch
    scale = limits.ocr_dpi / 72
    pixels = width * height * scale * scale
    cap = min(OCR_MAX_PIXELS, limits.max_image_pixels)
    if pixels > cap:
        scale *= (cap / pixels) ** 0.5
    return page.render(scale=scale, grayscale=True), round(72 * scale)


def ocr_pdf(
    src: _Source,
    texts: list[str],
    limits: Limits,
    deadlines: Deadlines,
    blank: Collection[int] = (),
) -> ScanRead:
    """OCR the pages of ``texts`` (one text-layer string per page read) that need it.

    A page keeps its text layer when OCR finds less there. The caller holds pdfium's lock.
    """
    todo = candidates(texts, limits, blank)
    chosen = todo[: max(0, limits.ocr_max_pages)]
    out = ScanRead(texts=list(texts), tally=Tally())
    if len(todo) > len(chosen):
        out.truncated = True
        out.notes.append(
            f"OCR read {len(chosen)} of the {len(todo):,} pages that needed it "
            f"(DOCCLASS_OCR_MAX_PAGES={limits.ocr_max_pages})"
        )
    failed: list[int] = []
    first_error = ""
    pdf = pdfium.PdfDocument(src.pdfium_input())
    try:
        for done, index in enumerate(chosen):
            in_hand = out.tally.words > 0 or any(visible(t) for t in out.texts)
            if in_hand and time.monotonic() > deadlines.soft:
                out.truncated = True
                out.notes.append(
                    f"OCR stopped at the time limit after {done} of {len(chosen)} pages "
                    "(DOCCLASS_DOC_TIMEOUT)"
                )
                break
            try:
                page = pdf[index]
                try:
                    bitmap, dpi = _render(page, limits)
                finally:
                    page.close()
            except pdfium.PdfiumError as exc:
                failed.append(index)
                first_error = first_error or _short(exc, 80)
                continue
            try:
                found = recognise(bitmap.to_pil(), dpi, limits, deadlines.page_timeout(in_hand))
            finally:
                bitmap.close()
            if found is None:  # ran out of time on this page: keep the pages before it
                out.truncated = True
                out.notes.append(f"OCR stopped at the time limit on page {index + 1}")
                break
            text = _normalise(found.text)
            used = found.words > 0 and (
                limits.ocr == "force" or visible(text) > visible(out.texts[index])
            )
            out.tally.add(found, used=used)
            if used:
                out.texts[index] = text
            report(done + 1, len(chosen))
    finally:
        pdf.close()
    if failed:
        shown = ", ".join(str(i + 1) for i in failed[:10])
        out.notes.append(f"OCR could not render page(s) {shown} ({first_error})")
    return out
