"""OCR: scanned PDFs, mixed PDFs and images read with Tesseract; its limits and its errors.

Real files only: the corpus's scans, and pictures of real typeset text (``tests/scans.py``).
Each page OCR'd costs about half a second, so these tests use few pages.
"""

from __future__ import annotations

import struct
import zlib
from bisect import bisect_right
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from docclass.extraction import (
    CorruptDocument,
    FileTooLarge,
    NoTextFound,
    NoTextLayer,
    OcrUnavailable,
    UnsupportedFormat,
    extract_bytes,
    extract_file,
    ocr,
)
from docclass.extraction.scans import OUTLINE_SEGMENTS, blank_page
from docclass.settings import Limits, load_settings
from tests.builders import assemble_pdf, pdf_bytes
from tests.scans import INVOICE, image_bytes, image_pdf, page_images
from tests.unit.extraction import support
from tests.unit.extraction.support import _raises

corpus_dir = support.corpus_dir

SCANS = "microsoft+markitdown/packages"
INVOICE_SCAN = f"{SCANS}/markitdown-ocr/tests/ocr_test_data/pdf_scanned_invoice.pdf"
MEDICAL_SCAN = f"{SCANS}/markitdown/tests/test_files/MEDRPT-2024-PAT-3847_medical_report_scan.pdf"
LETTER = "Dear Ms Lindqvist,\nthank you for your letter of 3 May.\nKind regards, Tomas Berg"


@pytest.fixture(scope="module")
def invoice_page() -> list:
    return page_images([INVOICE])


def _png_header(width: int, height: int) -> bytes:
    """A PNG that declares ``width`` × ``height`` and holds one byte of pixels (a bomb's
    header: nothing past it is decoded when the size is refused)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00"))
        + chunk(b"IEND", b"")
    )


def test_the_corpus_scans_are_read_with_ocr(corpus_dir: Path) -> None:
    invoice = extract_file(corpus_dir / INVOICE_SCAN)
    assert (invoice.kind, invoice.engine, invoice.pages, invoice.ocr_pages) == (
        "pdf",
        "ocr:tesseract",
        1,
        1,
    )
    for words in ("INVOICE", "TechCorp Industries", "INV-2024-001", "$5,000.00"):
        assert words in invoice.text, words
    assert invoice.ocr_confidence is not None and 0.8 < invoice.ocr_confidence <= 1.0

    report = extract_file(corpus_dir / MEDICAL_SCAN)
    assert (report.engine, report.pages, report.ocr_pages) == ("ocr:tesseract", 3, 3)
    assert "SEATTLE GENERAL HOSPITAL" in report.text
    # every page cited: a word of the last page is found on page 3
    assert bisect_right(report.page_starts, report.text.index("TREATMENT PLAN")) == 3


@pytest.mark.parametrize(
    "name",
    [
        "mozilla+pdf.js/test/pdfs/bitmap-symbol.pdf",  # a drawn smiley
        "py-pdf+sample-files/019-grayscale-image/grayscale-image.pdf",  # a cartoon
        "qpdf+qpdf/qpdf/qtest/qpdf/issue-117.pdf",  # a blank page
    ],
)
def test_pictures_without_words_fail_with_no_text_found(corpus_dir: Path, name: str) -> None:
    message = _raises(NoTextFound, lambda: extract_file(corpus_dir / name))
    assert message == "no text layer, and OCR found no words on the 1 page it read"


def test_ocr_off_restores_no_text_layer_and_refuses_images(
    corpus_dir: Path, invoice_page: list
) -> None:
    off = Limits(ocr="off")
    message = _raises(NoTextLayer, lambda: extract_file(corpus_dir / INVOICE_SCAN, limits=off))
    assert message == "no extractable text (scanned image?)"
    blank = _raises(NoTextLayer, lambda: extract_bytes(pdf_bytes(["", ""]), "scan.pdf", off))
    assert blank == "no extractable text (scanned image?)"
    png = image_bytes(invoice_page, "PNG")
    assert _raises(UnsupportedFormat, lambda: extract_bytes(png, "scan.png", off)) == (
        "an image is read with OCR, which is off (DOCCLASS_OCR=off)"
    )


def test_without_language_data_ocr_says_what_to_install(
    tmp_path: Path, corpus_dir: Path, invoice_page: list
) -> None:
    missing = Limits(ocr_data=str(tmp_path))  # a folder without eng.traineddata
    why = ocr.unavailable(missing)
    assert why is not None and "apt-get install tesseract-ocr-eng" in why
    assert ocr.unavailable(Limits()) is None  # this machine has it
    message = _raises(
        OcrUnavailable, lambda: extract_file(corpus_dir / INVOICE_SCAN, limits=missing)
    )
    assert message == f"no text layer (a scan?), and OCR is unavailable: {why}"
    png = image_bytes(invoice_page, "PNG")
    assert _raises(OcrUnavailable, lambda: extract_bytes(png, "scan.png", missing)) == (
        f"an image is read with OCR, which is unavailable: {why}"
    )
    # a mixed PDF keeps its text layer and says which pages were left unread
    mixed = image_pdf(invoice_page, pages=2, text_pages={1: LETTER})
    result = extract_bytes(mixed, "mixed.pdf", missing)
    assert (result.engine, result.ocr_pages) == ("pypdfium2", 0)
    assert result.text.startswith("Dear Ms Lindqvist")
    assert result.warnings == [f"1 page(s) without text were not read: {why}"]


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_images_are_read_with_ocr(invoice_page: list, fmt: str) -> None:
    result = extract_bytes(image_bytes(invoice_page, fmt), f"scan.{fmt.lower()}")
    assert (result.kind, result.engine, result.pages, result.ocr_pages) == (
        "image",
        "ocr:tesseract",
        1,
        1,
    )
    for words in ("INVOICE 2024-117", "Northwind Traders", "Amount due: 1,440.00 EUR"):
        assert words in result.text, words
    assert result.warnings == []


def test_a_multi_page_tiff_is_read_page_by_page() -> None:
    pictures = page_images([INVOICE, LETTER])
    result = extract_bytes(image_bytes(pictures, "TIFF"), "fax.tif")
    assert (result.pages, result.pages_read, result.ocr_pages) == (2, 2, 2)
    assert bisect_right(result.page_starts, result.text.index("Northwind")) == 1
    assert bisect_right(result.page_starts, result.text.index("Lindqvist")) == 2
    capped = extract_bytes(image_bytes(pictures, "TIFF"), "fax.tif", Limits(ocr_max_pages=1))
    assert (capped.pages_read, capped.truncated) == (1, True)
    assert "Lindqvist" not in capped.text
    assert capped.warnings == [
        "OCR read only the first page; the image has more (DOCCLASS_OCR_MAX_PAGES)"
    ]


def test_an_image_named_as_a_pdf_is_read_as_an_image(invoice_page: list) -> None:
    result = extract_bytes(image_bytes(invoice_page, "PNG"), "scan.pdf")
    assert result.kind == "image" and "Northwind" in result.text
    assert result.warnings == ["the name ends in .pdf but the file is an image"]


def test_image_pixel_bombs_are_refused_before_decoding() -> None:
    bomb = _png_header(100_000, 100_000)  # 10 gigapixels in 70 bytes
    assert _raises(FileTooLarge, lambda: extract_bytes(bomb, "bomb.png")) == (
        "image is 100,000 × 100,000 pixels (10,000 MP); the limit is 80 MP "
        "(DOCCLASS_MAX_IMAGE_MPIX)"
    )
    small = Limits(max_image_pixels=1_000_000)
    page = image_bytes([page_images([LETTER], dpi=150)[0].crop((0, 0, 1200, 1000))], "PNG")
    assert _raises(FileTooLarge, lambda: extract_bytes(page, "letter.png", small)) == (
        "image is 1,200 × 1,000 pixels (1.2 MP); the limit is 1.0 MP (DOCCLASS_MAX_IMAGE_MPIX)"
    )


def test_a_broken_image_is_corrupt() -> None:
    whole = image_bytes(page_images([LETTER]), "PNG")
    message = _raises(CorruptDocument, lambda: extract_bytes(whole[: len(whole) // 2], "a.png"))
    assert message.startswith("unreadable image (")
    header_only = _raises(CorruptDocument, lambda: extract_bytes(whole[:40], "b.png"))
    assert header_only.startswith("unreadable image")


def test_a_mixed_pdf_gets_its_text_layer_and_ocr_each_on_its_page(invoice_page: list) -> None:
    data = image_pdf(invoice_page, pages=3, text_pages={1: LETTER})
    result = extract_bytes(data, "mixed.pdf")
    assert (result.engine, result.pages, result.ocr_pages) == ("pypdfium2+ocr:tesseract", 3, 2)
    text, starts = result.text, result.page_starts
    assert bisect_right(starts, text.index("Northwind")) == 1
    assert bisect_right(starts, text.index("Lindqvist")) == 2
    assert bisect_right(starts, text.rindex("Northwind")) == 3


def test_pages_with_blank_page_beyond_their_text_are_not_ocrd(invoice_page: list) -> None:
    # A page number alone, or a blank page, has no picture for OCR to read: left as it is.
    data = image_pdf(invoice_page, pages=4, text_pages={0: LETTER, 1: "Page 2", 2: " "})
    result = extract_bytes(data, "report.pdf")
    assert (result.engine, result.pages, result.ocr_pages) == ("pypdfium2+ocr:tesseract", 4, 1)
    assert "Page 2" in result.text and "Northwind" in result.text
    assert bisect_right(result.page_starts, result.text.index("Northwind")) == 4
    plain = extract_bytes(pdf_bytes([LETTER, "Page 2", ""]), "letter.pdf")
    assert (plain.engine, plain.ocr_pages) == ("pypdfium2", 0)


def _drawing_pdf(segments: int) -> bytes:
    """One page with no text: a polyline of ``segments`` segments."""
    points = b" ".join(b"%d %d l" % (72 + i % 400, 100 + i % 600) for i in range(segments))
    drawing = b"1 w 72 100 m " + points + b" S"
    return assemble_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
            b"<< /Length %d >>\nstream\n%s\nendstream" % (len(drawing), drawing),
        ]
    )


@pytest.mark.parametrize(("segments", "blank"), [(4, True), (OUTLINE_SEGMENTS, False)])
def test_a_drawing_that_may_be_outlined_text_is_for_ocr(segments: int, blank: bool) -> None:
    # A frame is nothing to read; hundreds of path segments may be glyphs set as outlines.
    pdf = pdfium.PdfDocument(_drawing_pdf(segments))
    try:
        assert blank_page(pdf[0], "") is blank
    finally:
        pdf.close()
    if blank:
        message = _raises(NoTextFound, lambda: extract_bytes(_drawing_pdf(segments), "frame.pdf"))
        assert message.startswith("no text layer, and nothing on its 1 page for OCR to read")


def test_force_reads_every_page_with_ocr() -> None:
    result = extract_bytes(pdf_bytes([INVOICE]), "typed.pdf", Limits(ocr="force"))
    assert (result.engine, result.ocr_pages) == ("ocr:tesseract", 1)
    assert "Northwind Traders" in result.text
    default = extract_bytes(pdf_bytes([INVOICE]), "typed.pdf")
    assert (default.engine, default.ocr_pages) == ("pypdfium2", 0)


def test_a_long_scan_stops_at_the_time_limit_with_the_pages_it_read(invoice_page: list) -> None:
    data = image_pdf(invoice_page, pages=40)
    result = extract_bytes(data, "long.pdf", Limits(doc_timeout_s=2.0, ocr_max_pages=40))
    assert 1 <= result.ocr_pages < 40 and result.truncated
    assert "Northwind" in result.text
    (note,) = [w for w in result.warnings if w.startswith("OCR stopped at the time limit")]
    assert note.endswith("(DOCCLASS_DOC_TIMEOUT)") or "on page" in note


def test_ocr_reports_each_page_and_a_stop_passes_through_the_readers(invoice_page: list) -> None:
    data = image_pdf(invoice_page, pages=3)
    calls: list[tuple[int, int]] = []
    with ocr.reporting(lambda done, total: calls.append((done, total))):
        extract_bytes(data, "three.pdf")
    assert calls == [(1, 3), (2, 3), (3, 3)]

    def stop(done: int, total: int) -> None:
        calls.append((done, total))
        raise ocr.StopReading("cancelled")

    calls.clear()
    with pytest.raises(ocr.StopReading), ocr.reporting(stop):
        extract_bytes(data, "three.pdf")  # not turned into a CorruptDocument
    assert calls == [(1, 3)]


def test_ocr_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "DOCCLASS_OCR": "Force",
        "DOCCLASS_OCR_MAX_PAGES": "7",
        "DOCCLASS_OCR_DPI": "300",
        "DOCCLASS_OCR_LANG": "eng+deu",
        "DOCCLASS_MAX_IMAGE_MPIX": "20",
    }.items():
        monkeypatch.setenv(name, value)
    limits = load_settings().limits
    assert (limits.ocr, limits.ocr_max_pages, limits.ocr_dpi, limits.ocr_lang) == (
        "force",
        7,
        300,
        "eng+deu",
    )
    assert limits.max_image_pixels == 20_000_000
    # German is not installed here: the message names only what is missing
    assert ocr.unavailable(limits) == (
        "Tesseract's language data for deu is not installed (looked in DOCCLASS_OCR_DATA, "
        "TESSDATA_PREFIX or the usual folders): apt-get install tesseract-ocr-deu"
    )
    monkeypatch.setenv("DOCCLASS_OCR", "sometimes")
    with pytest.raises(ValueError, match="DOCCLASS_OCR must be one of auto, off, force"):
        load_settings()
    monkeypatch.setenv("DOCCLASS_OCR", "auto")
    monkeypatch.setenv("DOCCLASS_OCR_DPI", "1200")
    with pytest.raises(ValueError, match="DOCCLASS_OCR_DPI must be between 50 and 600"):
        load_settings()
