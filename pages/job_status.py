"""Job status page: one job, live while it runs, with its per-document results.

The job id is in the URL (``?job=<id>``) so the page can be bookmarked and shared. The live
part is one ``st.fragment`` whose ``run_every`` is decided when the page runs: every second
while the job is pending, processing or finishing, never once it has ended. When the
fragment sees the job change state it reruns the whole page once, which re-decides the
polling and lets the router announce the finished job with a toast.
"""

from __future__ import annotations

from functools import partial

import streamlit as st

from webui import jobs
from webui.format import job_caption, md_escape, progress_text, short_id, status_label
from webui.nav import PAGE_BATCH
from webui.result import render_result
from webui.service import get_service
from webui.session import browser_timezone, flash, show_flash, watch_job
from webui.widgets import horizontal_bars

# How often the live view reads the job again while it runs (seconds).
STATUS_REFRESH_S = 1.0

service = get_service()

st.title("Job status")
show_flash()

job_id = st.query_params.get("job")
status = jobs.job_status(service, job_id) if job_id else None

if status is None:
    if job_id:
        st.error(f"There is no job with id {md_escape(job_id)}; it may have been deleted.")
    recent = jobs.recent_jobs(service, browser_timezone())
    if not recent:
        st.info("No jobs yet. Start one on the Batch page.", icon=":material/inbox:")
        st.page_link(PAGE_BATCH, label="Go to Batch", icon=":material/upload_file:")
        st.stop()
    picked = st.selectbox(
        "Recent jobs",
        list(recent),
        index=None,
        format_func=recent.__getitem__,
        placeholder="Choose a job to follow",
        key="status_pick",
    )
    if picked is None:
        st.stop()
    st.query_params["job"] = picked
    st.rerun()

live = status in jobs.ACTIVE
if live:
    watch_job(job_id)


def _download(fmt: str) -> bytes:
    """Export made when the analyst clicks (deferred): always the current results."""
    return service.export(job_id, fmt)


@st.fragment(run_every=STATUS_REFRESH_S if live else None)
def job_panel() -> None:
    """Status, counts, progress, actions, table, chart and the selected document."""
    view = jobs.load_job_view(service, job_id)
    if view is None:
        st.rerun(scope="app")  # deleted meanwhile: the page shows the picker
    if view.active != live:
        st.rerun(scope="app")  # started, ended, cancelled or retried: re-decide polling
    job = view.job

    tz = browser_timezone()
    st.caption(md_escape(job_caption(job, tz)))
    cols = st.columns([1.6, 1, 1, 1, 1.2])
    cols[0].metric("Status", status_label(job.status))
    cols[1].metric("Documents", job.total_files)
    cols[2].metric("Completed", job.completed)
    cols[3].metric("Failed", job.failed)
    cols[4].metric("Queued / running", f"{job.pending} / {job.processing}")
    st.progress(min(max(job.progress / 100.0, 0.0), 1.0), text=progress_text(job))
    if job.error:
        st.error(md_escape(job.error))

    actions = st.columns([1, 1, 1, 1, 2])
    if actions[0].button(
        "Cancel job",
        icon=":material/cancel:",
        disabled=not view.cancellable,
        help="Queued documents are cancelled; documents being read finish.",
        key="cancel_job",
    ):
        service.cancel(job_id)  # the router's toast announces the cancelled job
        st.rerun(scope="app")
    if actions[1].button(
        f"Retry failed ({view.retryable})",
        icon=":material/replay:",
        disabled=not view.can_retry,
        help="Queue failed and cancelled documents again.",
        key="retry_failed",
    ):
        n = service.retry(job_id)
        flash(f"{n} document(s) queued again.", icon=":material/replay:")
        st.rerun(scope="app")
    downloads = (
        ("csv", "text/csv", ":material/download:"),
        ("json", "application/json", ":material/data_object:"),
    )
    for column, (fmt, mime, icon) in zip(actions[2:4], downloads, strict=True):
        column.download_button(
            f"Download {fmt.upper()}",
            data=partial(_download, fmt),  # runs only on click: no export per refresh
            file_name=f"docclass-{short_id(job_id)}.{fmt}",
            mime=mime,
            on_click="ignore",
            icon=icon,
            key=f"download_{fmt}",
        )

    table_col, chart_col = st.columns([4, 1], gap="large")
    with table_col:
        flagged = view.flagged
        only_review = st.toggle(
            f"Only documents that need review ({int(flagged.sum())})",
            key=f"review_only_{job_id}",
            help="Floor and classifier disagree, low confidence, or local and LLM differ.",
        )
        table = view.table[flagged].reset_index(drop=True) if only_review else view.table
        event = st.dataframe(
            table,
            key=jobs.documents_table_key(job_id, review_only=only_review),
            on_select="rerun",
            selection_mode="single-row",
            hide_index=True,
            width="stretch",
            height=min(38 + 35 * max(len(table), 1), 460),
            column_order=[c for c in jobs.TABLE_COLUMNS if c != "doc_id"],
            column_config=jobs.status_table_config(),
        )
    with chart_col:
        st.markdown("**Categories**")
        counts = jobs.category_counts(view.table)
        if counts.empty:
            st.caption("No document classified yet.")
        else:
            horizontal_bars(counts, "documents")

    rows = event.selection.rows if event is not None else []
    if rows and rows[0] < len(table):
        doc = service.get_document(str(table.iloc[rows[0]]["doc_id"]))
        if doc is not None:
            with st.container(border=True):
                render_result(doc, key="job_doc", expand_text=False, service=service)
    else:
        st.caption("Select a row to see that document's full result.")


job_panel()
