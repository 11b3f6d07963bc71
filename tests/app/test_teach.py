"""The job page's "Teach the classifier" panel: suggestions to correct, then a re-score."""

from __future__ import annotations

from collections.abc import Callable

from docclass.jobs.service import Service
from tests.app.support import (
    button,
    completed_job,
    find_table,
    new_app,
    no_exception,
    open_page,
    select_row,
)
from tests.paths import eval_texts
from webui import nav


def test_suggested_documents_are_corrected_in_place_and_the_job_rescored(
    stopped_services: Callable[[], Service],
) -> None:
    service = stopped_services()
    files = [p for kind in ("receipt", "email", "news_article") for p in eval_texts(kind, 4)]
    job_id = completed_job(service, files)
    at = open_page(new_app(), nav.PAGE_STATUS, job=job_id)
    assert button(at, "Re-score from corrections (0)").disabled  # nothing to learn from yet

    button(at, "Suggest documents to correct").click().run()
    no_exception(at)
    suggested = find_table(at, "answer")
    expected = service.suggest_corrections(job_id, 8)
    names = {d.id: d.filename for d in service.get_job(job_id).documents}
    assert suggested["file"].tolist() == [names[i] for i in expected] and expected

    # Selecting a suggestion opens its result with the correction form.
    select_row(at, f"teach_{job_id}_table", 0)
    no_exception(at)
    choice = at.selectbox(key="teach_doc_correct_choice")
    target = next(c for c in choice.options if c != choice.value)
    choice.set_value(target)
    next(b for b in at.button if b.label == "Save correction").click()
    at.run()
    no_exception(at)
    assert service.get_document(expected[0]).corrected_category == target

    button(at, "Re-score from corrections (1)").click().run()
    no_exception(at)
    assert any("Re-scored from the corrections" in s.value for s in at.success)
    again = service.get_document(expected[0])
    assert again.corrected_category == target and again.classifier_meta["examples"] >= 1
