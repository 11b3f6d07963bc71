"""The app in a real browser: ``streamlit run`` in a subprocess, Debian's Chromium via Playwright.

One server per module with its own data folder. The first page opened is a deep link to the
status page (what a bookmark does right after a server start), then a classification, a
batch of three corpus files followed live to the end, the CSV download, a selected document,
and a screenshot of every page under ``test-output/screenshots/``.
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from tests.paths import CORPUS, EVAL, ROOT

playwright_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = ROOT / "test-output" / "screenshots"
BATCH = [
    CORPUS / "py-pdf+sample-files/001-trivial/minimal-document.pdf",
    CORPUS / "python-openxml+python-docx/tests/test_files/test.docx",
    CORPUS / "py-pdf+pypdf/resources/encryption/r2-user-password.pdf",
]
NASTY_NAME = "**contract** [open](javascript:alert(1)) :red[x].txt"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium not installed"),
    pytest.mark.skipif(
        not all(p.is_file() for p in BATCH) or not EVAL.is_dir(), reason="shared corpus missing"
    ),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_healthy(url: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}")
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response,
        ):
            if response.read().strip() == b"ok":
                return
        time.sleep(0.3)
    raise TimeoutError("streamlit did not become healthy")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``streamlit run app.py`` on a free port with a temporary data folder."""
    data = tmp_path_factory.mktemp("browser") / "data"
    env = {
        **os.environ,
        "DOCCLASS_DATA_DIR": str(data),
        "DOCCLASS_DATABASE_URL": f"sqlite:///{data / 'docclass.db'}",
        "DOCCLASS_CLASSIFIER": "local",
        "DOCCLASS_WORKERS": "2",
        "DOCCLASS_PROCESS_WORKERS": "2",
    }
    env.pop("OPENAI_API_KEY", None)
    port = free_port()
    log = (data.parent / "streamlit.log").open("wb")
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true"]
    command += ["--server.fileWatcherType", "none", "--server.port", str(port)]
    command += ["--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"]
    proc = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own group: the runner's worker processes stop with it
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc)
        yield url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with playwright_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    context = browser.new_context(  # type: ignore[attr-defined]
        viewport={"width": 1440, "height": 1500}, accept_downloads=True, timezone_id="UTC"
    )
    context.set_default_timeout(30_000)
    tab = context.new_page()
    yield tab
    context.close()


def shot(page: object, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(400)  # type: ignore[attr-defined]  # let charts finish drawing
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


def settle(page: object) -> None:
    """Wait until the script run is over (Streamlit shows a status widget while running)."""
    page.wait_for_selector(  # type: ignore[attr-defined]
        "[data-testid='stStatusWidget']", state="detached", timeout=30_000
    )


def test_the_app_in_a_browser(server: str, page: object) -> None:
    p = page  # Playwright's sync Page; typed loosely so the module imports without it
    expect = playwright_api.expect

    sent: list[float] = []  # when the browser sent something to the server (reruns)
    p.on("websocket", lambda ws: ws.on("framesent", lambda _: sent.append(time.monotonic())))

    # 1. A bookmark opened right after a server start still gets the whole app around it.
    p.goto(f"{server}/job_status?job=missing")
    expect(p.get_by_text("There is no job with id missing")).to_be_visible()
    sidebar = p.locator("[data-testid='stSidebar']")
    expect(sidebar.get_by_text("Running jobs")).to_be_visible()
    expect(sidebar).to_contain_text("Classifier · local")
    expect(p.get_by_text("Page not found")).to_have_count(0)
    expect(p.get_by_role("heading", name="Job status")).to_be_visible()

    # 2. Classify: one file, result on the same page; the name stays text, never a link.
    p.goto(server)
    expect(p.get_by_role("heading", name="Classify a document")).to_be_visible()
    body = sorted((EVAL / "contract").glob("*.txt"))[0].read_bytes()
    p.locator("input[type=file]").first.set_input_files(
        files=[{"name": NASTY_NAME, "mimeType": "text/plain", "buffer": body}]
    )
    metric = p.locator("[data-testid='stMetric']").filter(has_text="Category")
    expect(metric).to_contain_text("contract", timeout=60_000)
    heading = p.locator("[data-testid='stHeading'] h3").first
    assert heading.inner_text().replace("\u2060", "") == NASTY_NAME  # literally, as text
    assert heading.locator("a, strong, em, span[style]").count() == 0
    assert p.locator("a[href^='javascript']").count() == 0
    expect(p.locator("[data-testid='stVegaLiteChart']").first).to_be_visible()
    first_words = body.decode("utf-8").split("\n", 1)[0].strip()[:40]
    expect(p.locator("[data-testid='stCode']").first).to_contain_text(first_words)
    settle(p)
    shot(p, "1-classify")

    # 3. Batch: three corpus files, Start, and the status page takes over (no reload).
    p.goto(f"{server}/batch")
    p.locator("input[type=file]").first.set_input_files([str(f) for f in BATCH])
    start = p.get_by_role("button", name="Start job (3 files)")
    expect(start).to_be_enabled()
    settle(p)
    shot(p, "2-batch")
    loads: list[str] = []
    p.on("load", lambda _: loads.append(p.url))
    started = time.monotonic()
    start.click()
    p.wait_for_url("**/job_status?job=*")
    job_id = p.url.split("job=")[1]
    expect(p.get_by_text(f"Job {job_id} started with 3 files.")).to_be_visible()
    expect(p.get_by_text("100% · 3 of 3 documents done")).to_be_visible(timeout=60_000)
    settle(p)
    status = p.locator("[data-testid='stMetric']").filter(has_text="Status")
    expect(status).to_have_count(1)
    expect(status).to_contain_text("completed")
    assert loads == [], "the status page must update itself, not reload"
    expect(
        p.get_by_text(f"Job {job_id[:8]} completed: 2 of 3 classified, 1 failed")
    ).to_be_visible()

    # While the job ran the page polled; once it has ended nothing polls any more.
    assert len([t for t in sent if t > started]) >= 2
    settle(p)
    p.wait_for_timeout(1_500)
    quiet_from = time.monotonic()
    p.wait_for_timeout(3_500)
    assert [t for t in sent if t > quiet_from] == [], "the fragment kept polling after the end"
    shot(p, "3-job-status")

    # 4. The CSV download: three rows, the uploaded names and their statuses.
    with p.expect_download() as download_info:
        p.get_by_role("button", name="Download CSV").click()
    download = download_info.value
    assert download.suggested_filename == f"docclass-{job_id[:8]}.csv"
    csv = pd.read_csv(io.BytesIO(Path(download.path()).read_bytes()))
    assert len(csv) == 3
    assert csv["filename"].tolist() == [f.name for f in BATCH]
    assert csv["status"].tolist() == ["completed", "completed", "failed"]
    assert csv["error"].iloc[2].startswith("EncryptedDocument")

    # 5. Select the encrypted PDF's row: its full result (the specific error) shows below.
    grid = p.locator("[data-testid='stDataFrame']").first
    box = grid.bounding_box()
    assert box is not None
    p.mouse.click(box["x"] + 18, box["y"] + 35 + 35 * 2 + 17)  # row marker of the 3rd row
    expect(p.get_by_role("heading", name=BATCH[2].name)).to_be_visible()
    expect(p.get_by_text("EncryptedDocument: password required").last).to_be_visible()
    p.mouse.click(box["x"] + 18, box["y"] + 35 + 17)  # the first row: a classified PDF
    expect(p.get_by_role("heading", name=BATCH[0].name)).to_be_visible()
    expect(p.get_by_text("Scores per category")).to_be_visible()
    settle(p)
    shot(p, "4-job-status-selected")

    # 6. Jobs: the job is listed with a link to its status page.
    p.goto(f"{server}/jobs")
    expect(p.get_by_role("heading", name="Jobs")).to_be_visible()
    expect(p.get_by_text("1 job(s)")).to_be_visible()
    settle(p)
    shot(p, "5-jobs")

    # 7. Settings: the taxonomy table, the editor, engine settings; no key anywhere.
    p.goto(f"{server}/settings")
    expect(p.get_by_role("heading", name="Classifier and workers")).to_be_visible()
    expect(p.get_by_text("Valid: ")).to_be_visible()
    settle(p)
    shot(p, "6-settings")
