"""Defect 1 of issue 10, in two real browsers: a job's status page notices every change of
its job, whoever made it — a cancel, a resume run to the end, a correction — without a reload.

The server's worker looks for work from other processes only once an hour here, so the job
the test creates stays queued (a running job) until a browser acts on it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright import sync_api as playwright_api

from docclass.jobs.service import Service
from docclass.jobs.uploads import Upload
from docclass.settings import load_settings
from tests.browser.conftest import new_tab, run_server, select_row
from tests.paths import eval_texts
from webui.jobs import documents_table_key

expect = playwright_api.expect
pytestmark = pytest.mark.browser


def shows(page: object, label: str, value: str, timeout: float = 20_000) -> None:
    """Wait until the metric ``label`` shows ``value`` (a rerun may briefly draw a stale
    copy beside the new one: exactly one must show it)."""
    expect(metric(page, label).filter(has_text=value)).to_have_count(1, timeout=timeout)


def metric(page: object, label: str) -> object:
    """The metric whose label is exactly ``label``."""
    name = page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True)  # type: ignore[attr-defined]
    return page.get_by_test_id("stMetric").filter(has=name)  # type: ignore[attr-defined]


def test_a_second_browser_sees_every_change_made_in_the_first(
    browser: object, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    env = {"DOCCLASS_POLL_S": "3600", "DOCCLASS_REVIEW_THRESHOLD": "1.01"}
    with run_server(data, **env) as server:
        writer = Service(
            load_settings(
                data_dir=data, database_url=f"sqlite:///{data / 'docclass.db'}", classifier="local"
            ),
            start=False,
        )
        try:
            texts = eval_texts("receipt", 3)
            job_id = writer.submit([Upload(p.name, p) for p in texts], name="Shared job")
        finally:
            writer.stop()
        first, second = new_tab(browser), new_tab(browser)
        try:
            for tab in (first, second):
                tab.goto(f"{server.url}/job_status?job={job_id}")  # type: ignore[attr-defined]
                shows(tab, "Status", "pending")
            loads: list[str] = []
            second.on("load", lambda _: loads.append("load"))  # type: ignore[attr-defined]

            # Cancel in the first: the second follows.
            first.get_by_role("button", name="Cancel job").click()  # type: ignore[attr-defined]
            for tab in (first, second):
                shows(tab, "Status", "cancelled")
                shows(tab, "Cancelled", "3")

            # Resume in the first: the second, idle since the cancel, sees the job run to
            # its end (the report's "stays cancelled for good").
            first.get_by_role("button", name="Resume cancelled (3)").click()  # type: ignore[attr-defined]
            for tab in (first, second):
                shows(tab, "Status", "completed", timeout=60_000)
                shows(tab, "Done", "3 / 3")
                shows(tab, "Needs review", "3")

            # A correction in the first changes the second's review count.
            select_row(first, documents_table_key(job_id), 0)
            form = first.get_by_test_id("stForm")  # type: ignore[attr-defined]
            form.get_by_test_id("stSelectbox").click()
            first.get_by_role("option", name="invoice", exact=True).click()  # type: ignore[attr-defined]
            form.get_by_role("button", name="Save correction").click()
            shows(first, "Needs review", "2")
            shows(second, "Needs review", "2")
            assert loads == [], "the second browser never reloaded"
        finally:
            for tab in (first, second):
                tab.context.close()  # type: ignore[attr-defined]
