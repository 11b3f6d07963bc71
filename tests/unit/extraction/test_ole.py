"""OLE containers: encrypted OOXML packages and legacy .doc files, built here and in the corpus."""

from __future__ import annotations

from pathlib import Path

import pytest

from docclass.extraction import (
    DocumentError,
    EncryptedDocument,
    UnsupportedFormat,
    extract_bytes,
    extract_file,
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
