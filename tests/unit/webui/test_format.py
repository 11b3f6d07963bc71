"""webui.format: pure text helpers, tested without Streamlit running a script."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from docclass.schemas import JobOut
from docclass.settings import load_settings
from webui.format import (
    STATUS_ICONS,
    as_utc,
    effective_classifier,
    engine_facts,
    finished_icon,
    finished_text,
    fmt_bytes,
    fmt_time,
    job_caption,
    job_label,
    md_escape,
    md_plain,
    percent,
    progress_text,
    result_facts,
    short_id,
    status_label,
    taxonomy_label,
)

JOB_ID = "0123456789abcdef0123456789abcdef"
CREATED = datetime(2026, 1, 31, 17, 5, 9)  # naive, as SQLite gives it back: UTC


def job(**values: object) -> JobOut:
    fields: dict[str, object] = {
        "job_id": JOB_ID,
        "status": "completed",
        "taxonomy_name": "default",
        "classifier": "local",
        "total_files": 3,
        "completed": 2,
        "failed": 1,
        "progress": 100.0,
        "created_at": CREATED,
        "updated_at": CREATED + timedelta(seconds=4),
    }
    fields.update(values)
    return JobOut(**fields)  # type: ignore[arg-type]


def test_md_escape_leaves_no_markdown_active() -> None:
    for raw in [
        "a*b*c [x](javascript:alert(1)) `code` # h",
        ":material/home: :smile: https://evil.example www.evil.example me@evil.example",
        "<script>alert(1)</script> $E=mc^2$ ~~s~~ | a | b |",
    ]:
        escaped = md_escape(raw)
        assert md_plain(escaped) == raw
        assert not re.search(r"(?<!\\)[*_`\[\]()<>$~|#:@]", escaped), escaped
    # Patterns Streamlit expands even when escaped are broken by an invisible joiner.
    escaped = md_escape(":material/home: https://x.example www.x.example me@x.example")
    assert "\\:\u2060material" in escaped and "https\\:\u2060" in escaped
    assert "www\u2060\\." in escaped and "\\@\u2060" in escaped
    assert md_escape("EncryptedDocument: password") == "EncryptedDocument\\: password"


def test_md_escape_makes_one_paragraph_of_any_text() -> None:
    assert md_escape("line one\n\n  line two\t") == "line one line two"
    assert md_escape(42) == "42"


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (None, "—"),
        (0, "0 B"),
        (999, "999 B"),
        (1000, "1.0 kB"),
        (478_600, "478.6 kB"),  # what the browser's uploader says of the same file
        (50 * 1000 * 1000, "50.0 MB"),
        (3 * 1000**3, "3.0 GB"),
        (5 * 1000**4, "5000.0 GB"),
    ],
)
def test_fmt_bytes(size: int | None, text: str) -> None:
    assert fmt_bytes(size) == text


def test_times_are_utc_when_stored_without_a_zone_and_shown_in_the_analysts_zone() -> None:
    assert as_utc(None) is None
    assert as_utc(CREATED) == CREATED.replace(tzinfo=UTC)
    plus_two = timezone(timedelta(hours=2))
    assert as_utc(datetime(2026, 1, 31, 19, 5, 9, tzinfo=plus_two)) == as_utc(CREATED)
    assert fmt_time(None) == "—"
    assert fmt_time(CREATED) == "2026-01-31 17:05:09"
    assert fmt_time(CREATED, plus_two) == "2026-01-31 19:05:09"


def test_short_id_and_percent() -> None:
    assert short_id(JOB_ID) == "01234567"
    assert percent(None) == "—"
    assert percent(0.874) == "87%"


def test_status_labels_have_an_icon_and_colour_for_every_status() -> None:
    for status in ("pending", "processing", "finishing", "completed", "failed", "cancelled"):
        label = status_label(status)
        assert STATUS_ICONS[status] in label and label.endswith(f"] {status}")
    assert status_label("completed") == ":green[:material/check_circle:] completed"
    assert status_label("*odd*") == ":gray[:material/help:] \\*odd\\*"


def test_labels_for_taxonomies_and_classifiers(tmp_path: Path) -> None:
    assert taxonomy_label("default") == "default"
    assert taxonomy_label(str(tmp_path / "team-two.toml")) == "team-two"
    settings = load_settings(classifier="auto", openai_api_key=None)
    assert effective_classifier(settings) == "auto (local only: no API key)"
    assert effective_classifier(settings, "local") == "local"
    keyed = load_settings(classifier="auto", openai_api_key="sk-x")
    assert effective_classifier(keyed) == "auto"


def test_job_texts() -> None:
    done = job()
    assert job_label(done) == f"2026-01-31 17:05:09 · completed · 3 files · {JOB_ID[:8]}"
    assert job_caption(done) == (
        f"Job {JOB_ID} · taxonomy default · classifier local · created 2026-01-31 17:05:09 · "
        "updated 2026-01-31 17:05:13"
    )
    assert progress_text(done) == "100% · 3 of 3 documents done"
    assert finished_text(done) == f"Job {JOB_ID[:8]} completed: 2 of 3 classified, 1 failed"
    assert finished_icon(done) == ":material/warning:", "a job with failures warns"
    assert finished_icon(job(failed=0, completed=3)) == STATUS_ICONS["completed"]


def test_progress_text_counts_cancelled_and_finishing_jobs() -> None:
    cancelled = job(status="cancelled", completed=1, failed=0, cancelled=2, progress=100.0)
    assert progress_text(cancelled) == "100% · 1 of 1 documents done · 2 cancelled (not read)"
    # The report's contradiction: a cancelled job never reads "42% · 365 of 368 done".
    stopped = job(status="cancelled", completed=150, failed=5, processing=0, cancelled=213)
    stopped = stopped.model_copy(update={"progress": 100.0})
    assert progress_text(stopped) == "100% · 155 of 155 documents done · 213 cancelled (not read)"
    finishing = job(status="finishing", completed=3, failed=0)
    assert progress_text(finishing) == (
        "100% · 3 of 3 documents done · refining the answers as one batch"
    )
    running = job(status="processing", completed=1, failed=0, pending=1, processing=1, progress=43)
    assert progress_text(running) == "43% · 1 of 3 documents done"


def test_result_and_engine_facts() -> None:
    assert result_facts(2000, "pdf", "ab" * 32) == "2.0 kB · PDF · sha256 abababababab…"
    assert result_facts(10, None, "") == "10 B"
    assert engine_facts("pypdfium2", "local", True, {"total_ms": 41.6}) == (
        "reader: pypdfium2 · classifier: local · text truncated · 42 ms"
    )
    assert engine_facts(None, None, False, None) == ""
    scan = engine_facts("ocr:tesseract", "local", False, None, ocr_pages=3, ocr_confidence=0.912)
    assert scan == (
        "reader: ocr:tesseract · text from OCR on 3 pages (mean confidence 91%) · classifier: local"
    )
    one = engine_facts("pypdfium2+ocr:tesseract", None, False, None, ocr_pages=1)
    assert one == "reader: pypdfium2+ocr:tesseract · text from OCR on 1 page"
