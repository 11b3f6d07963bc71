"""Plain text: charset detection and decoding, normalisation, truncation."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from docclass.extraction import EmptyDocument, UnsupportedFormat, extract_bytes, extract_file
from docclass.settings import Limits
from tests.paths import EVAL, ROOT
from tests.unit.extraction.support import MB, _raises

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
        pytest.fail(f"eval set not found at {path}")
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


def test_long_text_keeps_max_chars_of_the_same_text_and_says_truncated() -> None:
    limits = Limits(max_chars=1000)  # so about 16 KB of the file is read
    data = (CAFE * 2000).encode("utf-8")
    assert len(data) > 100 * 1024
    result = extract_bytes(data, "long.txt", limits)
    assert result.text == (CAFE * 2000)[:1000]
    assert (result.truncated, result.encoding) == (True, "utf-8")


def test_a_read_that_ends_inside_a_character_is_still_utf8() -> None:
    # No line ends, 3-byte characters: the bytes read stop in the middle of one.
    result = extract_bytes(("€" * 20_000).encode(), "euros.txt", Limits(max_chars=1000))
    assert (result.text, result.encoding, result.truncated) == ("€" * 1000, "utf-8", True)


def test_text_after_a_long_blank_start_is_still_found() -> None:
    data = b"\n" * 50_000 + b"late text"
    result = extract_bytes(data, "late.txt", Limits(max_chars=1000))
    assert (result.text, result.truncated) == ("late text", False)


# A fresh process, so ru_maxrss (the peak) measures only this file.
_PEAK_SCRIPT = """
import json, resource, sys
from docclass.extraction import extract_file
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
result = extract_file(sys.argv[1], "big.log")
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps([len(result.text), result.truncated, (after - before) * 1024]))
"""


def test_a_50_mb_text_file_is_not_decoded_whole(tmp_path: Path) -> None:
    path = tmp_path / "big.log"
    line = "2026-12-02 06:45:01 INFO café crème déjà vu — request served\r\n"
    with path.open("w", encoding="utf-8", newline="") as fh:
        for _ in range(50 * MB // len(line.encode()) // 1000):
            fh.write(line * 1000)
    assert path.stat().st_size > 49 * MB
    proc = subprocess.run(
        [sys.executable, "-c", _PEAK_SCRIPT, str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    chars, truncated, growth = json.loads(proc.stdout)
    assert (chars, truncated) == (Limits().max_chars, True)
    assert growth < 64 * MB, f"peak memory grew by {growth / MB:.0f} MB"
