"""The Batch page: files in, a job out, and the status page follows it to the end."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest

from tests.app.support import (
    ENCRYPTED_PDF,
    button,
    find_table,
    metrics,
    new_app,
    no_exception,
    open_page,
    shown,
)
from tests.paths import eval_texts
from webui import nav
from webui.format import status_label
from webui.service import get_service


def test_batch_creates_a_job_that_the_status_page_follows_to_the_end(data_dir: Path) -> None:
    texts = [*eval_texts("contract", 1), *eval_texts("resume", 1)]
    files = [(p.name, p.read_bytes(), "text/plain") for p in texts]
    files.append((ENCRYPTED_PDF.name, ENCRYPTED_PDF.read_bytes(), "application/pdf"))
    at = open_page(new_app(), nav.PAGE_BATCH)
    assert at.button[0].disabled, "Start needs files"
    at.file_uploader[0].set_value(files).run()
    no_exception(at)
    assert at.button[0].label == "Start job (3 files)"
    assert at.dataframe[0].value["file"].tolist() == [f[0] for f in files]
    at.button[0].click().run()
    no_exception(at)

    # st.switch_page ran the status page with the new job in the URL.
    job_id = at.query_params["job"]
    assert at.title[0].value == "Job status"
    assert shown(at.success) == [f"Job {job_id} started with 3 files."]
    service = get_service()
    assert service.wait_job(job_id, 60) == "completed"

    # AppTest keeps the page it was last switched to; open the status page like a link.
    open_page(at, nav.PAGE_STATUS, job=job_id)
    no_exception(at)
    found = metrics(at)
    assert found["Status"] == status_label("completed")
    assert (found["Done"], found["Completed"], found["Failed"]) == ("3 / 3", "2", "1")
    assert at.get("progress")[0].value == 100
    table = at.dataframe[0].value
    assert table["file"].tolist() == [f[0] for f in files]
    assert table["progress"].isna().all(), "no progress bar once a document is done"
    assert table["status"].tolist() == [["completed"], ["completed"], ["failed"]]
    assert table["category"].tolist()[:2] == ["contract", "resume"]
    for doc_id, shown_pct in zip(table["doc_id"][:2], table["confidence"][:2], strict=True):
        doc = service.get_document(doc_id)
        assert doc is not None and doc.confidence is not None
        assert shown_pct == pytest.approx(100 * doc.confidence), "in percent"
    assert pd.isna(table["confidence"].iloc[2])
    assert table["error"].iloc[2].startswith("EncryptedDocument")
    assert [b.label for b in at.get("download_button")] == ["CSV", "JSON"]
    assert not button(at, "Cancel job").value
    assert button(at, "Cancel job").disabled
    # The finished job was announced once in this session, and only once.
    assert [t.value for t in at.toast] == [
        f"Job {job_id[:8]} completed: 2 of 3 classified, 1 failed"
    ]
    at.run()
    assert not at.toast

    # What "Download CSV" serves (the button's callable runs the service's export).
    csv = pd.read_csv(io.BytesIO(service.export(job_id, "csv")))
    assert csv["filename"].tolist() == [f[0] for f in files]
    assert csv["status"].tolist() == ["completed", "completed", "failed"]
    assert csv["final_category"].tolist()[:2] == ["contract", "resume"]


def test_a_file_over_the_limit_is_announced_and_listed_as_failed(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCCLASS_MAX_FILE_MB", "1")
    small = eval_texts("email", 1)[0]
    files = [(small.name, small.read_bytes(), "text/plain"), ("big.txt", b"x" * (1 << 20 | 1), "")]
    at = open_page(new_app(), nav.PAGE_BATCH)
    at.file_uploader[0].set_value(files).run()
    no_exception(at)
    assert shown(at.warning) == [
        "1 file(s) are over the 1.0 MB (1 MiB) limit and will be listed in the job as failed "
        "(FileTooLarge): big.txt"
    ]
    assert at.button[0].label == "Start job (2 files)", "the big file is not left out"
    assert find_table(at, "note")["note"].tolist() == [
        "",
        "over the 1.0 MB (1 MiB) limit: fails as FileTooLarge",
    ]
    at.button[0].click().run()
    job = get_service().get_job(at.query_params["job"])
    assert job is not None
    big = job.documents[1]
    assert (big.filename, big.status) == ("big.txt", "failed")
    assert big.error is not None and big.error.startswith("FileTooLarge")


def test_a_job_that_cannot_be_created_says_why_and_stores_nothing(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCCLASS_CLASSIFIER", "openai")  # without a key: the service refuses
    at = open_page(new_app(), nav.PAGE_BATCH)
    assert at.selectbox(key="batch_classifier").value == "openai"
    body = eval_texts("email", 1)[0].read_bytes()
    at.file_uploader[0].set_value([("mail.txt", body, "text/plain")]).run()
    at.button[0].click().run()
    no_exception(at)
    assert at.title[0].value == "Batch"
    errors = shown(at.error)
    assert len(errors) == 1 and errors[0].startswith("ValueError: classifier 'openai' needs"), (
        errors
    )
    assert get_service().list_jobs().total == 0


def zip_of(files: dict[str, bytes]) -> bytes:
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_zips_and_folders_keep_relative_paths_and_the_job_gets_a_name(data_dir: Path) -> None:
    email, receipt = (
        eval_texts("email", 1)[0].read_bytes(),
        eval_texts("receipt", 1)[0].read_bytes(),
    )
    archive = zip_of(
        {
            "inbox/0019.txt": email,
            "archive/0019.txt": receipt,
            "__MACOSX/inbox/._0019.txt": b"junk",
            "../escape.txt": b"never",
        }
    )
    at = open_page(new_app(), nav.PAGE_BATCH)
    at.file_uploader(key="batch_files").set_value(
        [("mail.zip", archive, "application/zip"), ("0019.txt", receipt, "text/plain")]
    ).run()
    no_exception(at)
    assert at.button[0].label == "Start job (3 files)"
    listed = find_table(at, "note")
    assert listed["note"].tolist() == ["ZIP: 2 documents", ""]
    name = at.text_input(key="batch_name")
    assert "mail.zip (+2 more)" in name.placeholder, "the date and the first file by default"
    name.set_value("Inbox sweep").run()
    at.button[0].click().run()
    no_exception(at)
    service = get_service()
    job = service.get_job(at.query_params["job"])
    assert job is not None and job.name == "Inbox sweep"
    assert [d.filename for d in job.documents] == [
        "mail.zip/inbox/0019.txt",
        "mail.zip/archive/0019.txt",
        "0019.txt",
    ], "three files of one name, told apart by their paths"
    assert service.wait_job(job.job_id, 60) == "completed"
    open_page(at, nav.PAGE_STATUS, job=job.job_id)
    assert at.dataframe[0].value["file"].tolist() == [d.filename for d in job.documents]
    csv = pd.read_csv(io.BytesIO(service.export(job.job_id, "csv")))
    assert csv["filename"].tolist() == [d.filename for d in job.documents]
    assert csv["category"].tolist() == ["email", "receipt", "receipt"]


def test_a_folder_upload_keeps_each_files_path(data_dir: Path) -> None:
    body = eval_texts("contract", 1)[0].read_bytes()
    at = open_page(new_app(), nav.PAGE_BATCH)
    at.segmented_control(key="batch_mode").set_value("folder").run()
    at.file_uploader(key="batch_folder").set_value(
        [("reports/a/0019.txt", body, "text/plain"), ("reports/b/0019.txt", body, "text/plain")]
    ).run()
    no_exception(at)
    at.button[0].click().run()
    job = get_service().get_job(at.query_params["job"])
    assert [d.filename for d in job.documents] == ["reports/a/0019.txt", "reports/b/0019.txt"]
    assert job.name.endswith("· 0019.txt (+1 more)")
