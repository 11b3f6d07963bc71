"""Extraction on real files: PDFs, DOCX and ZIPs built here, and the shared real-world corpus."""

from __future__ import annotations

import csv
import io
import os
import pickle
import time
import zipfile
from bisect import bisect_right
from collections.abc import Callable
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path

import docx
import pebble
import pytest

from docclass.extraction import (
    CorruptDocument,
    DocumentError,
    EmptyDocument,
    EncryptedDocument,
    Extracted,
    FileTooLarge,
    NoTextLayer,
    UnsupportedFormat,
    extract_bytes,
    extract_file,
    sniff,
)
from docclass.settings import Limits
from tests.builders import (
    PNG_HEAD,
    W_STRICT_NS,
    docx_bytes,
    docx_from_body,
    encrypted_pdf,
    ole_bytes,
    pdf_bytes,
    with_zip_encryption_flag,
    word97_stream,
    zip_bytes,
    zip_of_zeros,
)

MB = 1024 * 1024
PAGES = ["Alpha page one\nsecond line", "Bravo page two", "Charlie page three"]


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    """The shared real-world corpus (``../shared/corpus`` or $DOCCLASS_CORPUS), read in place."""
    default = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
    path = Path(os.environ.get("DOCCLASS_CORPUS") or default)
    if not (path / "MANIFEST.tsv").is_file():
        pytest.skip(f"corpus not found at {path}")
    return path


def _raises(exc_type: type[DocumentError], fn: Callable[[], Extracted]) -> str:
    """Run ``fn``, demand exactly ``exc_type`` (its name is stored), return the message."""
    with pytest.raises(DocumentError) as info:
        fn()
    assert type(info.value) is exc_type, f"{type(info.value).__name__}: {info.value}"
    return str(info.value)


# --------------------------------------------------------------------------- PDF


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


def test_pdf_pages_without_text_are_no_text_layer_not_empty_success() -> None:
    message = _raises(NoTextLayer, lambda: extract_bytes(pdf_bytes(["", ""]), "scan.pdf"))
    assert message == "no extractable text (scanned image?)"


def test_truncated_pdf_is_corrupt_with_both_readers_reasons() -> None:
    data = pdf_bytes(PAGES)[:200]
    message = _raises(CorruptDocument, lambda: extract_bytes(data, "cut.pdf"))
    assert message.startswith("unreadable PDF (pypdfium2: ") and "; pypdf: " in message
    assert "Traceback" not in message and len(message) < 400


def test_scanned_corpus_pdf_is_no_text_layer(corpus_dir: Path) -> None:
    path = corpus_dir / "microsoft+markitdown/packages/markitdown-ocr/tests/ocr_test_data"
    message = _raises(NoTextLayer, lambda: extract_file(path / "pdf_scanned_invoice.pdf"))
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


# --------------------------------------------------------------------------- sniffing


def test_sniff_trusts_bytes_over_names() -> None:
    assert sniff(b"%PDF-1.7\n", "report.docx") == "pdf"
    assert sniff(b"\n" * 500 + b"%PDF-1.4\n", "junk-before-header.pdf") == "pdf"
    assert sniff(b"hello", "notes.txt") == "text"
    assert sniff(b"hello", "") == "text"  # stored under its sha256, no name
    with pytest.raises(CorruptDocument, match="no %PDF- header"):
        sniff(b"\x00" * 1100 + b"%PDF-1.4\n", "late-header.pdf")


def test_pdf_named_file_that_is_a_zip_says_so() -> None:
    data = zip_bytes({"notes/readme.txt": b"hello"})
    message = _raises(UnsupportedFormat, lambda: extract_bytes(data, "invoice.pdf"))
    assert message == ".pdf file is really a ZIP archive"


def test_png_is_named_whatever_it_was_called() -> None:
    data = PNG_HEAD + bytes(200)
    assert _raises(UnsupportedFormat, lambda: extract_bytes(data, "scan.pdf")) == (
        ".pdf file is really a PNG image"
    )
    assert _raises(UnsupportedFormat, lambda: extract_bytes(data, "")) == (
        "unsupported file type: PNG image"
    )


def test_html_saved_as_pdf_is_not_read_as_text() -> None:
    data = b"<!DOCTYPE html><html><body>Access denied</body></html>"
    assert _raises(UnsupportedFormat, lambda: extract_bytes(data, "statement.pdf")) == (
        ".pdf file is really an HTML page"
    )


def test_text_under_an_unknown_extension_is_refused_with_a_way_out() -> None:
    message = _raises(UnsupportedFormat, lambda: extract_bytes(b"print('hi')\n", "tool.py"))
    assert message == (
        "unsupported file type: .py (plain text); rename it to .txt to read it as text"
    )


def test_word_document_named_pdf_is_read_as_word_with_a_warning() -> None:
    document = docx.Document()
    document.add_paragraph("Quarterly board minutes")
    result = extract_bytes(docx_bytes(document), "minutes.pdf")
    assert (result.kind, result.text) == ("docx", "Quarterly board minutes")
    assert result.warnings == ["the name ends in .pdf but the file is a Word document"]


def test_encrypted_ooxml_in_ole_container_is_encrypted_not_not_a_zip() -> None:
    data = ole_bytes({"EncryptionInfo": b"", "EncryptedPackage": b""})
    message = _raises(EncryptedDocument, lambda: extract_bytes(data, "contract.docx"))
    assert message.startswith("password-protected Word file (encrypted OOXML package")
    assert "zip" not in message.lower()


def test_legacy_doc_is_unsupported_and_an_encrypted_one_is_encrypted() -> None:
    plain = ole_bytes({"WordDocument": word97_stream(encrypted=False), "1Table": b""})
    message = _raises(UnsupportedFormat, lambda: extract_bytes(plain, "letter.docx"))
    assert message.startswith(".docx file is really a legacy .doc Word file (Word 97-2003")
    locked = ole_bytes({"WordDocument": word97_stream(encrypted=True), "1Table": b""})
    message = _raises(EncryptedDocument, lambda: extract_bytes(locked, "letter.doc"))
    assert message.startswith("password-protected legacy .doc Word file")


@pytest.mark.parametrize(
    ("name", "exc_type", "expected"),
    [
        ("bug53475-password-is-pass.docx", EncryptedDocument, "password-protected Word file"),
        (
            "cpansearch.perl.org_src_tobyink_acme-rundoc-0.001_word-lib_hello_world.docm",
            UnsupportedFormat,
            ".docm file is really a legacy .doc Word file",
        ),
    ],
)
def test_corpus_ole_word_files(
    corpus_dir: Path, name: str, exc_type: type[DocumentError], expected: str
) -> None:
    path = corpus_dir / "apache+poi/test-data/document" / name
    assert _raises(exc_type, lambda: extract_file(path, name)).startswith(expected)


# --------------------------------------------------------------------------- ZIP safety


def test_zip_bomb_is_refused_before_inflating() -> None:
    data = zip_of_zeros("word/document.xml", 300 * MB)
    assert len(data) < 2 * MB  # really a bomb: ~1000× compression
    started = time.perf_counter()
    message = _raises(FileTooLarge, lambda: extract_bytes(data, "bomb.docx"))
    assert time.perf_counter() - started < 1.0
    assert message.startswith("zip declares 300 MB uncompressed (zip bomb?)")


def test_zip_total_declared_size_is_capped_relative_to_the_file_limit() -> None:
    data = zip_of_zeros("word/media/blob.bin", 25 * MB)
    limits = Limits(max_file_bytes=MB)  # so the cap is 20 MB
    message = _raises(FileTooLarge, lambda: extract_bytes(data, "x.docx", limits))
    assert message == "zip declares 25 MB uncompressed (zip bomb?)"


def test_zip_that_is_not_word_names_what_is_missing() -> None:
    data = zip_bytes({"notes/readme.txt": b"hello"})
    assert _raises(UnsupportedFormat, lambda: extract_bytes(data, "notes.docx")) == (
        "file is a ZIP archive but not a Word document (no word/document.xml)"
    )
    workbook = zip_bytes({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"})
    assert _raises(UnsupportedFormat, lambda: extract_bytes(workbook, "sheet.docx")) == (
        "file is an Excel workbook (.xlsx), not a Word document"
    )


def test_zip_member_order_does_not_matter_for_word_detection() -> None:
    """A Word package whose word/ parts come after 8 KB of other members is still Word."""
    document = docx.Document()
    document.add_paragraph("Late members")
    original = zipfile.ZipFile(io.BytesIO(docx_bytes(document)))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as out:
        out.writestr("customXml/padding.xml", os.urandom(20_000))
        for info in original.infolist():
            out.writestr(info.filename, original.read(info))
    assert b"word/" not in buf.getvalue()[:8192]
    assert extract_bytes(buf.getvalue(), "late.docx").text == "Late members"


def test_broken_zip_is_corrupt_with_the_reason(corpus_dir: Path) -> None:
    path = corpus_dir / "apache+poi/test-data/document/truncated62886.docx"
    assert _raises(CorruptDocument, lambda: extract_file(path, "truncated62886.docx")) == (
        "truncated or damaged ZIP archive (end of central directory not found)"
    )


def test_file_over_the_byte_limit_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "huge"
    with path.open("wb") as fh:  # sparse: no 73 MB actually written
        fh.truncate(int(73.2 * MB))
    message = _raises(FileTooLarge, lambda: extract_file(path, "huge.pdf"))
    assert message == "file is 73.2 MB; the limit is 50 MB"


def test_empty_file_is_empty_document() -> None:
    assert _raises(EmptyDocument, lambda: extract_bytes(b"", "a.pdf")) == "file is empty (0 bytes)"


# --------------------------------------------------------------------------- DOCX


def _rich_docx() -> bytes:
    document = docx.Document()
    document.add_paragraph("Intro paragraph")
    table = document.add_table(rows=2, cols=3)
    merged = table.cell(0, 0).merge(table.cell(0, 2))
    merged.text = "MERGED-CELL"
    table.cell(1, 0).text = "left cell"
    inner = table.cell(1, 1).add_table(rows=1, cols=2)
    inner.cell(0, 0).text = "NESTED-A"
    inner.cell(0, 1).text = "NESTED-B"
    document.add_paragraph("Closing paragraph")
    section = document.sections[0]
    section.header.paragraphs[0].text = "ACME LETTERHEAD"
    section.footer.paragraphs[0].text = "Company confidential"
    section.different_first_page_header_footer = True
    section.first_page_header.paragraphs[0].text = "FIRST PAGE ONLY"
    second = document.add_section()
    second.header.is_linked_to_previous = False
    second.header.paragraphs[0].text = "ACME LETTERHEAD"  # same text, another header part
    document.add_paragraph("Second section body")
    # python-docx itself repeats a merged cell once per grid column:
    assert [c.text for c in table.rows[0].cells].count("MERGED-CELL") == 3
    return docx_bytes(document)


def test_docx_body_tables_and_nested_tables_in_order_merged_cells_once() -> None:
    result = extract_bytes(_rich_docx(), "letter.docx")
    assert (result.kind, result.engine, result.page_starts, result.pages) == (
        "docx",
        "python-docx",
        [0],
        1,
    )
    text = result.text
    assert text.count("MERGED-CELL") == 1
    order = [
        "Intro paragraph",
        "MERGED-CELL",
        "left cell",
        "NESTED-A",
        "NESTED-B",
        "Closing paragraph",
        "Second section body",
    ]
    positions = [text.index(word) for word in order]
    assert positions == sorted(positions)


def test_docx_headers_all_variants_and_footers_once_each() -> None:
    text = extract_bytes(_rich_docx(), "letter.docx").text
    assert text.count("ACME LETTERHEAD") == 1
    assert "FIRST PAGE ONLY" in text and text.count("Company confidential") == 1
    assert text.index("ACME LETTERHEAD") < text.index("Intro paragraph")
    assert text.index("Company confidential") > text.index("Second section body")


TRICKY_BODY = (
    "<w:p><w:r><w:t>Heading</w:t></w:r></w:p>"
    # tab stops in paragraph properties are not tabs in the text
    '<w:p><w:pPr><w:tabs><w:tab w:val="left" w:pos="720"/></w:tabs></w:pPr>'
    "<w:r><w:t>Name</w:t><w:tab/><w:t>Value</w:t></w:r></w:p>"
    # tracked changes: insertions kept, deletions (delText, or t inside del) dropped
    "<w:p><w:ins><w:r><w:t>kept insertion</w:t></w:r></w:ins>"
    "<w:del><w:r><w:delText>GONE-DELTEXT</w:delText></w:r></w:del>"
    "<w:del><w:r><w:t>GONE-T</w:t></w:r></w:del></w:p>"
    "<w:p><w:moveFrom><w:r><w:t>MOVED-AWAY</w:t></w:r></w:moveFrom>"
    "<w:moveTo><w:r><w:t>moved here</w:t></w:r></w:moveTo></w:p>"
    # a field: the code is hidden, the result is text
    '<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r>'
    '<w:r><w:instrText> HYPERLINK "http://example.com" </w:instrText></w:r>'
    '<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>link text</w:t></w:r>'
    '<w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>'
    "<w:p><w:r><w:t>line one</w:t><w:br/><w:t>line two</w:t><w:noBreakHyphen/>"
    "<w:t>end</w:t></w:r></w:p>"
    # a content control
    '<w:sdt><w:sdtPr><w:alias w:val="Client"/></w:sdtPr>'
    "<w:sdtContent><w:p><w:r><w:t>ACME Corp</w:t></w:r></w:p></w:sdtContent></w:sdt>"
    # a text box stored twice (DrawingML choice + VML fallback) is read once
    '<w:p><w:r><mc:AlternateContent><mc:Choice Requires="wps"><w:txbxContent><w:p><w:r>'
    "<w:t>BOX-ONCE</w:t></w:r></w:p></w:txbxContent></mc:Choice><mc:Fallback><w:pict>"
    "<v:shape><v:textbox><w:txbxContent><w:p><w:r><w:t>BOX-ONCE</w:t></w:r></w:p>"
    "</w:txbxContent></v:textbox></v:shape></w:pict></mc:Fallback></mc:AlternateContent>"
    "</w:r></w:p>"
    # ...but when only the fallback has the text, the fallback is read
    '<w:p><w:r><mc:AlternateContent><mc:Choice Requires="w14"><w:drawing/></mc:Choice>'
    "<mc:Fallback><w:pict><v:shape><v:textbox><w:txbxContent><w:p><w:r>"
    "<w:t>FALLBACK-ONLY</w:t></w:r></w:p></w:txbxContent></v:textbox></v:shape></w:pict>"
    "</mc:Fallback></mc:AlternateContent></w:r></w:p>"
    # a WordArt watermark and an equation
    '<w:p><w:r><w:pict><v:shape><v:textpath string="CONFIDENTIAL"/></v:shape></w:pict>'
    "</w:r></w:p>"
    "<w:p><m:oMath><m:r><m:t>E=mc2</m:t></m:r></m:oMath></w:p>"
)
TRICKY_TEXT = (
    "Heading\nName\tValue\nkept insertion\nmoved here\nlink text\nline one\nline two-end\n"
    "ACME Corp\nBOX-ONCE\n\nFALLBACK-ONLY\n\nCONFIDENTIAL\n\nE=mc2"
)


def test_docx_markup_rules_tracked_changes_fields_controls_text_boxes() -> None:
    result = extract_bytes(docx_from_body(TRICKY_BODY), "tricky.docx")
    assert result.text == TRICKY_TEXT and result.warnings == []


def test_iso_strict_docx_reads_like_transitional() -> None:
    result = extract_bytes(docx_from_body(TRICKY_BODY, namespace=W_STRICT_NS), "strict.docx")
    assert result.text == TRICKY_TEXT
    assert result.warnings == ["ISO Strict OOXML document"]


@pytest.mark.parametrize(
    "content_type",
    [
        "application/vnd.ms-word.document.macroEnabled.main+xml",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml",
        "application/vnd.ms-word.template.macroEnabledTemplate.main+xml",
    ],
)
def test_docm_dotx_dotm_are_read(content_type: str) -> None:
    data = docx_from_body(
        "<w:p><w:r><w:t>Template body</w:t></w:r></w:p>", content_type=content_type
    )
    assert extract_bytes(data, "t.dotm").text == "Template body"


def test_password_protected_zip_is_encrypted() -> None:
    data = with_zip_encryption_flag(docx_from_body("<w:p><w:r><w:t>x</w:t></w:r></w:p>"))
    assert _raises(EncryptedDocument, lambda: extract_bytes(data, "z.docx")) == (
        "the ZIP archive is password-protected"
    )


def test_docx_max_chars_truncates() -> None:
    document = docx.Document()
    for i in range(3000):
        document.add_paragraph(f"Paragraph number {i} of a long report.")
    result = extract_bytes(docx_bytes(document), "long.docx", Limits(max_chars=1000))
    assert len(result.text) == 1000 and result.truncated
    assert result.text.startswith("Paragraph number 0 of a long report.")


def test_docx_without_text_is_empty_document() -> None:
    message = _raises(EmptyDocument, lambda: extract_bytes(docx_bytes(docx.Document()), "a.docx"))
    assert message == "the Word document contains no text"


@pytest.mark.parametrize(
    ("relpath", "present", "absent"),
    [
        (
            "apache+poi/test-data/document/PageSpecificHeadFoot.docx",
            [
                "[ODD Page Header text]",
                "[This is an Even Page, with a Header]",
                "HEADING TEXT",
                "This is page two",
                "This is a simple footer on the second page",
                "Footer Middle",
            ],
            [],
        ),
        (
            "mwilliamson+mammoth.js/test/test-data/footnotes.docx",
            ["Ouch.", "A tachyon walks into a bar.", "Fin."],
            [],
        ),
        (
            "mwilliamson+mammoth.js/test/test-data/endnotes.docx",
            ["Ouch.", "A tachyon walks into a bar."],
            [],
        ),
        (
            "apache+poi/test-data/document/delins.docx",
            ["March 2009: Apache Tika Release", "A Nepalese name for Tilaka"],
            ["A pendant worn in place of the red spot", "HYPERLINK"],  # deleted; field code
        ),
        (
            "apache+poi/test-data/document/"
            "clusterfuzz-testcase-minimized-POIXWPFFuzzer-6733884933668864.docx",
            ["text content from within a paragraph", "Content control that is the entire"],
            [],
        ),
        ("apache+poi/test-data/document/FldSimple.docx", ["FldSimple.docx"], ["FILENAME"]),
        ("mwilliamson+mammoth.js/test/test-data/strict-format.docx", ["Test"], []),
        ("apache+poi/test-data/document/45690.docm", ["Материал из Википедии"], []),
        ("apache+poi/test-data/document/60316.dotx", ["[Your Name]"], []),
        (
            "dotnet+Open-XML-SDK/test/DocumentFormat.OpenXml.Tests.Assets/assets/TestFiles/"
            "InvalidDocProps.docx",
            ["Video provides a powerful way to help you prove your point."],
            [],
        ),
    ],
)
def test_corpus_docx_text_that_paragraphs_alone_miss(
    corpus_dir: Path, relpath: str, present: list[str], absent: list[str]
) -> None:
    result = extract_file(corpus_dir / relpath, Path(relpath).name)
    assert result.engine == "python-docx"
    for snippet in present:
        assert snippet in result.text, snippet
    for snippet in absent:
        assert snippet not in result.text, snippet


def test_text_box_is_read_once_not_from_both_choice_and_fallback(corpus_dir: Path) -> None:
    result = extract_file(corpus_dir / "mwilliamson+mammoth.js/test/test-data/text-box.docx")
    assert result.text == "Datum plane"


def test_external_entity_is_never_resolved(corpus_dir: Path) -> None:
    path = corpus_dir / "apache+poi/test-data/document/ExternalEntityInText.docx"
    result = extract_file(path, "xxe.docx")
    assert result.text == 'Here should not be the POI web site: ""'
    assert "word/document.xml declares a DTD; entities were not resolved" in result.warnings


def test_merged_cells_do_not_blow_up_bug65649(corpus_dir: Path) -> None:
    path = corpus_dir / "apache+poi/test-data/document/bug65649.docx"
    full = extract_file(path, "bug65649.docx", Limits(max_chars=10_000_000))
    assert 200_000 < len(full.text) < 400_000 and not full.truncated  # naive: ~1 M
    capped = extract_file(path, "bug65649.docx")
    assert len(capped.text) == 200_000 and capped.truncated
    assert full.text.startswith(capped.text)


def test_office_package_that_is_not_word(corpus_dir: Path) -> None:
    path = corpus_dir / "apache+poi/test-data/integration/stress025.docx"
    message = _raises(UnsupportedFormat, lambda: extract_file(path, "stress025.docx"))
    assert message.startswith("file is an Office package but not a Word document")


# --------------------------------------------------------------------------- plain text

CAFE = "Prix : 12,50 € — café crème, naïve façade, déjà vu.\nDeuxième ligne, Œuvre complète.\n"


@pytest.mark.parametrize(
    ("data", "encodings"),
    [
        ((CAFE * 5).encode("cp1252"), {"cp1252"}),
        ((CAFE * 5).encode("utf-16"), {"utf-16"}),
        ((CAFE * 5).encode("utf-8-sig"), {"utf-8-sig"}),
        ((CAFE * 5).encode("utf-8"), {"utf-8"}),
        ((CAFE * 5).encode("utf-16-le"), {"utf-16-le"}),  # no BOM
    ],
)
def test_text_charset_is_detected_and_decoded(data: bytes, encodings: set[str]) -> None:
    result = extract_bytes(data, "notes.txt")
    assert (result.kind, result.engine) == ("text", "text")
    assert result.encoding in encodings
    assert result.text == (CAFE * 5).strip() and not result.text.startswith("\ufeff")


def test_text_is_normalised() -> None:
    # A NUL in the first 8 KB means binary; later ones are stripped like other control codes.
    filler = b"log line\n" * 1000
    result = extract_bytes(filler + b"a\r\nb\x00c\n\n\n\n\n\n\nd   \ne\n", "n.log")
    assert result.text == (filler.decode() + "a\nbc\n\n\nd\ne")
    message = _raises(UnsupportedFormat, lambda: extract_bytes(b"a\x00b" + filler, "n.txt"))
    assert message == ".txt file is really binary data, not text"


def test_text_truncation_and_whitespace_only() -> None:
    result = extract_bytes(b"0123456789abcdef", "t.txt", Limits(max_chars=10))
    assert (result.text, result.truncated) == ("0123456789", True)
    assert _raises(EmptyDocument, lambda: extract_bytes(b" \n\t \r\n", "blank.txt")) == (
        "the text file contains only whitespace"
    )


def test_extract_file_and_extract_bytes_agree(tmp_path: Path) -> None:
    data = pdf_bytes(PAGES)
    path = tmp_path / "0f3a"  # stored under a hash, without an extension
    path.write_bytes(data)
    assert extract_file(path) == extract_bytes(data, "0f3a")


def test_errors_and_results_survive_the_process_boundary() -> None:
    error = pickle.loads(pickle.dumps(EncryptedDocument("password required")))
    assert type(error) is EncryptedDocument and str(error) == "password required"
    result = extract_bytes(pdf_bytes(PAGES), "p.pdf")
    assert pickle.loads(pickle.dumps(result)) == result
    assert pickle.loads(pickle.dumps(extract_file)) is extract_file


# --------------------------------------------------------------------------- corpus sweep


def _sweep_one(path: str) -> tuple[str, str, int, float]:
    """(outcome, message, characters, seconds) for one file; runs in a worker process."""
    started = time.perf_counter()
    try:
        result = extract_file(path, os.path.basename(path))
        return "ok", result.engine, len(result.text.strip()), time.perf_counter() - started
    except DocumentError as exc:
        return type(exc).__name__, str(exc), 0, time.perf_counter() - started
    except BaseException as exc:  # what the test is looking for: an escaped exception type
        return f"ESCAPED {type(exc).__name__}", str(exc)[:200], 0, time.perf_counter() - started


EXPECTED_ERRORS = {
    "unreadablemetadata.pdf",  # pdfium and pypdf both refuse it (pdfminer reads it)
    "empty.docx",  # no text at all
    "external-picture.docx",  # only a picture
    "tiny-picture.docx",
    "tiny-picture-target-base-relative.docx",
}


def test_every_corpus_file_is_text_or_a_document_error(corpus_dir: Path) -> None:
    with (corpus_dir / "MANIFEST.tsv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    outcomes: dict[str, tuple[str, str, str, int, float]] = {}
    with pebble.ProcessPool(max_workers=2, max_tasks=16) as pool:
        futures = {
            row["path"]: (
                row["category"],
                pool.schedule(_sweep_one, args=(str(corpus_dir / row["path"]),), timeout=20),
            )
            for row in rows
        }
        for relpath, (category, future) in futures.items():
            try:
                outcome, message, chars, seconds = future.result()
            except FutureTimeout:
                outcome, message, chars, seconds = "TIMEOUT", "", 0, 20.0
            outcomes[relpath] = (category, outcome, message, chars, seconds)

    problems = []
    for relpath, (category, outcome, message, chars, seconds) in outcomes.items():
        name = Path(relpath).name
        if outcome == "ok":
            expected_ok = chars > 0
        else:
            expected_ok = outcome in {
                "UnsupportedFormat",
                "EncryptedDocument",
                "CorruptDocument",
                "NoTextLayer",
                "EmptyDocument",
                "FileTooLarge",
            }
        if category == "pdf-image-only":
            expected_ok = outcome == "NoTextLayer"
        elif category in ("pdf-encoding", "pdf-slow", "docx-coverage"):
            expected_ok = outcome == "ok" and chars > 0 and seconds < 10
        elif category in ("pdf-baseline", "docx-baseline") and name not in EXPECTED_ERRORS:
            expected_ok = outcome == "ok" and chars > 0
        elif category == "pdf-encrypted" and outcome != "ok":
            expected_ok = (outcome, message) == ("EncryptedDocument", "password required")
        elif category == "docx-encrypted-or-not-zip":
            expected_ok = outcome in ("EncryptedDocument", "UnsupportedFormat")
        if not expected_ok:
            problems.append(f"{category} {relpath}: {outcome} {message!r} {seconds:.1f}s")
    assert not problems, "\n".join(problems)
    assert len(outcomes) == len(rows) >= 128
