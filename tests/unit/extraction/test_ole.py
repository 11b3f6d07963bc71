"""OLE containers: encrypted OOXML packages and legacy .doc files, built here and in the corpus."""

from __future__ import annotations

from pathlib import Path

import pytest

from docclass.extraction import (
    CorruptDocument,
    DocumentError,
    EncryptedDocument,
    UnsupportedFormat,
    extract_bytes,
    extract_file,
    sniff,
)
from tests.builders import ole_bytes, word97_stream
from tests.unit.extraction import support
from tests.unit.extraction.support import _raises

corpus_dir = support.corpus_dir  # the shared corpus, skipped when it is missing


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


@pytest.mark.parametrize("name", ["budget.xls", "message.msg", "contract.docx"])
def test_truncated_ole_file_is_damaged_not_encrypted(name: str) -> None:
    whole = ole_bytes({"Workbook": bytes(4096)})
    cut = whole[:1024]  # header and FAT; the directory sector is gone
    message = _raises(CorruptDocument, lambda: extract_bytes(cut, name))
    ext = name[name.rindex(".") :]
    assert message == (
        f"damaged or truncated {ext} file: a Microsoft Office (OLE) container whose directory "
        "cannot be read; open it in Office and save it again, or upload it again"
    )
    assert "password" not in message


def test_ole_head_alone_claims_nothing_about_passwords() -> None:
    head = ole_bytes({"Workbook": bytes(4096)})[:512]  # sniff() sees only the first bytes
    with pytest.raises(UnsupportedFormat) as info:
        sniff(head, "budget.xls")
    assert str(info.value) == (
        "unsupported file type: OLE compound file (legacy Microsoft Office) (.xls)"
    )
