"""Jobs page: every job with its name, taxonomy and classifier, filterable by status and
sortable, with a link to each and delete (confirmed in a dialog).

The table refreshes itself every few seconds while any listed job runs; otherwise a watcher
reads only the jobs' version (how many, latest change) and redraws when it moves, so a job
started or deleted elsewhere shows up. Delete is bound to the job id the dialog names, not
to a table row, so a new job appearing at the top cannot change what gets deleted.
"""

from __future__ import annotations

import streamlit as st

from webui import jobs
from webui.format import STATUS_ICONS, md_escape
from webui.nav import PAGE_STATUS
from webui.service import get_service
from webui.session import browser_timezone, flash, flash_pending, show_flash
from webui.sidebar import default_engine_facts
from webui.widgets import selectable_table

PAGE_SIZE = 100
TABLE_KEY = "jobs_table"
# How often the table is read again while a listed job runs, and how often an idle list
# checks whether any job changed (seconds).
JOBS_REFRESH_S = 2.0
IDLE_REFRESH_S = 5.0
STATUSES = jobs.JOB_STATUSES
SORTS = {
    "created_at": "Created",
    "updated_at": "Updated",
    "name": "Name",
    "status": "Status",
    "taxonomy_name": "Taxonomy",
    "classifier": "Classifier",
    "total_files": "Files",
}
SEEN = "jobs_seen_version"
CONFIRM_KEY = "jobs_confirm_delete"

service = get_service()
default_engine_facts(service.settings)

st.title("Jobs")
show_flash()

# Sorting lives in the URL (?sort=name&order=asc) like every filter: a view can be shared.
if "jobs_sort" not in st.session_state:
    sort_param = st.query_params.get("sort", "created_at")
    st.session_state["jobs_sort"] = sort_param if sort_param in SORTS else "created_at"
    st.session_state["jobs_order"] = "asc" if st.query_params.get("order") == "asc" else "desc"
filters = st.pills(
    "Status",
    STATUSES,
    selection_mode="multi",
    format_func=lambda s: f"{STATUS_ICONS.get(s, '')} {s}",
    key="jobs_status_filter",
    help="No choice shows every job.",
)
middle, right, _ = st.columns([1.3, 1.6, 3])
sort = middle.selectbox("Sort by", list(SORTS), format_func=SORTS.__getitem__, key="jobs_sort")
order = right.segmented_control(
    "Order",
    ["desc", "asc"],
    format_func={"desc": "↓ descending", "asc": "↑ ascending"}.__getitem__,
    key="jobs_order",
)
order = order or "desc"
st.query_params["sort"], st.query_params["order"] = sort, order
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


def _delete(job_id: str) -> None:
    """Cancel (if running), then delete the job's rows and its uploads."""
    st.session_state.pop(CONFIRM_KEY, None)
    service.cancel(job_id)
    service.delete(job_id)
    st.session_state[TABLE_KEY] = {"selection": {"rows": [], "columns": [], "cells": []}}
    flash(f"Job {job_id} deleted.", icon=":material/delete:")


def _keep() -> None:
    st.session_state.pop(CONFIRM_KEY, None)


@st.dialog("Delete this job?", on_dismiss=_keep)
def confirm_delete(job_id: str, name: str, files: int, status: str) -> None:
    """Open while a delete waits for its answer (the question is bound to this job id)."""
    if st.session_state.get(CONFIRM_KEY, (None,))[0] != job_id:
        st.rerun(scope="app")  # answered: close
    st.warning(
        f"Delete job **{md_escape(name)}** ({job_id}, {files} files, {status})? Its results "
        "and uploaded files are removed for good.",
        icon=":material/warning:",
    )
    yes, no = st.columns(2)
    yes.button(
        "Yes, delete",
        type="primary",
        key="jobs_delete_yes",
        icon=":material/delete:",
        on_click=_delete,
        args=(job_id,),
    )
    no.button("Keep it", key="jobs_delete_no", on_click=_keep)


@st.fragment(run_every=JOBS_REFRESH_S if live else None)
def jobs_panel() -> None:
    """The table (live while something runs) and the actions on the selected job."""
    if flash_pending():
        st.rerun(scope="app")  # after a delete: counts, paging and the flash message
    if running_jobs_listed() != live:
        st.rerun(scope="app")  # a job started or ended: re-decide polling
    st.session_state[SEEN] = service.jobs_version()
    count, frame = jobs.list_jobs_frame(
        service, statuses, limit=PAGE_SIZE, offset=offset, sort=sort, descending=order == "desc"
    )
    if frame.empty:
        st.info(
            "No jobs match this filter." if statuses else "No jobs yet: start one on Batch.",
            icon=":material/inbox:",
        )
        return
    st.caption(f"{count} job(s)" + (f" · page {page_no} of {page_count}" if page_count > 1 else ""))
    row = selectable_table(
        frame,
        TABLE_KEY,
        width="stretch",
        column_order=[c for c in jobs.JOBS_COLUMNS if c not in ("job_id", "updated")],
        column_config=jobs.jobs_table_config(browser_timezone().key),
    )
    if row is None:
        st.caption("Select a row to open or delete that job.")
        return
    selected = frame.iloc[row]
    job_id = str(selected["job_id"])
    name = str(selected["name"]) or job_id[:8]
    status = str(selected["status"][0])
    with st.container(border=True):
        st.markdown(f"**{md_escape(name)}** · {job_id} · {status} · {int(selected['files'])} files")
        link, delete, _ = st.columns([1, 1, 3])
        with link:
            st.page_link(
                PAGE_STATUS,
                label="Open status page",
                icon=":material/monitoring:",
                query_params={"job": job_id},
            )
        if delete.button("Delete job…", icon=":material/delete:", key="jobs_delete"):
            st.session_state[CONFIRM_KEY] = (job_id, name, int(selected["files"]), status)
            st.rerun(scope="app")  # the dialog opens from the page, not from this fragment


@st.fragment(run_every=None if live else IDLE_REFRESH_S)
def watcher() -> None:
    """While nothing listed runs: redraw when any job is added, deleted or changed."""
    if not live and service.jobs_version() != st.session_state.get(SEEN):
        st.rerun(scope="app")


jobs_panel()
watcher()
if pending := st.session_state.get(CONFIRM_KEY):
    confirm_delete(*pending)
