"""Every file of the shared real-world corpus is text or one DocumentError, in worker processes."""

from __future__ import annotations

import csv
import os
import time
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path

import pebble

from docclass.extraction import DocumentError, extract_file
from docclass.settings import Limits
from tests.unit.extraction import support

corpus_dir = support.corpus_dir  # the shared corpus, skipped when it is missing
# Like the runner: the document's time budget is the worker's timeout, so readers that
# stop early at their share of it (pypdf on slow files) can be seen doing so.
TIMEOUT_S = 20
SWEEP_LIMITS = Limits(doc_timeout_s=TIMEOUT_S)


def _sweep_one(path: str) -> tuple[str, str, int, float]:
    """(outcome, message, characters, seconds) for one file; runs in a worker process."""
    started = time.perf_counter()
    try:
        result = extract_file(path, os.path.basename(path), SWEEP_LIMITS)
        return "ok", result.engine, len(result.text.strip()), time.perf_counter() - started
    except DocumentError as exc:
        return type(exc).__name__, str(exc), 0, time.perf_counter() - started
    except BaseException as exc:  # what the test is looking for: an escaped exception type
        return f"ESCAPED {type(exc).__name__}", str(exc)[:200], 0, time.perf_counter() - started


SCANS_WITH_WORDS = {"pdf_scanned_invoice.pdf", "MEDRPT-2024-PAT-3847_medical_report_scan.pdf"}
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
                pool.schedule(_sweep_one, args=(str(corpus_dir / row["path"]),), timeout=TIMEOUT_S),
            )
            for row in rows
        }
        for relpath, (category, future) in futures.items():
            try:
                outcome, message, chars, seconds = future.result()
            except FutureTimeout:
                outcome, message, chars, seconds = "TIMEOUT", "", 0, float(TIMEOUT_S)
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
                "NoTextLayer",  # pypdf reads pages pdfium cannot open (and so cannot render)
                "NoTextFound",
                "EmptyDocument",
                "FileTooLarge",
            }
        if category == "pdf-image-only":
            # the two scans of typed pages are read by OCR; the pictures hold no words
            if name in SCANS_WITH_WORDS:
                expected_ok = (outcome, message) == ("ok", "ocr:tesseract") and chars > 200
            else:
                expected_ok = outcome == "NoTextFound"
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
