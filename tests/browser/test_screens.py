"""Every page in a real browser, in the light and the dark theme, with data in it: the theme
follows the browser's preference, and each page is saved as a screenshot under
``test-output/screenshots/`` (``<n>-<page>-<scheme>.png``) for a person to look at.

One server for the module: a job of real PDFs and texts (some flagged for review, one
encrypted PDF), and a cancelled job, made before the server starts; its worker finishes them.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright import sync_api as playwright_api

from docclass.jobs.service import Service
from docclass.jobs.uploads import Upload
from docclass.settings import load_settings
from tests.browser.conftest import SHOTS, new_tab, run_server, select_row, settle
from tests.paths import CORPUS, eval_texts
from webui.jobs import documents_table_key

expect = playwright_api.expect
pytestmark = pytest.mark.browser

PDFS = [
    CORPUS / "py-pdf+sample-files/004-pdflatex-4-pages/pdflatex-4-pages.pdf",
    CORPUS / "py-pdf+sample-files/011-google-doc-document/google-doc-document.pdf",
    CORPUS / "py-pdf+sample-files/001-trivial/minimal-document.pdf",
    CORPUS / "py-pdf+pypdf/resources/encryption/r2-user-password.pdf",
]
# What the dark and the light theme paint the app's background with (Streamlit's defaults).
DARK_BACKGROUND = "rgb(23, 22, 20)"
LIGHT_BACKGROUND = "rgb(255, 255, 255)"


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    data = tmp_path_factory.mktemp("screens") / "data"
    settings = load_settings(
        data_dir=data, database_url=f"sqlite:///{data / 'docclass.db'}", classifier="local"
    )
    earlier = Service(settings, start=False)
    try:
        texts = [p for c in ("contract", "receipt", "resume", "email") for p in eval_texts(c, 2)]
        uploads = [Upload(f"scans/{p.name}", p) for p in PDFS]
        uploads += [Upload(f"{p.parent.name}/{p.name}", p) for p in texts]
        job_id = earlier.submit(uploads, taxonomy="default", name="Quarterly documents")
        stopped = earlier.submit(
            [Upload(p.name, p) for p in eval_texts("news_article", 3)], name="Stopped early"
        )
        earlier.cancel(stopped)
        with run_server(data) as server:
            assert earlier.wait_job(job_id, timeout=120) == "completed"
            yield server.url, job_id
    finally:
        earlier.stop()


def shot(page: object, name: str) -> None:
    """A full-page screenshot once the app is idle and every chart and image is drawn."""
    settle(page)
    for chart in page.get_by_test_id("stVegaLiteChart").all():  # type: ignore[attr-defined]
        if chart.is_visible():  # charts on a hidden tab are drawn when it opens
            expect(chart.locator("canvas, svg").first).to_be_visible()
    for image in page.get_by_test_id("stImage").locator("img").all():  # type: ignore[attr-defined]
        if image.is_visible():
            expect(image).to_have_js_property("complete", True)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_page_in_both_themes(browser: object, seeded: tuple[str, str], scheme: str) -> None:
    server, job_id = seeded
    p = new_tab(browser, scheme, height=1600)
    try:
        p.goto(server)
        expect(p.get_by_role("heading", name="Classify a document")).to_be_visible()
        background = p.get_by_test_id("stApp").evaluate("e => getComputedStyle(e).backgroundColor")
        assert background == (DARK_BACKGROUND if scheme == "dark" else LIGHT_BACKGROUND)
        p.get_by_test_id("stFileUploaderDropzoneInput").first.set_input_files(str(PDFS[1]))
        expect(p.get_by_test_id("stMetric").filter(has_text="Category")).to_be_visible(
            timeout=60_000
        )
        shot(p, f"1-classify-{scheme}")

        p.goto(f"{server}/batch")
        p.get_by_test_id("stFileUploaderDropzoneInput").first.set_input_files(
            [str(f) for f in PDFS[:3]]
        )
        expect(p.get_by_role("button", name="Start job (3 files)")).to_be_enabled()
        shot(p, f"2-batch-{scheme}")

        p.goto(f"{server}/job_status?job={job_id}")
        status = p.get_by_test_id("stMetric").filter(has_text="Status")
        expect(status).to_contain_text("completed")
        select_row(p, documents_table_key(job_id), 0)  # a 4-page PDF: its page beside it
        expect(p.get_by_role("heading", name="scans/pdflatex-4-pages.pdf")).to_be_visible()
        expect(p.get_by_test_id("stImage").locator("img")).to_be_visible()
        shot(p, f"3-job-status-{scheme}")

        p.goto(f"{server}/jobs")
        expect(p.get_by_text("2 job(s)")).to_be_visible()
        shot(p, f"4-jobs-{scheme}")

        p.goto(f"{server}/review")
        expect(p.get_by_role("heading", name="Review")).to_be_visible()
        shot(p, f"5-review-{scheme}")

        p.goto(f"{server}/documents?q=scans")
        expect(p.get_by_text("document(s) match")).to_be_visible()
        shot(p, f"6-search-{scheme}")

        p.goto(f"{server}/settings")
        expect(p.get_by_role("heading", name="Classifier and workers")).to_be_visible()
        shot(p, f"7-settings-{scheme}")
        errors = [m for m in p.get_by_test_id("stException").all()]
        assert errors == [], "no page raised"
    finally:
        p.context.close()  # type: ignore[attr-defined]
