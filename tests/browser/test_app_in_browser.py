"""The app in a real browser: ``streamlit run app.py`` in a subprocess, Debian's Chromium via
Playwright, in the style of Streamlit's own e2e tests (elements by test id, label or role;
waits on app state).

One server for the module with its own data folder. The first page opened is a deep link to
the status page (what a bookmark does right after a server start), then a classification, a
batch of three corpus files followed live to the end, a selected document with its page
image, the CSV download and the jobs list. (Screenshots of every page: ``test_screens.py``.)
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from playwright import sync_api as playwright_api

from tests.browser.conftest import run_server, select_row, settle
from tests.paths import CORPUS, EVAL

expect = playwright_api.expect

BATCH = [
    CORPUS / "py-pdf+sample-files/001-trivial/minimal-document.pdf",
    CORPUS / "python-openxml+python-docx/tests/test_files/test.docx",
    CORPUS / "py-pdf+pypdf/resources/encryption/r2-user-password.pdf",
]
NASTY_NAME = "**contract** [open](javascript:alert(1)) :red[x].txt"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with run_server(tmp_path_factory.mktemp("browser") / "data") as running:
        yield running.url


def test_the_app_in_a_browser(server: str, page: object) -> None:
    p = page  # Playwright's sync Page; typed loosely so the module imports without it

    sockets: list[object] = []
    sent: list[float] = []  # when the browser sent something to the server (reruns)

    def watch(ws: object) -> None:
        sockets.append(ws)
        ws.on("framesent", lambda _: sent.append(time.monotonic()))  # type: ignore[attr-defined]

    p.on("websocket", watch)

    # 1. A bookmark opened right after a server start still gets the whole app around it.
    p.goto(f"{server}/job_status?job=missing")
    expect(p.get_by_text("There is no job with id missing")).to_be_visible()
    sidebar = p.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text("Running jobs")).to_be_visible()
    expect(sidebar).to_contain_text("Defaults for new jobs")
    expect(sidebar).to_contain_text("Classifier · local")
    expect(p.get_by_text("Page not found")).to_have_count(0)
    expect(p.get_by_role("heading", name="Job status")).to_be_visible()

    # 2. Classify: one file, result on the same page; the name stays text, never a link.
    p.goto(server)
    expect(p.get_by_role("heading", name="Classify a document")).to_be_visible()
    body = sorted((EVAL / "contract").glob("*.txt"))[0].read_bytes()
    p.get_by_test_id("stFileUploaderDropzoneInput").first.set_input_files(
        files=[{"name": NASTY_NAME, "mimeType": "text/plain", "buffer": body}]
    )
    metric = p.get_by_test_id("stMetric").filter(has_text="Category")
    expect(metric).to_contain_text("contract", timeout=60_000)
    heading = p.get_by_test_id("stHeading").locator("h3").first
    assert heading.inner_text().replace("\u2060", "") == NASTY_NAME  # literally, as text
    assert heading.locator("a, strong, em, span[style]").count() == 0
    assert p.locator("a[href^='javascript']").count() == 0
    first_words = " ".join(body.decode("utf-8").split("\n", 1)[0].split()[:5])
    expect(
        p.get_by_test_id("stMarkdownContainer").filter(has_text=first_words).first
    ).to_be_visible()
    p.get_by_role("tab", name="Scores").click()
    expect(p.get_by_test_id("stVegaLiteChart").first).to_be_visible()

    # 3. Batch: three corpus files, Start, and the status page takes over (no reload).
    p.goto(f"{server}/batch")
    p.get_by_test_id("stFileUploaderDropzoneInput").first.set_input_files([str(f) for f in BATCH])
    start = p.get_by_role("button", name="Start job (3 files)")
    expect(start).to_be_enabled()
    loads: list[str] = []
    p.on("load", lambda _: loads.append(p.url))
    connections = len(sockets)
    started = time.monotonic()
    start.click()
    p.wait_for_url("**/job_status?job=*")
    job_id = p.url.split("job=")[1]
    expect(p.get_by_text(f"Job {job_id} started with 3 files.")).to_be_visible()
    expect(p.get_by_text("100% · 3 of 3 documents done")).to_be_visible(timeout=60_000)
    status = p.get_by_test_id("stMetric").filter(has_text="Status")
    # all documents saved, then the finishing step (the batch pass), then completed
    expect(status.filter(has_text="completed")).to_have_count(1, timeout=60_000)
    settle(p)
    expect(status).to_have_count(1)
    expect(status).to_contain_text("completed")
    assert loads == [], "the status page must update itself, not reload"
    expect(
        p.get_by_text(f"Job {job_id[:8]} completed: 2 of 3 classified, 1 failed")
    ).to_be_visible()

    # While the job ran the page polled; it still runs on the same connection, never reloaded.
    assert len([t for t in sent if t > started]) >= 2
    settle(p)
    assert len(sockets) == connections, "the same connection all along: no reload"

    # 4. Select the encrypted PDF's row: its full result (the specific error) shows below.
    table = f"job_documents_{job_id}"
    select_row(p, table, 2)
    expect(p.get_by_role("heading", name=BATCH[2].name)).to_be_visible()
    expect(p.get_by_text("EncryptedDocument: password required").last).to_be_visible()
    select_row(p, table, 0)  # the first row: a classified PDF, its page drawn beside it
    expect(p.get_by_role("heading", name=BATCH[0].name)).to_be_visible()
    p.get_by_role("tab", name="Preview").click()
    expect(p.get_by_test_id("stImage").locator("img")).to_be_visible()
    assert p.get_by_test_id("stImage").locator("img").evaluate("i => i.naturalWidth") > 500

    # 5. The CSV download: three rows, the uploaded names and their statuses.
    with p.expect_download() as download_info:
        p.get_by_test_id("stDownloadButton").filter(has_text="CSV").click()
    download = download_info.value
    assert download.suggested_filename == f"docclass-{job_id[:8]}.csv"
    csv = pd.read_csv(io.BytesIO(Path(download.path()).read_bytes()))
    assert len(csv) == 3
    assert csv["filename"].tolist() == [f.name for f in BATCH]
    assert csv["status"].tolist() == ["completed", "completed", "failed"]
    assert csv["error"].iloc[2].startswith("EncryptedDocument")

    # 6. Jobs: the job is listed with a link to its status page.
    p.goto(f"{server}/jobs")
    expect(p.get_by_role("heading", name="Jobs")).to_be_visible()
    expect(p.get_by_text("1 job(s)")).to_be_visible()
