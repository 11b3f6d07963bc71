"""Helpers of the AppTest suite: open the app and its pages, read what a person sees.

``AppTest`` runs ``webui/router.py`` like the server does; it does not fire
``st.fragment(run_every=…)`` by itself: each ``at.run()`` is one tick.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from streamlit.testing.v1 import AppTest

from docclass.jobs.service import Service
from docclass.jobs.uploads import Upload
from tests.paths import CORPUS
from webui.format import md_plain
from webui.nav import ROOT

ROUTER = ROOT / "webui" / "router.py"
ENCRYPTED_PDF = CORPUS / "py-pdf+pypdf/resources/encryption/r2-user-password.pdf"
CORRUPT_DOCX = CORPUS / "apache+poi/test-data/document/truncated62886.docx"
SECRET = "sk-test-never-show-9f8e7d6c5b4a"


def new_app() -> AppTest:
    """The app after its first run (on Classify): switch_page needs the pages it registers."""
    return AppTest.from_file(str(ROUTER), default_timeout=60).run()


def open_page(at: AppTest, page: str, **query: str) -> AppTest:
    """Open a page the way a link does: its file, plus the URL's query parameters."""
    at.query_params.clear()
    at.query_params.update(query)
    return at.switch_page(page).run()


def select_row(at: AppTest, key: str, row: int) -> AppTest:
    """Select one row of the table whose widget key is ``key``, then run."""
    at.session_state[key] = {"selection": {"rows": [row], "columns": [], "cells": []}}
    return at.run()


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
    return [md_plain(e.value) for e in elements]  # type: ignore[attr-defined]


def button(at: AppTest, label: str) -> object:
    """The button whose label starts with ``label``."""
    return next(b for b in at.button if b.label.startswith(label))


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


def submit(service: Service, paths: list[Path], **names: str) -> str:
    """A job made the way the Batch page makes one (file names may be overridden)."""
    return service.submit([Upload(names.get(p.name, p.name), p) for p in paths], taxonomy="default")


def completed_job(service: Service, paths: list[Path], **names: str) -> str:
    """A job made as the Batch page makes one, run to its end by the (stopped) service."""
    job_id = submit(service, paths, **names)
    service.start()
    assert service.wait_job(job_id, 60) == "completed"
    return job_id


def preview_text(at: AppTest) -> str:
    """The text preview as a person reads it (literal text, highlights and breaks removed)."""
    for element in at.markdown:
        text = md_plain(element.value)
        if "  \n" in element.value or len(text) > 200:
            return " ".join(text.replace(":orange-background[", "").replace("]", " ").split())
    return ""
