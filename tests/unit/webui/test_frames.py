"""The tables the pages show, built from engine shapes (no script run needed)."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest

from docclass.schemas import DocumentOut, DocumentRow, JobOut
from docclass.taxonomy import load_taxonomy, parse_taxonomy
from webui import admin, jobs, result
from webui.nav import status_link

CREATED = datetime(2026, 1, 31, 17, 5, 9)


def row(i: int, **values: object) -> DocumentRow:
    fields: dict[str, object] = {
        "id": f"doc{i}",
        "filename": f"file{i}.pdf",
        "status": "completed",
        "progress": 100,
    }
    fields.update(values)
    return DocumentRow(**fields)  # type: ignore[arg-type]


def job(job_id: str = "a" * 32, **values: object) -> JobOut:
    fields: dict[str, object] = {
        "job_id": job_id,
        "status": "completed",
        "taxonomy_name": "default",
        "total_files": 3,
        "created_at": CREATED,
        "updated_at": CREATED,
    }
    fields.update(values)
    return JobOut(**fields)  # type: ignore[arg-type]


def test_documents_frame_shows_percentages_and_the_category_that_counts() -> None:
    rows = [
        row(0, final_category="invoice", confidence=0.874),
        row(1, final_category="receipt", corrected_category="invoice", confidence=0.5),
        row(2, status="failed", error="EncryptedDocument: password required"),
        row(3, status="pending", progress=0),
        row(4, final_category="report", refined=True, earlier_category="other", reviewed=True),
    ]
    frame = jobs.documents_frame(rows)
    assert frame.columns.tolist() == jobs.TABLE_COLUMNS
    assert frame["doc_id"].tolist() == ["doc0", "doc1", "doc2", "doc3", "doc4"]
    assert frame["category"].tolist()[:2] == ["invoice", "invoice"], "a correction wins"
    assert frame["confidence"].iloc[0] == pytest.approx(87.4)
    assert pd.isna(frame["confidence"].iloc[2])
    assert frame["error"].iloc[2].startswith("EncryptedDocument")
    # Empty text cells are empty strings: a table would print "None".
    assert frame["category"].iloc[2] == "" and frame["error"].iloc[0] == ""
    # The status is a coloured pill; progress shows only while a document is read.
    assert frame["status"].iloc[2] == ["failed"]
    assert frame["progress"].isna().tolist() == [True, True, True, False, True]
    assert frame["note"].tolist() == [
        "",
        "corrected · predicted receipt",
        "",
        "",
        "reviewed; refined · was other",
    ]
    assert frame["notes"].tolist()[2] == "EncryptedDocument: password required"
    assert frame["notes"].tolist()[4] == "reviewed; refined · was other"
    assert jobs.shown_columns(frame) == [
        "file",
        "status",
        "progress",
        "category",
        "confidence",
        "notes",
    ]
    done = jobs.documents_frame([row(0, final_category="invoice", confidence=0.9)])
    assert jobs.shown_columns(done) == ["file", "status", "category", "confidence"]
    counts = jobs.category_counts(frame)
    assert counts.to_dict("records") == [
        {"category": "invoice", "documents": 2},
        {"category": "report", "documents": 1},
    ]


def test_an_empty_job_has_an_empty_table() -> None:
    frame = jobs.documents_frame([])
    assert frame.empty and frame.columns.tolist() == jobs.TABLE_COLUMNS
    assert jobs.category_counts(frame).empty


@pytest.mark.parametrize(
    ("status", "active", "cancellable", "settled"),
    [
        ("pending", True, True, True),
        ("processing", True, True, True),
        ("finishing", True, False, False),
        ("completed", False, False, True),
        ("cancelled", False, False, True),
    ],
)
def test_what_a_job_view_allows(
    status: str, active: bool, cancellable: bool, settled: bool
) -> None:
    view = jobs.JobView(
        job=job(status=status, failed=1, cancelled=1), table=jobs.documents_frame([row(0)])
    )
    assert (view.active, view.cancellable, view.settled) == (active, cancellable, settled)


def test_flagged_rows_leave_out_reviewed_documents() -> None:
    frame = jobs.documents_frame(
        [row(0, needs_review=True), row(1), row(2, needs_review=True, reviewed=True)]
    )
    view = jobs.JobView(job=job(), table=frame)
    assert view.flagged.tolist() == [True, False, False]


def test_failures_split_into_retryable_and_permanent() -> None:
    retryable, permanent = jobs.split_failures(
        {"FileNotFoundError": 2, "EncryptedDocument": 3, "Timeout": 1}
    )
    assert retryable == {"FileNotFoundError": 2, "Timeout": 1}
    assert permanent == {"EncryptedDocument": 3}
    assert jobs.failures_text(retryable) == "2 upload missing, 1 took too long"


def test_jobs_frame_links_each_job_and_keeps_times_in_utc() -> None:
    listed = [
        job("b" * 32, status="processing", progress=42.5, completed=1, name="March invoices"),
        job("a" * 32),
    ]
    frame = jobs.jobs_frame(listed)
    assert frame.columns.tolist() == jobs.JOBS_COLUMNS
    assert frame["link"].tolist() == [status_link("b" * 32), status_link("a" * 32)]
    assert frame["link"].iloc[0] == f"job_status?job={'b' * 32}"
    assert frame["name"].tolist() == ["March invoices", ""]
    assert frame["taxonomy"].tolist() == ["default", "default"]
    assert frame["progress"].tolist() == [42.5, 0.0]
    assert frame["created"].iloc[0] == CREATED.replace(tzinfo=UTC)
    assert jobs.jobs_frame([]).columns.tolist() == jobs.JOBS_COLUMNS


def test_documents_table_keys_differ_per_job_and_per_view() -> None:
    keys = {
        jobs.documents_table_key("a"),
        jobs.documents_table_key("b"),
        jobs.documents_table_key("a", review_only=True),
        jobs.table_key("t", {"q": "x"}),
        jobs.table_key("t", {"q": "y"}),
        jobs.table_key("t", {"q": "y"}, page=2),
    }
    assert len(keys) == 6


def test_result_frames() -> None:
    scores = result.scores_frame({"b": 0.2, "a": 0.7, "c": 0.1})
    assert scores["category"].tolist() == ["a", "b", "c"]
    assert result.scores_frame(None).empty
    detectors = [
        {"name": "email", "count": 2, "examples": ["a***@x.example", "b***@y.example"]},
        {"name": "ssn", "count": 0, "examples": []},
    ]
    hits = result.detector_frame(detectors)
    assert hits.to_dict("records") == [
        {"detector": "email", "hits": 2, "examples (masked)": "a***@x.example, b***@y.example"}
    ]
    assert result.detector_frame(None).columns.tolist() == result.DETECTOR_COLUMNS
    evidence = result.evidence_frame([{"detector": "ssn", "text": "***-**-6789", "page": 2}])
    assert evidence.to_dict("records") == [
        {"detector": "ssn", "text (masked)": "***-**-6789", "page": 2}
    ]


def test_a_setup_failure_is_a_failed_answer() -> None:
    answer = result.failed_answer("a.pdf", 12, ValueError("unknown classifier 'x'"))
    assert isinstance(answer, DocumentOut)
    assert (answer.status, answer.progress, answer.size) == ("failed", 100, 12)
    assert answer.error == "ValueError: unknown classifier 'x'"
    assert answer.id is None and answer.category is None


def test_taxonomy_frame_drops_empty_columns() -> None:
    plain = parse_taxonomy(
        '[[category]]\nname = "a"\ndescription = "A"\n\n[[category]]\nname = "b"\n'
        'description = "B"\n'
    )
    assert admin.taxonomy_frame(plain).columns.tolist() == ["name", "description"]
    ladder = admin.taxonomy_frame(load_taxonomy("sensitivity"))
    assert "raised by detectors" in ladder.columns and "keywords" in ladder.columns
    assert admin.taxonomy_summary("sensitivity", load_taxonomy("sensitivity")).endswith(
        "ordered (a sensitivity ladder)"
    )


def test_save_names_and_checks(tmp_path: object) -> None:
    assert admin.default_save_name("default") == "my-default"
    assert admin.default_save_name("/data/taxonomies/team.toml") == "team"
    assert admin.open_taxonomy("no-such-taxonomy").error is not None


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://ana:s3cret@db.example/docs", "postgresql://ana:***@db.example/docs"),
        ("sqlite:///data/docclass.db", "sqlite:///data/docclass.db"),
        ("not a url:with:colons", "not a url:…"),
    ],
)
def test_database_urls_are_shown_without_passwords(url: str, shown: str) -> None:
    assert admin.safe_database_url(url) == shown
