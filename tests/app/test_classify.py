"""The Classify page: one file in, its result out, nothing stored."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from docclass.jobs.uploads import Upload
from docclass.schemas import DocumentOut
from docclass.taxonomy import load_taxonomy, save_taxonomy
from tests.app.support import (
    CORRUPT_DOCX,
    ENCRYPTED_PDF,
    find_table,
    metrics,
    new_app,
    no_exception,
    preview_text,
    shown,
)
from tests.builders import docx_from_text
from tests.paths import eval_texts
from tests.scans import INVOICE, image_bytes, page_images
from webui.format import md_escape
from webui.service import get_service


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
    chars = next(c for c in shown(at.caption) if " characters" in c)
    assert int(chars.split(" characters")[0].replace(",", "")) > 1000
    assert shown(at.subheader) == ["agreement.docx"]
    assert at.get("vega_lite_chart"), "the per-category score chart is missing"
    assert any("contract" in s for s in shown(at.info)), "the reason names the category"
    first_words = " ".join(source.split()[:6])
    assert first_words in preview_text(at), "the text preview shows the document's words"
    assert any("python-docx" in c for c in shown(at.caption))
    assert not any(b.label == "Save correction" for b in at.button), "nothing to correct"
    assert not get_service().list_jobs().jobs, "a one-off answer creates no job"


def test_classify_a_text_file_and_reruns_do_not_read_it_again(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = eval_texts("email", 1)[0]
    at = new_app()
    service = get_service()
    calls: list[str] = []
    real = service.classify_now

    def counting(upload: Upload, **kwargs: object) -> DocumentOut:
        calls.append(upload.filename)
        return real(upload, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(service, "classify_now", counting)
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


def test_classify_a_scanned_image_says_its_text_came_from_ocr(data_dir: Path) -> None:
    at = new_app()
    png = image_bytes(page_images([INVOICE]), "PNG")
    at.file_uploader[0].set_value(("scan.png", png, "image/png")).run()
    no_exception(at)
    assert metrics(at)["Category"] == "invoice"
    (facts,) = [c for c in shown(at.caption) if "reader: " in c]
    assert re.search(
        r"reader: ocr:tesseract · text from OCR on 1 page \(mean confidence \d{2}%\) · ", facts
    )
    assert "Northwind Traders" in preview_text(at)


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


def test_a_setup_error_is_the_answer_and_names_its_cause(data_dir: Path) -> None:
    saved = save_taxonomy(data_dir, "mine", load_taxonomy("default").source_text)
    at = new_app()
    at.selectbox(key="classify_taxonomy").set_value(str(saved)).run()
    saved.write_text('[[category]]\nname = "x"\n', "utf-8")  # broken after it was picked
    body = eval_texts("email", 1)[0].read_bytes()
    at.file_uploader[0].set_value(("mail.txt", body, "text/plain")).run()
    no_exception(at)
    assert shown(at.subheader) == ["mail.txt"]
    assert shown(at.error) == ["TaxonomyError: line 1: category 'x' has an empty description"]
    assert "Category" not in metrics(at)


def test_file_names_are_never_rendered_as_markdown(data_dir: Path) -> None:
    nasty = "**bold** [click](javascript:alert(1)) :red[x] <b>hi</b> $x$.txt"
    at = new_app()
    body = eval_texts("email", 1)[0].read_bytes()
    at.file_uploader[0].set_value((nasty, body, "text/plain")).run()
    no_exception(at)
    assert [s.value for s in at.subheader] == [md_escape(nasty)]
    assert shown(at.subheader) == [" ".join(nasty.split())]
    for element in [*at.markdown, *at.caption, *at.subheader, *at.info, *at.error]:
        assert "[click](" not in element.value and "**bold**" not in element.value
