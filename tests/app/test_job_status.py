"""The Job status page: live while a job runs, its documents, cancel/retry, review filter,
the recent-jobs picker, and an analyst's correction from a document's result view."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlmodel import select

from docclass.jobs.service import Service
from docclass.jobs.uploads import Upload
from docclass.store.tables import Correction
from tests.app.support import (
    ENCRYPTED_PDF,
    button,
    metrics,
    new_app,
    no_exception,
    open_page,
    select_row,
    shown,
    submit,
)
from tests.paths import eval_texts
from webui import nav
from webui.format import status_label
from webui.jobs import documents_table_key


def test_status_page_polls_while_running_and_shows_a_selected_document(
    idle_service: Service,
) -> None:
    paths = [*eval_texts("receipt", 1), ENCRYPTED_PDF]
    job_id = submit(idle_service, paths, **{paths[0].name: "inv [1](x).txt"})
    at = open_page(new_app(), nav.PAGE_STATUS, job=job_id)
    no_exception(at)
    assert metrics(at)["Status"] == status_label("pending")
    assert at.get("progress")[0].value == 0
    assert "Select a row" in " ".join(shown(at.caption))

    idle_service.start()
    assert idle_service.wait_job(job_id, 60) == "completed"
    at.run()  # one fragment tick
    assert metrics(at)["Status"] == status_label("completed")
    assert at.dataframe[0].value["status"].tolist() == ["completed", "failed"]

    select_row(at, documents_table_key(job_id), 0)
    no_exception(at)
    assert shown(at.subheader) == ["inv [1](x).txt"]
    assert metrics(at)["Category"] == "receipt"
    assert at.get("vega_lite_chart")
    assert at.code, "the selected document's text preview is missing"

    select_row(at, documents_table_key(job_id), 1)
    assert shown(at.error) == ["EncryptedDocument: password required"]


def test_cancel_then_retry_from_the_status_page(idle_service: Service) -> None:
    paths = eval_texts("email", 3)
    job_id = submit(idle_service, paths)
    at = open_page(new_app(), nav.PAGE_STATUS, job=job_id)
    assert metrics(at)["Status"] == status_label("pending")
    assert button(at, "Retry failed").disabled

    button(at, "Cancel job").click().run()
    no_exception(at)
    assert metrics(at)["Status"] == status_label("cancelled")
    assert at.dataframe[0].value["status"].tolist() == ["cancelled"] * 3
    assert [t.value for t in at.toast] == [
        f"Job {job_id[:8]} cancelled: 0 of 3 classified, 0 failed"
    ]
    assert button(at, "Cancel job").disabled
    assert "3 cancelled" in at.get("progress")[0].proto.text

    retry = button(at, "Retry failed")
    assert retry.label == "Retry failed (3)" and not retry.disabled
    retry.click().run()
    no_exception(at)
    assert shown(at.success) == ["3 document(s) queued again."]
    assert metrics(at)["Status"] == status_label("pending")

    idle_service.start()
    assert idle_service.wait_job(job_id, 60) == "completed"
    at.run()
    assert metrics(at)["Status"] == status_label("completed")
    assert at.dataframe[0].value["status"].tolist() == ["completed"] * 3
    job = idle_service.get_job(job_id)
    assert job is not None and job.completed == 3


def test_status_page_without_a_job_offers_recent_jobs(idle_service: Service) -> None:
    at = open_page(new_app(), nav.PAGE_STATUS)
    assert "No jobs yet" in at.info[0].value
    older = submit(idle_service, eval_texts("scientific_paper", 1))
    newer = submit(idle_service, eval_texts("news_article", 1))
    at.run()
    picker = at.selectbox(key="status_pick")
    assert picker.options[0].endswith(newer[:8]) and picker.options[1].endswith(older[:8])
    picker.set_value(older).run()
    no_exception(at)
    assert at.query_params["job"] == older
    assert metrics(at)["Documents"] == "1"

    at = open_page(new_app(), nav.PAGE_STATUS, job="no-such-job")
    assert shown(at.error) == ["There is no job with id no-such-job; it may have been deleted."]
    assert at.selectbox(key="status_pick")


def test_an_analyst_corrects_a_document_from_its_result_view(idle_service: Service) -> None:
    job_id = submit(idle_service, eval_texts("receipt", 1))
    idle_service.start()
    assert idle_service.wait_job(job_id, 60) == "completed"
    at = open_page(new_app(), nav.PAGE_STATUS, job=job_id)
    select_row(at, documents_table_key(job_id), 0)
    no_exception(at)
    choice = at.selectbox(key="job_doc_correct_choice")
    assert "invoice" in choice.options and choice.value == "receipt"
    choice.set_value("invoice")
    at.text_input(key="job_doc_correct_who").set_value("ana")
    next(b for b in at.button if b.label == "Save correction").click()
    at.run()
    no_exception(at)
    job = idle_service.get_job(job_id)
    assert job is not None
    doc = idle_service.get_document(job.documents[0].id)
    assert doc is not None
    assert doc.corrected_category == "invoice"
    assert doc.final_category == "receipt"  # the prediction is kept
    assert doc.category == "invoice"
    with idle_service.db.read() as s:
        who = s.exec(select(Correction.corrected_by)).all()
    assert who == ["ana"]
    assert shown(at.toast) == ["Saved: invoice. It counts as an example from now on."]
    assert any("corrected this to" in text for text in shown(at.info))
    at.run()
    assert any("corrected this to" in text for text in shown(at.info))
    # The table shows the document's category: the correction wins.
    assert at.dataframe[0].value["category"].tolist() == ["invoice"]


def test_status_page_filters_to_documents_that_need_review(
    stopped_services: Callable[[], Service], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCCLASS_REVIEW_THRESHOLD", "0")  # only floor disagreements flag
    service = stopped_services()
    news = eval_texts("news_article", 2)
    story = news[0].read_text()
    # The classifier reads the head (a public news story); detectors read it all.
    planted = story + "\n" * 3 + "x " * 3000 + "\nEmployee SSN 123-45-6789\n"
    job_id = service.submit(
        [Upload("planted.txt", planted.encode()), Upload("plain.txt", news[1].read_bytes())],
        taxonomy="sensitivity",
    )
    service.start()
    assert service.wait_job(job_id, 60) == "completed"
    job = service.get_job(job_id)
    assert job is not None
    assert {d.filename for d in job.documents if d.needs_review} == {"planted.txt"}
    at = open_page(new_app(), nav.PAGE_STATUS, job=job_id)
    toggle = at.toggle(key=f"review_only_{job_id}")
    assert toggle.label == "Only documents that need review (1)"
    assert len(at.dataframe[0].value) == 2
    toggle.set_value(True)
    at.run()
    no_exception(at)
    assert at.dataframe[0].value["file"].tolist() == ["planted.txt"]
    # Rows of the filtered view select within it.
    select_row(at, documents_table_key(job_id, review_only=True), 0)
    assert shown(at.subheader) == ["planted.txt"]
    assert any(w.startswith("Needs review") for w in shown(at.warning))
