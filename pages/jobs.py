"""Jobs page: every job, newest first, filterable by status, with a link and delete.

The table refreshes itself every few seconds while any listed job runs. Delete asks for
confirmation and is bound to the job id shown in the question, not to a table row, so a
new job appearing at the top of the list cannot change what gets deleted.
"""

from __future__ import annotations

import streamlit as st

from webui import jobs
from webui.format import STATUS_ICONS
from webui.nav import PAGE_STATUS
from webui.service import get_service
from webui.session import browser_timezone, flash, flash_pending, show_flash

PAGE_SIZE = 100
TABLE_KEY = "jobs_table"
CONFIRM_KEY = "jobs_confirm_delete"
# How often the table is read again while a listed job runs (seconds).
JOBS_REFRESH_S = 2.0
STATUSES = jobs.JOB_STATUSES

service = get_service()

st.title("Jobs")
show_flash()

filters = st.pills(
    "Status",
    STATUSES,
    selection_mode="multi",
    format_func=lambda s: f"{STATUS_ICONS.get(s, '')} {s}",
    key="jobs_status_filter",
    help="No choice shows every job.",
)
statuses = list(filters or [])

shown_statuses = statuses or STATUSES
active_statuses = [s for s in shown_statuses if s in jobs.ACTIVE]


def running_jobs_listed() -> bool:
    """Whether any job this filter shows is still running (the table then polls)."""
    return bool(active_statuses) and service.count_jobs(active_statuses) > 0


total = service.count_jobs(shown_statuses)
page_count = max(1, -(-total // PAGE_SIZE))
page_no = 1
if page_count > 1:
    page_no = int(
        st.number_input("Page", min_value=1, max_value=page_count, value=1, key="jobs_page")
    )
offset = (page_no - 1) * PAGE_SIZE
live = running_jobs_listed()


def _ask_delete(job_id: str) -> None:
    st.session_state[CONFIRM_KEY] = job_id


def _delete(job_id: str) -> None:
    """Cancel (if running), then delete the job's rows and its uploads."""
    service.cancel(job_id)
    service.delete(job_id)
    st.session_state.pop(CONFIRM_KEY, None)
    st.session_state[TABLE_KEY] = {"selection": {"rows": [], "columns": [], "cells": []}}
    flash(f"Job {job_id} deleted.", icon=":material/delete:")


def _keep() -> None:
    st.session_state.pop(CONFIRM_KEY, None)


@st.fragment(run_every=JOBS_REFRESH_S if live else None)
def jobs_panel() -> None:
    """The table (live while something runs) and the actions on the selected job."""
    if flash_pending():
        st.rerun(scope="app")  # after a delete: counts, paging and the flash message
    if running_jobs_listed() != live:
        st.rerun(scope="app")  # a job started or ended: re-decide polling
    count, frame = jobs.list_jobs_frame(service, statuses, limit=PAGE_SIZE, offset=offset)
    if frame.empty:
        st.info(
            "No jobs match this filter." if statuses else "No jobs yet: start one on Batch.",
            icon=":material/inbox:",
        )
        return
    st.caption(f"{count} job(s)" + (f" · page {page_no} of {page_count}" if page_count > 1 else ""))
    event = st.dataframe(
        frame,
        key=TABLE_KEY,
        on_select="rerun",
        selection_mode="single-row",
        hide_index=True,
        width="stretch",
        column_order=[c for c in jobs.JOBS_COLUMNS if c != "job_id"],
        column_config=jobs.jobs_table_config(browser_timezone().key),
    )
    rows = event.selection.rows if event is not None else []
    confirm = st.session_state.get(CONFIRM_KEY)
    if confirm:
        match = frame[frame["job_id"] == confirm]
        what = (
            f"{int(match.iloc[0]['files'])} files, {match.iloc[0]['status']}"
            if not match.empty
            else "not on this page"
        )
        with st.container(border=True):
            st.warning(
                f"Delete job **{confirm}** ({what})? Its results and uploaded files are "
                "removed for good.",
                icon=":material/warning:",
            )
            yes, no, _ = st.columns([1, 1, 4])
            yes.button(
                "Yes, delete",
                type="primary",
                on_click=_delete,
                args=(confirm,),
                key="jobs_delete_yes",
            )
            no.button("Keep it", on_click=_keep, key="jobs_delete_no")
        return
    if not rows or rows[0] >= len(frame):
        st.caption("Select a row to open or delete that job.")
        return
    selected = frame.iloc[rows[0]]
    job_id = str(selected["job_id"])
    with st.container(border=True):
        st.markdown(f"**Job {job_id}** · {selected['status']} · {int(selected['files'])} files")
        left, right, _ = st.columns([1, 1, 3])
        with left:
            st.page_link(
                PAGE_STATUS,
                label="Open status page",
                icon=":material/monitoring:",
                query_params={"job": job_id},
            )
        right.button(
            "Delete job…",
            icon=":material/delete:",
            on_click=_ask_delete,
            args=(job_id,),
            key="jobs_delete",
        )


jobs_panel()
