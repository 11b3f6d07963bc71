"""What one browser session remembers: flash messages, the jobs it watches (one toast each
when they end) and the analyst's time zone.

Worker threads never call anything here: they write to the database, pages read it.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import streamlit as st

from docclass.jobs.service import Service
from webui.format import finished_icon, finished_text, fmt_time
from webui.jobs import ACTIVE

_WATCHED = "docclass_watched_jobs"
_TOASTED = "docclass_toasted_jobs"
_FLASH = "docclass_flash"


# --- flash messages ----------------------------------------------------------------------


def flash(message: str, icon: str = ":material/rocket_launch:") -> None:
    """Keep a message for the next full run (a rerun or st.switch_page drops this run's output).

    ``message`` is shown as Markdown: callers escape anything untrusted.
    """
    st.session_state[_FLASH] = (message, icon)


def flash_pending() -> bool:
    """True while a flash message waits for a full run (a fragment run cannot show it)."""
    return _FLASH in st.session_state


def show_flash() -> None:
    pending = st.session_state.pop(_FLASH, None)
    if pending:
        st.success(pending[0], icon=pending[1])


# --- watched jobs and their toasts -------------------------------------------------------


def watch_job(job_id: str) -> None:
    """Remember a running job so this session gets one toast when it ends."""
    st.session_state.setdefault(_WATCHED, set()).add(job_id)


def finished_watched_jobs(service: Service) -> list[str]:
    """Watched jobs of this session that have ended (or vanished) and not been announced."""
    watched: set[str] = st.session_state.get(_WATCHED, set())
    if not watched:
        return []
    statuses = service.job_statuses(list(watched))
    return sorted(j for j in watched if statuses.get(j) not in ACTIVE)


def announce_finished_jobs(service: Service) -> None:
    """One toast per finished job per session; the router calls it on every full run."""
    toasted: set[str] = st.session_state.setdefault(_TOASTED, set())
    watched: set[str] = st.session_state.get(_WATCHED, set())
    for job_id in finished_watched_jobs(service):
        watched.discard(job_id)
        if job_id in toasted:
            continue
        toasted.add(job_id)
        job = service.get_job(job_id, include_documents=False)
        if job is None:
            continue  # deleted while it ran: nothing to announce
        st.toast(finished_text(job), icon=finished_icon(job), duration="long")


# --- time zone ---------------------------------------------------------------------------


def browser_timezone() -> ZoneInfo:
    """The analyst's time zone (from the browser), UTC when unknown."""
    try:
        name = st.context.timezone
    except Exception:
        name = None
    try:
        return ZoneInfo(name) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_time(value: datetime | None) -> str:
    """A stored time in the analyst's zone."""
    return fmt_time(value, browser_timezone())
