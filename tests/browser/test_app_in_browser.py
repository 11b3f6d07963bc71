"""The app in a real browser: ``streamlit run app.py`` in a subprocess, Debian's Chromium via
Playwright, in the style of Streamlit's own e2e tests (elements by test id, label or role;
waits on app state).

One server for the module with its own data folder. The first page opened is a deep link to
the status page (what a bookmark does right after a server start), then a classification, a
batch of three corpus files followed live to the end, a selected document, the CSV download,
and a screenshot of every page under ``test-output/screenshots/``.
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from playwright import sync_api as playwright_api

from tests.browser.conftest import SHOTS, run_server
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


def settle(page: object) -> None:
    """Wait until the app is idle: no script or fragment running, no stale element left."""
    app = page.get_by_test_id("stApp")  # type: ignore[attr-defined]
    expect(app).to_have_attribute("data-test-script-state", "notRunning")
    expect(page.locator("[data-stale='true']")).to_have_count(0)  # type: ignore[attr-defined]


def shot(page: object, name: str) -> None:
    """A full-page screenshot once the app is idle and every chart is drawn."""
    settle(page)
    for chart in page.get_by_test_id("stVegaLiteChart").all():  # type: ignore[attr-defined]
        expect(chart.locator("canvas, svg").first).to_be_visible()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


def select_row(page: object, table_key: str, row: int) -> None:
    """Select a row of a ``single-row`` table from the keyboard, as an analyst can: focus
    the grid, go to its first cell, down ``row`` rows, Shift+Space selects that row."""
    settle(page)
    page.bring_to_front()  # type: ignore[attr-defined]  # key events need the page focused
    grid = page.locator(f".st-key-{table_key}").get_by_test_id("data-grid-canvas")  # type: ignore[attr-defined]
    grid.focus()
    keyboard = page.keyboard  # type: ignore[attr-defined]
    keyboard.press("ControlOrMeta+Home")
    for _ in range(row):
        keyboard.press("ArrowDown")
    keyboard.press("Shift+Space")


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
    expect(p.get_by_test_id("stVegaLiteChart").first).to_be_visible()
    first_words = body.decode("utf-8").split("\n", 1)[0].strip()[:40]
    expect(p.get_by_test_id("stCode").first).to_contain_text(first_words)
    shot(p, "1-classify")

    # 3. Batch: three corpus files, Start, and the status page takes over (no reload).
    p.goto(f"{server}/batch")
    p.get_by_test_id("stFileUploaderDropzoneInput").first.set_input_files([str(f) for f in BATCH])
    start = p.get_by_role("button", name="Start job (3 files)")
    expect(start).to_be_enabled()
    shot(p, "2-batch")
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

    # While the job ran the page polled; once it has ended nothing polls any more: the
    # browser sends no rerun request for several polling periods.
    assert len([t for t in sent if t > started]) >= 2
    settle(p)
    assert len(sockets) == connections, "the same connection all along: no reload"
    with pytest.raises(playwright_api.TimeoutError):
        sockets[-1].wait_for_event("framesent", timeout=3_500)  # type: ignore[attr-defined]
    shot(p, "3-job-status")

    # 4. Select the encrypted PDF's row: its full result (the specific error) shows below.
    table = f"job_documents_{job_id}"
    select_row(p, table, 2)
    expect(p.get_by_role("heading", name=BATCH[2].name)).to_be_visible()
    expect(p.get_by_text("EncryptedDocument: password required").last).to_be_visible()
    select_row(p, table, 0)  # the first row: a classified PDF
    expect(p.get_by_role("heading", name=BATCH[0].name)).to_be_visible()
    expect(p.get_by_text("Scores per category")).to_be_visible()
    shot(p, "4-job-status-selected")

    # 5. The CSV download: three rows, the uploaded names and their statuses.
    with p.expect_download() as download_info:
        p.get_by_role("button", name="Download CSV").click()
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
    shot(p, "5-jobs")

    # 7. Settings: the taxonomy table, the editor, engine settings; no key anywhere.
    p.goto(f"{server}/settings")
    expect(p.get_by_role("heading", name="Classifier and workers")).to_be_visible()
    expect(p.get_by_text("Valid: ")).to_be_visible()
    shot(p, "6-settings")
