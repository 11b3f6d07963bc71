"""A file's type from its bytes, and what the messages say when the name disagrees."""

from __future__ import annotations

import docx
import pytest

from docclass.extraction import (
    CorruptDocument,
    EmptyDocument,
    UnsupportedFormat,
    extract_bytes,
    sniff,
)
from tests.builders import PNG_HEAD, docx_bytes, pdf_bytes, zip_bytes
from tests.unit.extraction.support import _raises


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


def test_images_are_read_whatever_they_were_called() -> None:
    # PNG, JPEG, TIFF and WebP are read with OCR (tests/unit/extraction/test_ocr.py); the
    # bytes decide, so a broken PNG named .pdf is a broken image, not a broken PDF.
    data = PNG_HEAD + bytes(200)
    for name in ("scan.pdf", "scan.png", ""):
        assert sniff(data, name) == "image"
    assert sniff(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "photo.jpg") == "image"
    assert sniff(b"II*\x00\x08\x00\x00\x00", "fax.tif") == "image"
    assert sniff(b"RIFF\x10\x00\x00\x00WEBPVP8 ", "") == "image"
    message = _raises(CorruptDocument, lambda: extract_bytes(data, "scan.pdf"))
    assert message.startswith("unreadable image")


def test_images_we_do_not_read_are_named() -> None:
    gif = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"
    assert _raises(UnsupportedFormat, lambda: extract_bytes(gif, "scan.pdf")) == (
        ".pdf file is really a GIF image"
    )
    assert _raises(UnsupportedFormat, lambda: extract_bytes(gif, "")) == (
        "unsupported file type: GIF image"
    )
    riff_audio = b"RIFF\x10\x00\x00\x00WAVEfmt "
    assert _raises(UnsupportedFormat, lambda: extract_bytes(riff_audio, "")) == (
        "unsupported file type: WAV audio file"
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


def test_empty_file_is_empty_document() -> None:
    assert _raises(EmptyDocument, lambda: extract_bytes(b"", "a.pdf")) == "file is empty (0 bytes)"


def test_text_that_mentions_a_pdf_header_is_still_text() -> None:
    data = b"Notes on the format\nEvery file starts with %PDF-1.7 and ends with %%EOF.\n"
    assert sniff(data, "notes.txt") == "text"
    assert sniff(data, "") == "text"
    assert extract_bytes(data, "notes.txt").text == data.decode().strip()


def test_pdf_after_a_text_preamble_is_still_a_pdf() -> None:
    # A PDF saved with the mail headers in front of it: text, then a real PDF on a new line.
    data = b"Content-Type: application/pdf\r\n\r\n" + pdf_bytes(["Invoice 42"])
    assert sniff(data[:8192], "0f3a") == "pdf"
    assert extract_bytes(data, "0f3a").text == "Invoice 42"
    assert sniff(b"MacBinary\x00\x01\x02junk" + pdf_bytes(["x"]), "") == "pdf"
