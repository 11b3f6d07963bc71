"""The entry points: the byte limit, file and bytes agreeing, pickling across processes."""

from __future__ import annotations

import hashlib
import pickle
from pathlib import Path

from docclass.extraction import (
    CorruptDocument,
    EncryptedDocument,
    FileTooLarge,
    extract_bytes,
    extract_file,
)
from tests.builders import pdf_bytes
from tests.unit.extraction.support import MB, PAGES, _raises


def test_file_over_the_byte_limit_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "huge"
    with path.open("wb") as fh:  # sparse: no 73 MB actually written
        fh.truncate(int(73.2 * MB))
    message = _raises(FileTooLarge, lambda: extract_file(path, "huge.pdf"))
    assert message == "file is 73.2 MB; the limit is 50 MB"


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


def test_a_stored_copy_that_no_longer_matches_its_sha256_is_refused(tmp_path: Path) -> None:
    data = pdf_bytes(PAGES)
    sha = hashlib.sha256(data).hexdigest()
    path = tmp_path / sha  # uploads are stored under their sha256
    path.write_bytes(data)
    assert extract_file(path, "report.pdf", sha256=sha).text == extract_bytes(data, "r").text
    damaged = bytearray(data)
    damaged[len(damaged) // 2] ^= 0x20  # one flipped bit, as a disk fault leaves it
    path.write_bytes(bytes(damaged))
    now = hashlib.sha256(damaged).hexdigest()
    message = _raises(CorruptDocument, lambda: extract_file(path, "report.pdf", sha256=sha))
    assert message == (
        f"the stored copy {sha} does not match the uploaded file (its sha256 is now "
        f"{now[:12]}…, expected {sha[:12]}…): the copy on disk is damaged or was changed; "
        "upload the file again"
    )
