"""The Documents (search) and Review pages: documents across jobs, filters in the URL, the
export of exactly the filtered rows, and the review queue answered inline."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

import pytest

from docclass.jobs.service import Service
from docclass.jobs.uploads import Upload
from docclass.schemas import DocumentQuery
from tests.app.support import ENCRYPTED_PDF, metrics, new_app, no_exception, open_page, shown
from tests.paths import eval_texts
from webui import nav
from webui.jobs import table_key
from webui.result import REVIEWER


@pytest.fixture
def two_jobs(stopped_services: Callable[[], Service], monkeypatch: pytest.MonkeyPatch) -> Service:
    """Two completed jobs; every answer needs review (threshold above 1)."""
    monkeypatch.setenv("DOCCLASS_REVIEW_THRESHOLD", "1.01")
    service = stopped_services()
    receipt, email = eval_texts("receipt", 1)[0], eval_texts("email", 1)[0]
    first = service.submit(
        [
            Upload("march/0019.txt", receipt),
            Upload("april/0019.txt", email),
            Upload("locked.pdf", ENCRYPTED_PDF),
        ],
        name="first",
    )
    second = service.submit([Upload("may/0019.txt", receipt)], name="second")
    service.start()
    for job_id in (first, second):
        assert service.wait_job(job_id, 60) == "completed"
    return service


def test_search_across_jobs_with_filters_in_the_url_and_export_the_rows(two_jobs: Service) -> None:
    at = open_page(new_app(), nav.PAGE_DOCUMENTS)
    no_exception(at)
    table = at.dataframe[0].value
    assert sorted(table["file"]) == [
        "april/0019.txt",
        "locked.pdf",
        "march/0019.txt",
        "may/0019.txt",
    ]
    assert set(table["job"]) == {"first", "second"}

    at.text_input(key="docs_q").set_value("0019").run()
    at.multiselect(key="docs_cat").set_value(["receipt"]).run()
    no_exception(at)
    assert at.query_params["q"] == "0019" and at.query_params["cat"] == "receipt"
    assert sorted(at.dataframe[0].value["file"]) == ["march/0019.txt", "may/0019.txt"]
    assert [b.label for b in at.get("download_button")] == ["CSV (2)", "JSON (2)"]
    query = DocumentQuery(filename="0019", categories=["receipt"])
    rows = list(csv.DictReader(io.StringIO(two_jobs.export_found(query).decode("utf-8-sig"))))
    assert [r["filename"] for r in rows] == at.dataframe[0].value["file"].tolist()

    # A shared link: the same view in a new session.
    shared = open_page(new_app(), nav.PAGE_DOCUMENTS, q="0019", cat="receipt")
    assert shared.dataframe[0].value["file"].tolist() == at.dataframe[0].value["file"].tolist()
    assert shared.text_input(key="docs_q").value == "0019"

    failed = open_page(new_app(), nav.PAGE_DOCUMENTS, error="EncryptedDocument")
    assert failed.dataframe[0].value["file"].tolist() == ["locked.pdf"]
    assert failed.multiselect(key="docs_error").value == ["EncryptedDocument"]
    failed.session_state[
        table_key("docs_table", DocumentQuery(error_types=["EncryptedDocument"]))
    ] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    failed.run()
    assert shown(failed.error) == ["EncryptedDocument: password required"]

    none = open_page(new_app(), nav.PAGE_DOCUMENTS, q="no such file")
    assert shown(none.info) == ["No document matches these filters."]


def test_the_review_queue_least_confident_first_answered_inline(two_jobs: Service) -> None:
    at = open_page(new_app(), nav.PAGE_REVIEW)
    no_exception(at)
    queue = DocumentQuery(needs_review=True, order="confidence", taxonomy_name="default")
    found = two_jobs.search(queue)
    assert found.total == 3, "the encrypted PDF has no answer to review"
    confidences = [r.confidence for r in found.rows]
    assert confidences == sorted(confidences), "least confident first"
    # The focus panel shows the least confident document, with its preview.
    assert shown(at.subheader) == [found.rows[0].filename]
    accept = next(b for b in at.button if b.label.startswith("Accept"))
    assert accept.proto.shortcut, "A accepts from the keyboard"
    at.text_input(key=REVIEWER).set_value("ana").run()
    accept.click().run()
    no_exception(at)
    assert two_jobs.get_document(found.rows[0].id).reviewed_by == "ana"
    assert shown(at.subheader) == [found.rows[1].filename], "the next one comes up"

    # The table: a changed category is a correction, a tick accepts.
    key = table_key("review_editor", queue)
    at.session_state[key] = {
        "edited_rows": {0: {"category": "invoice"}, 1: {"accept": True}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    save = at.button(key="review_save")
    assert save.label == "Save 2 change(s)"
    save.click().run()
    no_exception(at)
    assert shown(at.success) == ["1 corrected, 1 accepted.", "Nothing waits for review."]
    corrected = two_jobs.get_document(found.rows[1].id)
    assert (corrected.corrected_category, corrected.reviewed_by) == ("invoice", "ana")
    assert two_jobs.get_document(found.rows[2].id).reviewed_at is not None
    assert two_jobs.search(queue).total == 0
    at.run()
    assert "Nothing waits for review." in shown(at.success)
    # Every view agrees: the job page counts no document left to review.
    job_id = two_jobs.get_document(found.rows[1].id).job_id
    page = open_page(new_app(), nav.PAGE_STATUS, job=job_id)
    assert metrics(page)["Needs review"] == "0"
