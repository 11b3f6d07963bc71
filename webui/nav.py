"""The page registry: one constant per page, used by ``st.navigation``, ``st.switch_page``
and ``st.page_link`` alike.

Pages are given by absolute path. The router script (``webui/router.py``) is the main
script, and ``pages/`` is not beside it, so Streamlit never enters its legacy "``pages/``
folder" mode: every URL, including a bookmark opened right after a server start, runs
through the router.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PAGES_DIR = ROOT / "pages"

PAGE_CLASSIFY = str(PAGES_DIR / "classify.py")
PAGE_BATCH = str(PAGES_DIR / "batch.py")
PAGE_STATUS = str(PAGES_DIR / "job_status.py")
PAGE_JOBS = str(PAGES_DIR / "jobs.py")
PAGE_DOCUMENTS = str(PAGES_DIR / "documents.py")
PAGE_REVIEW = str(PAGES_DIR / "review.py")
PAGE_SETTINGS = str(PAGES_DIR / "settings.py")

# URL paths st.Page derives from the file names (links in tables are plain URLs).
STATUS_URL = "job_status"


def status_link(job_id: str) -> str:
    """A relative link to a job's status page (as the Jobs table shows it)."""
    return f"{STATUS_URL}?job={job_id}"


def app_pages() -> dict[str, list[Any]]:
    """The app's pages by section, for ``st.navigation``."""
    import streamlit as st

    return {
        "Classify": [
            st.Page(PAGE_CLASSIFY, title="Classify", icon=":material/description:", default=True),
            st.Page(PAGE_BATCH, title="Batch", icon=":material/upload_file:"),
        ],
        "Jobs": [
            st.Page(PAGE_STATUS, title="Job status", icon=":material/monitoring:"),
            st.Page(PAGE_JOBS, title="Jobs", icon=":material/list_alt:"),
        ],
        "Documents": [
            st.Page(PAGE_REVIEW, title="Review", icon=":material/rate_review:"),
            st.Page(PAGE_DOCUMENTS, title="Search", icon=":material/search:"),
        ],
        "Admin": [
            st.Page(PAGE_SETTINGS, title="Settings", icon=":material/settings:"),
        ],
    }
