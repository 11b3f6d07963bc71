"""The Streamlit app through ``streamlit.testing.v1.AppTest``: every page, real files.

Each test gets its own data folder and database (environment variables read by
``load_settings``) and its own runner: ``st.cache_resource`` is cleared before and after,
which also shuts the runner down through the cache's ``on_release``. ``AppTest`` does not
fire ``st.fragment(run_every=…)`` by itself: each ``at.run()`` is one tick.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
import streamlit.testing.v1.app_test as app_test_module
from sqlmodel import select
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest

from docclass import store, ui
from docclass.export import export_job
from docclass.models import Correction
from docclass.runner import Runner, Upload
from docclass.taxonomy import available_taxonomies, load_taxonomy
from tests.builders import docx_from_text
from tests.paths import CORPUS, EVAL, ROOT, eval_texts

pytestmark = pytest.mark.skipif(
    not (EVAL.is_dir() and CORPUS.is_dir()), reason="shared corpus or eval documents missing"
)

ENCRYPTED_PDF = CORPUS / "py-pdf+pypdf/resources/encryption/r2-user-password.pdf"
CORRUPT_DOCX = CORPUS / "apache+poi/test-data/document/truncated62886.docx"
SECRET = "sk-test-never-show-9f8e7d6c5b4a"


class _NavigationOnly(PagesManager):
    """AppTest resets Streamlit's legacy ``pages/`` mode before every run.

    With a ``pages/`` folder beside app.py, every run after the first would then execute
    the page file directly, skipping app.py (sidebar, toasts). A live server leaves that
    mode for good at the first ``st.navigation`` call; this keeps AppTest in the same state.
    """

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        PagesManager.uses_pages_directory = False


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh data folder and database, the local classifier and a fresh runner."""
    data = tmp_path / "data"
    monkeypatch.setenv("DOCCLASS_DATA_DIR", str(data))
    monkeypatch.setenv("DOCCLASS_DATABASE_URL", f"sqlite:///{data / 'docclass.db'}")
    monkeypatch.setenv("DOCCLASS_CLASSIFIER", "local")
    monkeypatch.setenv("DOCCLASS_WORKERS", "2")
    monkeypatch.setenv("DOCCLASS_PROCESS_WORKERS", "1")
    for name in ("DOCCLASS_TAXONOMY", "OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(app_test_module, "PagesManager", _NavigationOnly)
    st.cache_resource.clear()
    yield data
    st.cache_resource.clear()


@pytest.fixture
def idle_runner(monkeypatch: pytest.MonkeyPatch, data_dir: Path) -> Runner:
    """The app's runner, created stopped: jobs stay queued until the test calls start()."""
    monkeypatch.setattr(ui, "Runner", lambda settings: Runner(settings, start=False))
    return ui.get_runner()


def new_app() -> AppTest:
    """The app after its first run (on Classify): switch_page needs the pages it registers."""
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()


def open_page(at: AppTest, page: str, **query: str) -> AppTest:
    """Open a page the way a link does: its file, plus the URL's query parameters."""
    at.query_params.clear()
    at.query_params.update(query)
    return at.switch_page(page).run()


def no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def find_table(at: AppTest, column: str) -> pd.DataFrame:
    """The first table on the page with ``column`` (plain dataframes carry no key)."""
    for frame in at.dataframe:
        if column in frame.value.columns:
            return frame.value
    raise AssertionError(f"no table with a {column!r} column")


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.main.metric}


def shown(elements: object) -> list[str]:
    """What a person reads in Markdown-rendered elements (escapes removed)."""
    return [ui.md_plain(e.value) for e in elements]  # type: ignore[attr-defined]


def all_text(at: AppTest) -> str:
    """Every string the page renders, including table cells, for leak checks."""
    parts: list[str] = []
    for kind in (
        "markdown", "caption", "title", "header", "subheader", "text", "code", "error",
        "warning", "info", "success", "metric", "toast", "text_area", "text_input",
    ):  # fmt: skip
        for element in at.get(kind):
            parts.append(str(getattr(element, "value", "")))
    for kind in ("selectbox", "multiselect"):
        for element in at.get(kind):
            parts.extend(str(o) for o in element.options)
    parts.extend(frame.value.to_csv() for frame in at.dataframe)
    return "\n".join(parts)


def submit(runner: Runner, paths: list[Path], **names: str) -> str:
    """A job made the way the Batch page makes one (file names may be overridden)."""
    return runner.submit([Upload(names.get(p.name, p.name), p) for p in paths], taxonomy="default")


# --- router, sidebar, runner ------------------------------------------------------------


def test_every_page_renders_under_the_router_with_the_sidebar(data_dir: Path) -> None:
    at = new_app()
    no_exception(at)
    assert at.title[0].value == "Classify a document"
    side = shown(at.sidebar.markdown)
    assert "**Classifier** · local" in side
    assert "**Taxonomy** · default" in side
    assert [(m.label, m.value) for m in at.sidebar.metric] == [("Running jobs", "0")]
    for page, title in [
        (ui.PAGE_BATCH, "Batch"),
        (ui.PAGE_STATUS, "Job status"),
        (ui.PAGE_JOBS, "Jobs"),
        (ui.PAGE_SETTINGS, "Settings"),
        (ui.PAGE_CLASSIFY, "Classify a document"),
    ]:
        open_page(at, page)
        no_exception(at)
        assert at.title[0].value == title
        # app.py ran too: the sidebar is there on every page.
        assert [m.label for m in at.sidebar.metric] == ["Running jobs"]


def test_one_runner_per_process_released_with_shutdown(data_dir: Path) -> None:
    first = ui.get_runner()
    assert ui.get_runner() is first
    st.cache_resource.clear()
    assert first._closed, "on_release must shut the runner down"
    second = ui.get_runner()
    assert second is not first and not second._closed


def test_sidebar_counts_running_jobs(idle_runner: Runner) -> None:
    submit(idle_runner, eval_texts("email", 1))
    submit(idle_runner, eval_texts("resume", 1))
    at = new_app()
    assert [m.value for m in at.sidebar.metric] == ["2"]


# --- Classify ---------------------------------------------------------------------------


def test_classify_a_docx_shows_category_scores_reason_and_text(data_dir: Path) -> None:
    source = eval_texts("contract", 1)[0].read_text("utf-8")
    at = new_app()
    assert at.info and "Upload a file" in at.info[0].value
    at.file_uploader[0].set_value(("agreement.docx", docx_from_text(source), "application/msword"))
    at.run()
    no_exception(at)
    found = metrics(at)
    assert found["Category"] == "contract"
    assert re.fullmatch(r"\d{1,3}%", found["Confidence"])
    assert found["Pages"] == "1"
    assert int(found["Characters"].replace(",", "")) > 1000
    assert shown(at.subheader) == ["agreement.docx"]
    assert at.get("vega_lite_chart"), "the per-category score chart is missing"
    assert any("contract" in s for s in shown(at.info)), "the reason names the category"
    preview = at.code[0].value
    first_words = " ".join(source.split()[:6])
    assert first_words in " ".join(preview.split())
    assert any("python-docx" in c for c in shown(at.caption))


def test_classify_a_text_file_and_reruns_do_not_read_it_again(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = eval_texts("email", 1)[0]
    at = new_app()
    runner = ui.get_runner()
    calls: list[str] = []
    real = runner.classify_now

    def counting(upload: Upload, **kwargs: object) -> object:
        calls.append(upload.filename)
        return real(upload, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(runner, "classify_now", counting)
    at.file_uploader[0].set_value((path.name, path.read_bytes(), "text/plain")).run()
    no_exception(at)
    assert metrics(at)["Category"] == "email"
    assert (find_table(at, "detector")["hits"] > 0).all()
    at.run()
    assert metrics(at)["Category"] == "email"
    assert calls == [path.name], "a rerun must reuse the result, not classify again"
    at.selectbox(key="classify_taxonomy").set_value("sensitivity").run()
    assert len(calls) == 2, "another taxonomy is another answer"
    assert metrics(at)["Category"] in load_taxonomy("sensitivity").names


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (ENCRYPTED_PDF, "EncryptedDocument: password required"),
        (CORRUPT_DOCX, "CorruptDocument: truncated or damaged ZIP archive"),
    ],
)
def test_classify_a_bad_file_shows_its_specific_error(
    data_dir: Path, path: Path, expected: str
) -> None:
    at = new_app()
    at.file_uploader[0].set_value((path.name, path.read_bytes(), "application/octet-stream"))
    at.run()
    no_exception(at)
    errors = shown(at.error)
    assert len(errors) == 1 and errors[0].startswith(expected), errors
    assert "Category" not in metrics(at)


def test_file_names_are_never_rendered_as_markdown(data_dir: Path) -> None:
    nasty = "**bold** [click](javascript:alert(1)) :red[x] <b>hi</b> $x$.txt"
    at = new_app()
    body = eval_texts("email", 1)[0].read_bytes()
    at.file_uploader[0].set_value((nasty, body, "text/plain")).run()
    no_exception(at)
    assert [s.value for s in at.subheader] == [ui.md_escape(nasty)]
    assert shown(at.subheader) == [" ".join(nasty.split())]
    for element in [*at.markdown, *at.caption, *at.subheader, *at.info, *at.error]:
        assert "[click](" not in element.value and "**bold**" not in element.value


def test_md_escape_leaves_no_markdown_active() -> None:
    for raw in [
        "a*b*c [x](javascript:alert(1)) `code` # h",
        ":material/home: :smile: https://evil.example www.evil.example me@evil.example",
        "<script>alert(1)</script> $E=mc^2$ ~~s~~ | a | b |",
    ]:
        escaped = ui.md_escape(raw)
        assert ui.md_plain(escaped) == raw
        assert not re.search(r"(?<!\\)[*_`\[\]()<>$~|#:@]", escaped), escaped
    # Patterns Streamlit expands even when escaped are broken by an invisible joiner.
    escaped = ui.md_escape(":material/home: https://x.example www.x.example me@x.example")
    assert "\\:\u2060material" in escaped and "https\\:\u2060" in escaped
    assert "www\u2060\\." in escaped and "\\@\u2060" in escaped
    assert ui.md_escape("EncryptedDocument: password") == "EncryptedDocument\\: password"


# --- Batch and Job status ---------------------------------------------------------------


def test_batch_creates_a_job_that_the_status_page_follows_to_the_end(data_dir: Path) -> None:
    texts = [*eval_texts("contract", 1), *eval_texts("resume", 1)]
    files = [(p.name, p.read_bytes(), "text/plain") for p in texts]
    files.append((ENCRYPTED_PDF.name, ENCRYPTED_PDF.read_bytes(), "application/pdf"))
    at = open_page(new_app(), ui.PAGE_BATCH)
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
    runner = ui.get_runner()
    assert runner.wait_job(job_id, 60) == "completed"

    # AppTest keeps the page it was last switched to; open the status page like a link.
    open_page(at, ui.PAGE_STATUS, job=job_id)
    no_exception(at)
    found = metrics(at)
    assert found["Status"] == ui.status_label("completed")
    assert (found["Documents"], found["Completed"], found["Failed"]) == ("3", "2", "1")
    assert at.get("progress")[0].value == 100
    table = at.dataframe[0].value
    assert table["file"].tolist() == [f[0] for f in files]
    assert table["status"].tolist() == ["completed", "completed", "failed"]
    assert table["progress"].tolist() == [100, 100, 100]
    assert table["category"].tolist()[:2] == ["contract", "resume"]
    for doc_id, shown_pct in zip(table["doc_id"][:2], table["confidence"][:2], strict=True):
        doc = store.get_document(db=runner.db, doc_id=doc_id)
        assert doc is not None and doc.classification is not None
        assert shown_pct == pytest.approx(100 * doc.classification.confidence), "in percent"
    assert pd.isna(table["confidence"].iloc[2])
    assert table["error"].iloc[2].startswith("EncryptedDocument")
    assert [b.label for b in at.get("download_button")] == ["Download CSV", "Download JSON"]
    assert not next(b for b in at.button if b.label == "Cancel job").value
    assert next(b for b in at.button if b.label == "Cancel job").disabled
    # The finished job was announced once in this session, and only once.
    assert [t.value for t in at.toast] == [
        f"Job {job_id[:8]} completed: 2 of 3 classified, 1 failed"
    ]
    at.run()
    assert not at.toast

    # What "Download CSV" serves (the button's callable runs export_job).
    csv = pd.read_csv(io.BytesIO(export_job(db=runner.db, job_id=job_id, fmt="csv")))
    assert csv["filename"].tolist() == [f[0] for f in files]
    assert csv["status"].tolist() == ["completed", "completed", "failed"]
    assert csv["final_category"].tolist()[:2] == ["contract", "resume"]


def test_status_page_polls_while_running_and_shows_a_selected_document(
    idle_runner: Runner,
) -> None:
    paths = [*eval_texts("receipt", 1), ENCRYPTED_PDF]
    job_id = submit(idle_runner, paths, **{paths[0].name: "inv [1](x).txt"})
    at = open_page(new_app(), ui.PAGE_STATUS, job=job_id)
    no_exception(at)
    assert metrics(at)["Status"] == ui.status_label("pending")
    assert at.get("progress")[0].value == 0
    assert "Select a row" in " ".join(shown(at.caption))

    idle_runner.start()
    assert idle_runner.wait_job(job_id, 60) == "completed"
    at.run()  # one fragment tick
    assert metrics(at)["Status"] == ui.status_label("completed")
    assert at.dataframe[0].value["status"].tolist() == ["completed", "failed"]

    at.session_state[ui.documents_table_key(job_id)] = {
        "selection": {"rows": [0], "columns": [], "cells": []}
    }
    at.run()
    no_exception(at)
    assert shown(at.subheader) == ["inv [1](x).txt"]
    assert metrics(at)["Category"] == "receipt"
    assert at.get("vega_lite_chart")
    assert at.code, "the selected document's text preview is missing"

    at.session_state[ui.documents_table_key(job_id)] = {
        "selection": {"rows": [1], "columns": [], "cells": []}
    }
    at.run()
    assert shown(at.error) == ["EncryptedDocument: password required"]


def test_cancel_then_retry_from_the_status_page(idle_runner: Runner) -> None:
    paths = eval_texts("email", 3)
    job_id = submit(idle_runner, paths)
    at = open_page(new_app(), ui.PAGE_STATUS, job=job_id)
    assert metrics(at)["Status"] == ui.status_label("pending")
    retry = next(b for b in at.button if b.label.startswith("Retry failed"))
    assert retry.disabled

    next(b for b in at.button if b.label == "Cancel job").click().run()
    no_exception(at)
    assert metrics(at)["Status"] == ui.status_label("cancelled")
    assert at.dataframe[0].value["status"].tolist() == ["cancelled"] * 3
    assert [t.value for t in at.toast] == [
        f"Job {job_id[:8]} cancelled: 0 of 3 classified, 0 failed"
    ]
    cancel = next(b for b in at.button if b.label == "Cancel job")
    assert cancel.disabled

    retry = next(b for b in at.button if b.label.startswith("Retry failed"))
    assert retry.label == "Retry failed (3)" and not retry.disabled
    retry.click().run()
    no_exception(at)
    assert shown(at.success) == ["3 document(s) queued again."]
    assert metrics(at)["Status"] == ui.status_label("pending")

    idle_runner.start()
    assert idle_runner.wait_job(job_id, 60) == "completed"
    at.run()
    assert metrics(at)["Status"] == ui.status_label("completed")
    assert at.dataframe[0].value["status"].tolist() == ["completed"] * 3
    job = store.get_job(db=idle_runner.db, job_id=job_id)
    assert job is not None and job.completed == 3


def test_status_page_without_a_job_offers_recent_jobs(idle_runner: Runner) -> None:
    at = open_page(new_app(), ui.PAGE_STATUS)
    assert "No jobs yet" in at.info[0].value
    older = submit(idle_runner, eval_texts("scientific_paper", 1))
    newer = submit(idle_runner, eval_texts("news_article", 1))
    at.run()
    picker = at.selectbox(key="status_pick")
    assert picker.options[0].endswith(newer[:8]) and picker.options[1].endswith(older[:8])
    picker.set_value(older).run()
    no_exception(at)
    assert at.query_params["job"] == older
    assert metrics(at)["Documents"] == "1"

    at = open_page(new_app(), ui.PAGE_STATUS, job="no-such-job")
    assert shown(at.error) == ["There is no job with id no-such-job; it may have been deleted."]
    assert at.selectbox(key="status_pick")


# --- Jobs -------------------------------------------------------------------------------


def test_jobs_page_lists_filters_links_and_deletes(idle_runner: Runner) -> None:
    cancelled = submit(idle_runner, eval_texts("news_article", 2))
    idle_runner.cancel_job(cancelled)
    pending = submit(idle_runner, eval_texts("receipt", 1))
    at = open_page(new_app(), ui.PAGE_JOBS)
    no_exception(at)
    table = at.dataframe[0].value
    assert table["job_id"].tolist() == [pending, cancelled], "newest first"
    assert table["link"].tolist() == [f"job_status?job={pending}", f"job_status?job={cancelled}"]
    assert table["status"].tolist() == ["pending", "cancelled"]
    assert table["files"].tolist() == [1, 2]

    at.pills(key="jobs_status_filter").set_value(["cancelled"]).run()
    assert at.dataframe[0].value["job_id"].tolist() == [cancelled]

    at.session_state["jobs_table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    uploads = [
        idle_runner.uploads / d.sha256
        for d in store.job_documents(db=idle_runner.db, job_id=cancelled)
    ]
    assert all(p.is_file() for p in uploads)
    at.button(key="jobs_delete").click().run()
    no_exception(at)
    warning = shown(at.warning)[0]
    assert cancelled in warning and "2 files" in warning
    assert store.get_job(db=idle_runner.db, job_id=cancelled) is not None, "not before confirming"

    at.button(key="jobs_delete_yes").click().run()
    no_exception(at)
    assert store.get_job(db=idle_runner.db, job_id=cancelled) is None
    assert not any(p.exists() for p in uploads), "its uploads are removed too"
    assert shown(at.success) == [f"Job {cancelled} deleted."]
    at.pills(key="jobs_status_filter").set_value([]).run()
    assert at.dataframe[0].value["job_id"].tolist() == [pending]


# --- Settings ---------------------------------------------------------------------------


def test_settings_shows_the_taxonomy_and_validates_edits_inline(data_dir: Path) -> None:
    at = open_page(new_app(), ui.PAGE_SETTINGS)
    no_exception(at)
    default = load_taxonomy("default")
    table = find_table(at, "description")
    assert table["name"].tolist() == default.names
    assert table["keywords"].iloc[0] == ", ".join(default.categories[0].keywords)
    editor = at.text_area(key="taxonomy_editor_text")
    assert editor.value == default.source_text
    assert shown(at.success)[0].startswith(f"Valid: {len(default.names)} categories")

    broken = (
        '[[category]]\nname = "a"\ndescription = "first"\n\n'
        '[[category]]\nname = "a"\ndescription = "again"\n'
    )
    editor.set_value(broken).run()
    no_exception(at)
    assert shown(at.error) == ["line 6: duplicate category name 'a' (first defined at line 2)"]
    save = next(b for b in at.button if b.label == "Save taxonomy")
    assert save.disabled

    fixed = broken.replace('name = "a"\ndescription = "again"', 'name = "b"\ndescription = "b"')
    at.text_area(key="taxonomy_editor_text").set_value(fixed)
    at.text_input(key="taxonomy_editor_name").set_value("Team Two").run()
    assert not at.error
    next(b for b in at.button if b.label == "Save taxonomy").click().run()
    no_exception(at)
    saved = data_dir / "taxonomies" / "team-two.toml"
    assert saved.read_text("utf-8") == fixed
    assert str(saved) in available_taxonomies(data_dir)
    assert shown(at.success)[0].startswith(f"Saved as {saved}")
    assert at.selectbox(key="settings_taxonomy").value == str(saved), "the saved one is shown"
    assert find_table(at, "description")["name"].tolist() == ["a", "b"]

    at.file_uploader(key="taxonomy_upload").set_value(
        ("mine.toml", b'[[category]]\nname = "x"\n', "application/toml")
    ).run()
    assert at.text_area(key="taxonomy_editor_text").value.startswith("[[category]]")
    assert at.text_input(key="taxonomy_editor_name").value == "mine"
    assert shown(at.error) == ["line 1: category 'x' has an empty description"]


def test_settings_show_engine_settings_but_never_the_api_key(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    monkeypatch.setenv("DOCCLASS_WORKERS", "3")
    st.cache_resource.clear()
    at = new_app()
    for page in (ui.PAGE_SETTINGS, ui.PAGE_CLASSIFY, ui.PAGE_BATCH, ui.PAGE_JOBS):
        open_page(at, page)
        no_exception(at)
        assert SECRET not in all_text(at)
        assert SECRET[:12] not in all_text(at)
    open_page(at, ui.PAGE_SETTINGS)
    engine = find_table(at, "environment variable").set_index("setting")["value"]
    assert engine["OpenAI API key"] == "configured"
    assert engine["Classifier"] == "local"
    assert engine["Worker threads"] == "3"
    open_page(at, ui.PAGE_BATCH)
    assert "openai" in at.selectbox(key="batch_classifier").options

    monkeypatch.delenv("OPENAI_API_KEY")
    st.cache_resource.clear()
    at = open_page(new_app(), ui.PAGE_SETTINGS)
    engine = find_table(at, "environment variable").set_index("setting")["value"]
    assert engine["OpenAI API key"] == "not configured"
    open_page(at, ui.PAGE_BATCH)
    assert "openai" not in at.selectbox(key="batch_classifier").options


def test_an_analyst_corrects_a_document_from_its_result_view(idle_runner: Runner) -> None:
    job_id = submit(idle_runner, eval_texts("receipt", 1))
    idle_runner.start()
    assert idle_runner.wait_job(job_id, 60) == "completed"
    at = open_page(new_app(), ui.PAGE_STATUS, job=job_id)
    at.session_state[ui.documents_table_key(job_id)] = {
        "selection": {"rows": [0], "columns": [], "cells": []}
    }
    at.run()
    no_exception(at)
    choice = at.selectbox(key="job_doc_correct_choice")
    assert "invoice" in choice.options and choice.value == "receipt"
    choice.set_value("invoice")
    at.text_input(key="job_doc_correct_who").set_value("ana")
    next(b for b in at.button if b.label == "Save correction").click()
    at.run()
    no_exception(at)
    doc_id = store.job_documents(db=idle_runner.db, job_id=job_id)[0].id
    doc = store.get_document(db=idle_runner.db, doc_id=doc_id)
    assert doc.corrected_category == "invoice"
    assert doc.classification.final_category == "receipt"  # the prediction is kept
    with idle_runner.db.read() as s:
        who = s.exec(select(Correction.corrected_by)).all()
    assert who == ["ana"]
    at.run()
    assert any("corrected this to" in text for text in shown(at.info))


def test_status_page_filters_to_documents_that_need_review(
    idle_runner: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCCLASS_REVIEW_THRESHOLD", "0")  # only floor disagreements flag
    news = eval_texts("news_article", 2)
    story = news[0].read_text()
    # The classifier reads the head (a public news story); detectors read it all.
    planted = story + "\n" * 3 + "x " * 3000 + "\nEmployee SSN 123-45-6789\n"
    job_id = idle_runner.submit(
        [Upload("planted.txt", planted.encode()), Upload("plain.txt", news[1].read_bytes())],
        taxonomy="sensitivity",
    )
    idle_runner.start()
    assert idle_runner.wait_job(job_id, 60) == "completed"
    flagged = {d.filename for d in store.job_documents(db=idle_runner.db, job_id=job_id)
               if d.needs_review}  # fmt: skip
    assert flagged == {"planted.txt"}
    at = open_page(new_app(), ui.PAGE_STATUS, job=job_id)
    toggle = at.toggle(key=f"review_only_{job_id}")
    assert toggle.label == "Only documents that need review (1)"
    assert len(at.dataframe[0].value) == 2
    toggle.set_value(True)
    at.run()
    no_exception(at)
    assert at.dataframe[0].value["file"].tolist() == ["planted.txt"]


def test_the_api_key_may_come_from_streamlit_secrets(data_dir: Path) -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.secrets["OPENAI_API_KEY"] = SECRET
    at.run()
    no_exception(at)
    assert ui.get_runner().settings.openai_api_key == SECRET
    assert SECRET not in repr(ui.get_runner().settings)  # repr=False on the key
    open_page(at, ui.PAGE_SETTINGS)
    engine = find_table(at, "environment variable").set_index("setting")["value"]
    assert engine["OpenAI API key"] == "configured"
    assert SECRET not in all_text(at)
