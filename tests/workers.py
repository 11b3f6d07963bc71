"""Extraction functions for runner tests; top-level so spawned worker processes import them."""

from __future__ import annotations

import time
from pathlib import Path

from docclass.extraction import Extracted, extract_file
from docclass.settings import Limits


def hang(path: str, filename: str, limits: Limits) -> Extracted:
    """A reader that never returns, like a PDF that sends a parser into a loop."""
    if "hang" in filename:
        while True:
            time.sleep(0.05)
    return extract_file(path, filename, limits)


def eat_memory(path: str, filename: str, limits: Limits) -> Extracted:
    """A reader that allocates without bound, like a decompression bomb."""
    if "bomb" in filename:
        hog = []
        while True:
            hog.append(bytearray(64 * 1024 * 1024))
    return extract_file(path, filename, limits)


def slow(path: str, filename: str, limits: Limits) -> Extracted:
    """Real extraction that takes a little longer, so a test can kill a job mid-way."""
    time.sleep(0.15)
    return extract_file(path, filename, limits)


def gated(path: str, filename: str, limits: Limits) -> Extracted:
    """Files named ``open-*`` are read at once; the others wait (30 s at most) for a ``.go``
    file beside the uploads, so a test acts while they are held, not while time passes."""
    if not filename.startswith("open-"):
        gate = Path(path).parent / ".go"
        deadline = time.monotonic() + 30
        while not gate.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
    return extract_file(path, filename, limits)


def count_reads(path: str, filename: str, limits: Limits) -> Extracted:
    """Real extraction that leaves a mark per read (beside the uploads) for counting."""
    marks = Path(path).parent / ".reads"
    marks.mkdir(exist_ok=True)
    with open(marks / Path(path).name, "a") as fh:
        fh.write("x")
    return extract_file(path, filename, limits)


def reads_of(uploads: Path) -> dict[str, int]:
    marks = uploads / ".reads"
    return {p.name: len(p.read_text()) for p in marks.iterdir()} if marks.is_dir() else {}
