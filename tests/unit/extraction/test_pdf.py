"""PDF: pages, page starts and limits; encryption; pypdf taking over from pypdfium2."""

from __future__ import annotations

import subprocess
import sys
from bisect import bisect_right
from pathlib import Path

import pytest

from docclass.extraction import (
    CorruptDocument,
    EncryptedDocument,
    NoTextFound,
    NoTextLayer,
    extract_bytes,
    extract_file,
)
from docclass.extraction.pdf import NO_BROTLI
from docclass.settings import Limits
from tests.builders import encrypted_pdf, pdf_brotli, pdf_bytes, pdf_nested_forms
from tests.paths import ROOT
from tests.unit.extraction import support
from tests.unit.extraction.support import PAGES, _raises

corpus_dir = support.corpus_dir  # the shared corpus, skipped when it is missing


def test_pdf_pages_are_joined_and_page_starts_point_at_each_page() -> None:
    result = extract_bytes(pdf_bytes(PAGES), "three.pdf")
    assert (result.kind, result.engine) == ("pdf", "pypdfium2")
    assert (result.pages, result.pages_read, result.truncated) == (3, 3, False)
    assert len(result.page_starts) == 3 and result.page_starts[0] == 0
    for start, page in zip(result.page_starts, PAGES, strict=True):
        assert result.text[start:].startswith(page)
    assert result.text == "\n\n".join(PAGES)  # pages separated by exactly one blank line


def test_page_starts_cite_the_right_page_even_around_empty_pages() -> None:
    # Evidence at offset o is cited as page bisect_right(page_starts, o) (1-based).
    pages = ["", "Bravo on two", "", "Delta on four", ""]
    result = extract_bytes(pdf_bytes(pages), "gaps.pdf")
    assert result.text == "Bravo on two\n\nDelta on four"
    assert len(result.page_starts) == result.pages_read == 5
    assert result.page_starts == sorted(result.page_starts)
    for word, page in (("Bravo", 2), ("two", 2), ("Delta", 4), ("four", 4)):
        assert bisect_right(result.page_starts, result.text.index(word)) == page, word


def test_pdf_max_pages_stops_reading_and_says_so() -> None:
    result = extract_bytes(pdf_bytes(PAGES), "three.pdf", Limits(max_pages=2))
    assert (result.pages, result.pages_read, result.truncated) == (3, 2, True)
    assert "Bravo" in result.text and "Charlie" not in result.text
    assert "read the first 2 of 3 pages" in result.warnings


def test_pdf_max_chars_cuts_text_and_stops_at_that_page() -> None:
    result = extract_bytes(pdf_bytes(PAGES), "three.pdf", Limits(max_chars=30))
    assert len(result.text) <= 30 and result.truncated
    assert result.text.startswith("Alpha page one")
    assert result.pages_read < 3 and "Charlie" not in result.text
    exact = extract_bytes(pdf_bytes(PAGES), "three.pdf", Limits(max_chars=len(PAGES[0])))
    assert (exact.text, exact.pages_read, exact.truncated) == (PAGES[0], 1, True)


def test_pdf_non_ascii_text_survives() -> None:
    result = extract_bytes(pdf_bytes(["Café crème à 12,50 €"]), "menu.pdf")
    assert result.text == "Café crème à 12,50 €"


def test_pdf_with_user_password_fails_with_exactly_password_required() -> None:
    data = encrypted_pdf(pdf_bytes(PAGES), user_password="x", owner_password="y")
    assert _raises(EncryptedDocument, lambda: extract_bytes(data, "secret.pdf")) == (
        "password required"
    )


def test_pdf_encrypted_with_empty_user_password_reads_normally() -> None:
    data = encrypted_pdf(pdf_bytes(PAGES), user_password="", owner_password="owner")
    result = extract_bytes(data, "locked-for-editing.pdf")
    assert result.engine == "pypdfium2" and "Charlie page three" in result.text


def test_pdf_pages_without_text_are_an_error_not_empty_success() -> None:
    # Blank pages hold nothing OCR could read (tests/unit/extraction/test_ocr.py): not read.
    blank = pdf_bytes(["", ""])
    message = _raises(NoTextFound, lambda: extract_bytes(blank, "scan.pdf"))
    assert message == (
        "no text layer, and nothing on its 2 pages for OCR to read (no images: blank pages?)"
    )
    message = _raises(NoTextLayer, lambda: extract_bytes(blank, "scan.pdf", Limits(ocr="off")))
    assert message == "no extractable text (scanned image?)"


def test_truncated_pdf_is_corrupt_with_both_readers_reasons() -> None:
    data = pdf_bytes(PAGES)[:200]
    message = _raises(CorruptDocument, lambda: extract_bytes(data, "cut.pdf"))
    assert message.startswith("unreadable PDF (pypdfium2: ") and "; pypdf: " in message
    assert "Traceback" not in message and len(message) < 400


def test_scanned_corpus_pdf_is_no_text_layer_with_ocr_off(corpus_dir: Path) -> None:
    # With OCR on it is read: tests/unit/extraction/test_ocr.py.
    path = corpus_dir / "microsoft+markitdown/packages/markitdown-ocr/tests/ocr_test_data"
    off = Limits(ocr="off")
    message = _raises(
        NoTextLayer, lambda: extract_file(path / "pdf_scanned_invoice.pdf", limits=off)
    )
    assert message == "no extractable text (scanned image?)"


@pytest.mark.parametrize(
    ("name", "reason"),
    [("bad7.pdf", "pypdf: AttributeError: "), ("bad35.pdf", "pypdf: AssertionError")],
)
def test_pypdf_builtin_exceptions_become_one_corrupt_document(
    corpus_dir: Path, name: str, reason: str
) -> None:
    path = corpus_dir / "qpdf+qpdf/qpdf/qtest/qpdf" / name
    message = _raises(CorruptDocument, lambda: extract_file(path, name))
    assert message.startswith("unreadable PDF (pypdfium2: not a PDF or corrupted; ")
    assert reason in message


def test_pypdf_takes_over_when_pdfium_cannot_open(corpus_dir: Path) -> None:
    # r6: the owner password is empty, which pypdf tries and pdfium does not.
    path = corpus_dir / "py-pdf+pypdf/resources/encryption/r6-user-password.pdf"
    result = extract_file(path, "r6.pdf")
    assert result.engine == "pypdf" and "pdf encryption test" in result.text
    assert result.warnings == ["pypdfium2 failed (password required); used pypdf"]


def test_pypdf_takes_over_when_pdfium_skips_a_fonts_text(corpus_dir: Path) -> None:
    # pdfium drops every CJK glyph of this file's font and keeps only digits and Latin.
    result = extract_file(corpus_dir / "jsvine+pdfplumber/tests/pdfs/pr-136-example.pdf")
    assert result.engine == "pypdf" and "浙江菲达环保科技股份有限公司" in result.text
    assert "pypdfium2 skipped the text of some fonts; used pypdf" in result.warnings


def test_a_slow_second_opinion_never_costs_pdfiums_text(corpus_dir: Path) -> None:
    # No time left for pypdf: pdfium's partial text is kept instead of risking a timeout.
    path = corpus_dir / "jsvine+pdfplumber/tests/pdfs/pr-136-example.pdf"
    result = extract_file(path, "pr-136.pdf", Limits(doc_timeout_s=0.0))
    assert result.engine == "pypdfium2" and "浙江" not in result.text and "2016" in result.text


def test_forms_nested_past_what_the_readers_follow_are_corrupt_not_a_scan() -> None:
    # pdfium skips forms past 40 levels; pypdf logs a RecursionError near 300 and finds nothing.
    data = pdf_nested_forms(600, "Hidden deep down")
    message = _raises(CorruptDocument, lambda: extract_bytes(data, "nested.pdf"))
    assert message == (
        "unreadable PDF: its pages nest form XObjects 600 levels deep, past what the readers "
        "follow (pypdfium2 stops at 40); no text could be read (a broken or hostile file, "
        "not a scan)"
    )


def test_forms_nested_within_pypdfs_reach_are_read() -> None:
    result = extract_bytes(pdf_nested_forms(100, "Found deep down"), "nested.pdf")
    assert (result.engine, result.text) == ("pypdf", "Found deep down")
    assert result.warnings == ["pypdfium2 found no text; used pypdf"]


def test_brotli_pdf_2_0_is_read() -> None:
    # Page contents, object stream and xref stream all Brotli: pdfium cannot open it.
    result = extract_bytes(pdf_brotli(PAGES), "brotli.pdf")
    assert (result.engine, result.text) == ("pypdf", "\n\n".join(PAGES))
    assert result.warnings == ["pypdfium2 failed (not a PDF or corrupted); used pypdf"]


# A fresh process: pypdf caches whether brotli is installed after its first Brotli stream.
_WITHOUT_BROTLI = """
import sys
sys.modules["brotli"] = None  # as on a machine without the package
from docclass.extraction import DocumentError, extract_file
try:
    extract_file(sys.argv[1], "br.pdf")
    print("ok")
except DocumentError as exc:
    print(f"{type(exc).__name__}: {exc}")
"""


def test_brotli_pdf_without_the_brotli_package_says_so_not_encrypted_or_corrupt(
    tmp_path: Path,
) -> None:
    path = tmp_path / "br.pdf"
    path.write_bytes(pdf_brotli(PAGES))
    proc = subprocess.run(
        [sys.executable, "-c", _WITHOUT_BROTLI, str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert proc.stdout.strip() == f"UnsupportedFormat: {NO_BROTLI}"
    assert NO_BROTLI.startswith("unsupported compression (Brotli, a PDF 2.0 filter)")


def test_slow_pypdf_keeps_the_pages_it_read_once_the_time_budget_is_spent() -> None:
    # No time at all: pypdf stops after the first page that gave text, instead of a timeout.
    result = extract_bytes(pdf_brotli(PAGES), "brotli.pdf", Limits(doc_timeout_s=0.0))
    assert (result.engine, result.text, result.pages, result.pages_read) == (
        "pypdf",
        PAGES[0],
        3,
        1,
    )
    assert result.truncated
    assert "pypdf is slow on this file: read 1 of 3 pages within the time limit" in (
        result.warnings
    )


def test_corpus_brotli_pdf_is_read(corpus_dir: Path) -> None:
    # pdf.js's Brotli prototype: 25 drawing pages that pypdf needs about a minute for.
    path = corpus_dir / "mozilla+pdf.js/test/pdfs/Brotli-Prototype-FileA.pdf"
    result = extract_file(path, "Brotli-Prototype-FileA.pdf", Limits(doc_timeout_s=0.0))
    assert (result.engine, result.pages, result.pages_read) == ("pypdf", 25, 1)
    assert result.text.startswith("SHEET INDEX")
