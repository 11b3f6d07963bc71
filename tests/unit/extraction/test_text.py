"""Plain text: charset detection and decoding, normalisation, truncation."""

from __future__ import annotations

import pytest

from docclass.extraction import EmptyDocument, UnsupportedFormat, extract_bytes, extract_file
from docclass.settings import Limits
from tests.paths import EVAL
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


# Résumés exported with bullets decoded twice: "•" became "â\x80¢" (C1 control U+0080).
GARBLED_RESUMES = ["0012.txt", "0020.txt", "0023.txt", "0038.txt"]


def test_utf8_text_with_c1_controls_is_text_not_binary() -> None:
    line = "â\x80¢ Managed the quarterly close\n".encode()  # valid UTF-8
    assert line.decode("utf-8").count("\x80") == 1
    result = extract_bytes(line * 50, "resume.txt")
    assert (result.kind, result.encoding) == ("text", "utf-8")
    assert result.text.startswith("â\x80¢ Managed the quarterly close")


@pytest.mark.parametrize("name", GARBLED_RESUMES)
def test_dev_resumes_with_garbled_bullets_are_read(name: str) -> None:
    path = EVAL / "resume" / name
    if not path.is_file():
        pytest.skip(f"eval set not found at {path}")
    text = path.read_bytes().decode("utf-8")
    c1 = sum("\x80" <= ch <= "\x9f" for ch in text)
    assert c1 > len(text) // 100  # more than the 1% of control characters that means binary
    result = extract_file(path, name)
    assert (result.kind, result.encoding) == ("text", "utf-8")
    assert len(result.text) > 1000


def test_c0_controls_in_valid_utf8_still_mean_binary() -> None:
    data = "café ".encode() + bytes(range(1, 9)) * 20  # valid UTF-8, but C0 controls
    message = _raises(UnsupportedFormat, lambda: extract_bytes(data, "blob.txt"))
    assert message == ".txt file is really binary data, not text"
