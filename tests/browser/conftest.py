"""Fixtures of the browser suite: ``streamlit run app.py`` in a subprocess on a free port with
its own data folder, and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.paths import ROOT

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = ROOT / "test-output" / "screenshots"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def app_env(data: Path, **extra: str) -> dict[str, str]:
    """The environment of a server (and of a test's own service) on ``data``."""
    env = {
        **os.environ,
        "DOCCLASS_DATA_DIR": str(data),
        "DOCCLASS_DATABASE_URL": f"sqlite:///{data / 'docclass.db'}",
        "DOCCLASS_CLASSIFIER": "local",
        "DOCCLASS_WORKERS": "2",
        "DOCCLASS_PROCESS_WORKERS": "2",
    }
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "DOCCLASS_TAXONOMY"):
        env.pop(name, None)
    env.update(extra)
    return env


@dataclass
class Server:
    url: str
    data: Path
    log: Path
    proc: subprocess.Popen[bytes]
    stopped: bool = False

    def healthy(self) -> bool:
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as response,
        ):
            return response.read().strip() == b"ok"
        return False

    def wait_healthy(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"streamlit exited with {self.proc.returncode}:\n{self.log.read_text()}"
                )
            if self.healthy():
                return
            time.sleep(0.3)
        raise TimeoutError(f"streamlit did not become healthy:\n{self.log.read_text()}")

    def stop(self) -> int:
        """SIGTERM to the server, as a service manager stops it; returns its exit status.

        Uvicorn shuts down gracefully (the lifespan stops the service), then re-raises the
        signal, so a clean stop ends with ``-SIGTERM``. Whatever is left of its process
        group (reader processes) is killed afterwards.
        """
        if self.stopped:
            return self.proc.returncode
        self.stopped = True
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
        try:
            return self.proc.wait(timeout=30)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)


@contextlib.contextmanager
def run_server(data: Path, **env: str) -> Iterator[Server]:
    """``streamlit run app.py`` on a free port with the data folder ``data`` (and any more
    environment variables given)."""
    data.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log_path = data.parent / f"streamlit-{port}.log"
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true"]
    command += ["--server.fileWatcherType", "none", "--server.port", str(port)]
    command += ["--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"]
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            command,
            cwd=ROOT,
            env=app_env(data, **env),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group: the reader processes stop with it
        )
        server = Server(f"http://127.0.0.1:{port}", data, log_path, proc)
        try:
            server.wait_healthy()
            yield server
        finally:
            server.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright import sync_api as playwright_api

    if not CHROMIUM.exists():
        pytest.fail(f"Debian chromium is missing at {CHROMIUM}: bash .ci/run installs it")
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


# How long an expectation waits for the app by default (Playwright's own is 5 s): lazily
# loaded elements (charts, code blocks) and reruns take longer on a small, busy machine.
EXPECT_TIMEOUT_MS = 20_000


def new_tab(browser: object, scheme: str = "light", height: int = 1500) -> object:
    """A page in a fresh browser context (its own session), in the light or dark scheme."""
    from playwright import sync_api as playwright_api

    playwright_api.expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    context = browser.new_context(  # type: ignore[attr-defined]
        viewport={"width": 1440, "height": height},
        accept_downloads=True,
        timezone_id="UTC",
        color_scheme=scheme,
    )
    context.set_default_timeout(30_000)
    return context.new_page()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    tab = new_tab(browser)
    yield tab
    tab.context.close()  # type: ignore[attr-defined]


def settle(page: object) -> None:
    """Wait until the app is idle: no script or fragment running, no stale element left, and
    no placeholder of an element whose code is still loading (``stSkeleton``: widgets are
    fetched lazily, and a first visit can show their grey placeholders a moment longer)."""
    from playwright import sync_api as playwright_api

    app = page.get_by_test_id("stApp")  # type: ignore[attr-defined]
    playwright_api.expect(app).to_have_attribute("data-test-script-state", "notRunning")
    playwright_api.expect(page.locator("[data-stale='true']")).to_have_count(0)  # type: ignore[attr-defined]
    placeholders = page.locator("[data-testid^='stSkeleton'], [data-testid='stAppSkeleton']")  # type: ignore[attr-defined]
    playwright_api.expect(placeholders).to_have_count(0)


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
