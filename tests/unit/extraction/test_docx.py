"""Word (OOXML): ZIP safety, then the package walk: order, headers, markup rules, corpus files."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import docx
import pytest

from docclass.extraction import (
    CorruptDocument,
    EmptyDocument,
    EncryptedDocument,
    FileTooLarge,
    UnsupportedFormat,
    extract_bytes,
    extract_file,
)
from docclass.settings import Limits
from tests.builders import (
    W_STRICT_NS,
    docx_bytes,
    docx_from_body,
    docx_nested,
    docx_with_padding,
    with_zip_encryption_flag,
    zip_bytes,
    zip_of_zeros,
)
from tests.paths import ROOT
from tests.unit.extraction import support
from tests.unit.extraction.support import MB, _raises

corpus_dir = support.corpus_dir  # the shared corpus, skipped when it is missing


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


# Run in a fresh process, so ru_maxrss (the peak) starts low and measures only this file.
_PEAK_MEMORY_SCRIPT = """
import json, resource, sys
from docclass.extraction import DocumentError, extract_file
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    result = extract_file(sys.argv[1], "liar.docx")
    outcome = f"ok: {result.text[:40]!r}"
except DocumentError as exc:
    outcome = f"{type(exc).__name__}: {exc}"
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps([outcome, (after - before) * 1024]))
"""


def test_zip_member_that_lies_about_its_size_is_stopped_as_a_bomb_in_bounded_memory(
    tmp_path: Path,
) -> None:
    # document.xml declares 2,000 bytes in both headers and really inflates to 1 GiB.
    path = tmp_path / "liar.docx"
    path.write_bytes(docx_with_padding(1024 * MB, declared=2000))
    assert path.stat().st_size < 2 * MB
    with zipfile.ZipFile(path) as zf:
        assert zf.getinfo("word/document.xml").file_size == 2000  # what a header check sees
    proc = subprocess.run(
        [sys.executable, "-c", _PEAK_MEMORY_SCRIPT, str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    outcome, growth = json.loads(proc.stdout)
    assert outcome == (
        "FileTooLarge: zip member inflates far past its declared size (zip bomb?): "
        "word/document.xml declares 2,000 bytes and was stopped at 20 MB"
    )
    assert growth < 200 * MB, f"peak memory grew by {growth / MB:.0f} MB"


def test_zip_member_a_little_over_its_declared_size_is_corrupt_not_a_bomb() -> None:
    data = docx_with_padding(5 * MB, declared=2000)
    message = _raises(CorruptDocument, lambda: extract_bytes(data, "odd.docx"))
    assert message.startswith("damaged ZIP member word/document.xml (inflates to 5,")
    assert message.endswith(" bytes; its header declares 2,000)")


def test_zip_real_output_is_capped_across_members_whatever_the_headers_say() -> None:
    # Declared as 2,000 bytes, so the declared-size checks pass; the real 15 MB do not.
    limits = Limits(max_file_bytes=MB // 2)  # so the cap is 10 MB
    liar = docx_with_padding(15 * MB, declared=2000)
    message = _raises(FileTooLarge, lambda: extract_bytes(liar, "big.docx", limits))
    assert message == "zip inflates past 10 MB (zip bomb?): stopped in word/document.xml"


def test_zip_member_compressed_other_than_deflate_is_refused_before_inflating() -> None:
    # zipfile inflates bzip2 and LZMA without an output bound per read; OPC forbids them.
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_BZIP2) as zf:
        zf.writestr("word/document.xml", b"<w:document/>")
    message = _raises(CorruptDocument, lambda: extract_bytes(buf.getvalue(), "bz.docx"))
    assert message == (
        "ZIP member word/document.xml uses bzip2 compression; "
        "Word documents use only deflate or none"
    )


def test_a_large_honest_member_still_reads() -> None:
    result = extract_bytes(docx_with_padding(8 * MB), "padded.docx")
    assert (result.text, result.warnings) == ("Hi", [])


def test_word_xml_nested_past_the_parsers_limit_is_corrupt_not_empty() -> None:
    message = _raises(CorruptDocument, lambda: extract_bytes(docx_nested(200), "deep.docx"))
    assert message == (
        "unreadable word/document.xml: it nests XML elements more than 256 levels deep "
        "(a broken or hostile file), so no text could be read"
    )


def test_word_xml_nested_too_deep_keeps_the_text_before_and_says_why() -> None:
    result = extract_bytes(docx_nested(200, before="Opening paragraph"), "deep.docx")
    assert result.text == "Opening paragraph"
    assert result.warnings == [
        "word/document.xml nests XML elements more than 256 levels deep; "
        "only the text before that point was read"
    ]
    assert extract_bytes(docx_nested(100), "ok.docx").text == "Deep text"  # 200 levels: fine


def test_word_text_run_over_the_parsers_limit_is_corrupt_not_empty() -> None:
    data = docx_with_padding(11 * MB)  # one 11 MB whitespace text node
    message = _raises(CorruptDocument, lambda: extract_bytes(data, "padded.docx"))
    assert message == (
        "unreadable word/document.xml: it holds a single run of text over 10 MB "
        "(a broken or hostile file), so no text could be read"
    )


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
