"""The Job status page: live while a job runs, its documents, cancel / retry / resume, the
filters in the URL, the recent-jobs picker, corrections and reviews that every part of the
page shows, answers refined by the finishing step, and the job's own taxonomy."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlmodel import select

from docclass.jobs.service import Service
from docclass.jobs.uploads import Upload
from docclass.schemas import DocumentQuery, Verdict
from docclass.store import documents
from docclass.store.tables import Correction
from tests.app.support import (
    ENCRYPTED_PDF,
    button,
    completed_job,
    metrics,
    new_app,
    no_exception,
    open_page,
    preview_text,
    select_row,
    shown,
    submit,
)
from tests.paths import eval_texts
from webui import nav
from webui.format import status_label
from webui.jobs import documents_table_key, table_key


def test_status_page_polls_while_running_and_shows_a_selected_document(
    idle_service: Service,
) -> None:
    paths = [*eval_texts("receipt", 1), ENCRYPTED_PDF]
    job_id = submit(idle_service, paths, **{paths[0].name: "inv [1](x).txt"})
    at = open_page(new_app(), nav.PAGE_STATUS, job=job_id)
    no_exception(at)
    assert metrics(at)["Status"] == status_label("pending")
    assert at.get("progress")[0].value == 0
    assert any("Select a row" in text for text in shown(at.info))

    idle_service.start()
    assert idle_service.wait_job(job_id, 60) == "completed"
    at.run()  # one fragment tick
    assert metrics(at)["Status"] == status_label("completed")
    assert at.dataframe[0].value["status"].tolist() == [["completed"], ["failed"]]

    select_row(at, documents_table_key(job_id), 0)
    no_exception(at)
    assert shown(at.subheader) == ["inv [1](x).txt"]
    assert metrics(at)["Category"] == "receipt"
    assert at.get("vega_lite_chart")
    assert preview_text(at), "the selected document's text preview is missing"

    select_row(at, documents_table_key(job_id), 1)
    assert shown(at.error) == ["EncryptedDocument: password required"]
    assert any("permanent" in c for c in shown(at.caption)), "a permanent failure says so"


def test_cancel_then_resume_from_the_status_page(idle_service: Service) -> None:
    paths = eval_texts("email", 3)
    job_id = submit(idle_service, paths)
    at = open_page(new_app(), nav.PAGE_STATUS, job=job_id)
    assert metrics(at)["Status"] == status_label("pending")
    assert button(at, "Retry failed").disabled and button(at, "Resume cancelled").disabled

    button(at, "Cancel job").click().run()
    no_exception(at)
    assert metrics(at)["Status"] == status_label("cancelled")
    assert at.dataframe[0].value["status"].tolist() == [["cancelled"]] * 3
    assert [t.value for t in at.toast] == [
        f"Job {job_id[:8]} cancelled: 0 of 3 classified, 0 failed"
    ]
    assert button(at, "Cancel job").disabled
    # Cancelled documents are neither done nor pending: one definition everywhere.
    assert "0 of 0 documents done · 3 cancelled (not read)" in at.get("progress")[0].proto.text
    assert (metrics(at)["Done"], metrics(at)["Cancelled"]) == ("0 / 0", "3")

    retry = button(at, "Retry failed")
    assert retry.label == "Retry failed (0)" and retry.disabled, "a retry is not a resume"
    resume = button(at, "Resume cancelled")
    assert resume.label == "Resume cancelled (3)" and not resume.disabled
    resume.click().run()
    no_exception(at)
    assert shown(at.success) == ["3 cancelled document(s) queued again."]
    assert metrics(at)["Status"] == status_label("pending")

    idle_service.start()
    assert idle_service.wait_job(job_id, 60) == "completed"
    at.run()
    assert metrics(at)["Status"] == status_label("completed")
    assert at.dataframe[0].value["status"].tolist() == [["completed"]] * 3


def test_retry_counts_only_failures_a_retry_can_cure(idle_service: Service) -> None:
    good = eval_texts("resume", 1)[0]
    job_id = submit(idle_service, [good, ENCRYPTED_PDF, eval_texts("email", 1)[0]])
    job = idle_service.get_job(job_id)
    lost = idle_service.uploads.path(idle_service.get_document(job.documents[2].id).sha256)
    saved = lost.read_bytes()
    lost.unlink()
    idle_service.start()
    assert idle_service.wait_job(job_id, 60) == "completed"
    at = open_page(new_app(), nav.PAGE_STATUS, job=job_id)
    retry = button(at, "Retry failed")
    assert retry.label == "Retry failed (1)" and not retry.disabled
    assert "1 upload missing" in retry.help and "Permanent failures" in retry.help
    assert (
        "Failures: a retry may cure 1 upload missing; permanent, not retried: 1 EncryptedDocument"
        in shown(at.caption)
    )
    lost.write_bytes(saved)
    retry.click().run()
    no_exception(at)
    assert shown(at.success) == ["1 failed document(s) queued again."]
    assert idle_service.wait_job(job_id, 60) == "completed"
    at.run()
    assert at.dataframe[0].value["status"].tolist() == [["completed"], ["failed"], ["completed"]]


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
    assert metrics(at)["Done"] == "0 / 1"

    at = open_page(new_app(), nav.PAGE_STATUS, job="no-such-job")
    assert shown(at.error) == ["There is no job with id no-such-job; it may have been deleted."]
    assert at.selectbox(key="status_pick")


def test_a_correction_shows_in_the_table_the_chart_and_the_review_count(
    stopped_services: Callable[[], Service], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCCLASS_REVIEW_THRESHOLD", "1.01")  # every answer needs review
    service = stopped_services()
    job_id = completed_job(service, eval_texts("receipt", 2))
    at = open_page(new_app(), nav.PAGE_STATUS, job=job_id)
    assert metrics(at)["Needs review"] == "2"
    review = [link for link in at.get("page_link") if link.proto.page == "review"]
    assert review and "2 document(s) flagged" in review[0].proto.label, "the job's own queue"
    select_row(at, documents_table_key(job_id), 0)
    no_exception(at)
    choice = at.selectbox(key="job_doc_correct_choice")
    assert "invoice" in choice.options and choice.value == "receipt"
    choice.set_value("invoice")
    at.text_input(key="job_doc_correct_who").set_value("ana")
    next(b for b in at.button if b.label == "Save correction").click()
    at.run()
    no_exception(at)
    job = service.get_job(job_id)
    doc = service.get_document(job.documents[0].id)
    assert (doc.corrected_category, doc.final_category, doc.category) == (
        "invoice",
        "receipt",
        "invoice",
    ), "the prediction is kept beside the correction"
    assert doc.reviewed_by == "ana" and doc.reviewed_at is not None
    with service.db.read() as s:
        assert s.exec(select(Correction.corrected_by)).all() == ["ana"]
    assert shown(at.toast) == ["Saved: invoice. It counts as an example from now on."]

    for _ in range(2):  # this run and a reload show the same thing
        assert any("corrected this to" in text for text in shown(at.info))
        table = at.dataframe[0].value
        assert table["category"].tolist() == ["invoice", "receipt"]
        assert table["note"].tolist() == ["corrected · predicted receipt", ""]
        assert table["review"].tolist() == [False, True]
        assert metrics(at)["Needs review"] == "1"
        chart = at.get("vega_lite_chart")[0]
        assert "invoice" in chart.proto.spec or "invoice" in str(chart.proto), "chart"
        at = open_page(new_app(), nav.PAGE_STATUS, job=job_id)
        select_row(at, documents_table_key(job_id), 0)

    # Accepting the other answer (in a new session: no name given) takes it out of the count.
    select_row(at, documents_table_key(job_id), 1)
    button(at, "Accept").click().run()
    no_exception(at)
    assert metrics(at)["Needs review"] == "0"
    accepted = service.get_document(job.documents[1].id)
    assert accepted.reviewed_at is not None and accepted.corrected_category is None


def test_filters_live_in_the_url_and_the_download_holds_the_rows_shown(
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
    at = open_page(new_app(), nav.PAGE_STATUS, job=job_id)
    assert metrics(at)["Needs review"] == "1"
    assert len(at.dataframe[0].value) == 2
    # The sidebar names this job's taxonomy, not the default one.
    assert "**Taxonomy** · sensitivity" in [m.value for m in at.sidebar.markdown]

    at.segmented_control(key="status_review").set_value("needs").run()
    no_exception(at)
    assert at.query_params["review"] == "needs"
    assert at.dataframe[0].value["file"].tolist() == ["planted.txt"]
    query = DocumentQuery(job_id=job_id, needs_review=True)
    select_row(at, table_key(documents_table_key(job_id), query), 0)
    assert shown(at.subheader) == ["planted.txt"]
    assert any(w.startswith("Needs review") for w in shown(at.warning))
    assert [b.label for b in at.get("download_button")] == ["CSV (1 shown)", "JSON (1 shown)"]
    exported = service.export_found(query, "csv").decode("utf-8-sig").splitlines()
    assert len(exported) == 2 and "planted.txt" in exported[1]

    # The same URL opened afresh (a shared link) shows the same filtered view.
    shared = open_page(new_app(), nav.PAGE_STATUS, job=job_id, review="needs")
    assert shared.dataframe[0].value["file"].tolist() == ["planted.txt"]
    assert shared.segmented_control(key="status_review").value == "needs"


def test_an_answer_refined_by_the_finishing_step_is_marked_with_the_earlier_one(
    idle_service: Service,
) -> None:
    job_id = completed_job(idle_service, eval_texts("scientific_paper", 1))
    doc_id = idle_service.get_job(job_id).documents[0].id
    meta = {"single": {"category": "other", "confidence": 0.27}}
    assert documents.save_refined(
        db=idle_service.db,
        refined=[
            (
                doc_id,
                Verdict(
                    final_category="scientific paper",
                    confidence=0.91,
                    classifier_meta=meta,
                    refined=True,
                    earlier_category="other",
                ),
            )
        ],
    )
    at = open_page(new_app(), nav.PAGE_STATUS, job=job_id)
    assert at.dataframe[0].value["note"].tolist() == ["refined · was other"]
    select_row(at, documents_table_key(job_id), 0)
    refined = [t for t in shown(at.info) if t.startswith("Refined by the job's finishing step")]
    assert refined and "it was **other (27%)** when first shown" in refined[0]
