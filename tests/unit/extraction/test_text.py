"""Plain text: charset detection and decoding, normalisation, truncation."""

from __future__ import annotations

import pytest

from docclass.extraction import EmptyDocument, UnsupportedFormat, extract_bytes
from docclass.settings import Limits
from tests.unit.extraction.support import _raises

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
