"""Job status page: one job, live while it runs, with its documents and their results.

The job id is in the URL (``?job=<id>``, with the filters beside it) so the page can be
bookmarked and shared. While the job runs, the panel is an ``st.fragment`` that reads the job
every second. Once it has ended, a small watcher reads only the job's version (its status and
``updated_at``, one row) every few seconds and redraws the page when anyone changed anything
— a retry, a cancel, a correction or a review in another browser — so no view goes stale.
"""

from __future__ import annotations

from functools import partial

import streamlit as st

from docclass.jobs.errors import error_type
from webui import jobs
from webui.filters import filter_bar
from webui.format import job_caption, md_escape, progress_text, short_id, status_label
from webui.nav import PAGE_BATCH, PAGE_REVIEW
from webui.result import render_result
from webui.service import get_service
from webui.session import browser_timezone, flash, flash_pending, show_flash, watch_job
from webui.sidebar import default_engine_facts, engine_facts
from webui.teach import teach_panel
from webui.widgets import horizontal_bars

# How often the live view reads the job again while it runs, and how often an idle view
# checks whether the job changed (seconds).
STATUS_REFRESH_S = 1.0
IDLE_REFRESH_S = 3.0
# Rows a filtered view of one job shows at most.
FILTERED_ROWS = 2000

service = get_service()

st.title("Job status")
show_flash()

job_id = st.query_params.get("job")
status = jobs.job_status(service, job_id) if job_id else None

if status is None:
    default_engine_facts(service.settings)
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
    st.query_params.clear()
    st.query_params["job"] = picked
    st.rerun()

live = status in jobs.ACTIVE
if live:
    watch_job(job_id)
SEEN = f"status_seen_{job_id}"


def _download(fmt: str, query: object | None) -> bytes:
    """Export made when the analyst clicks (deferred): always the current results, and
    exactly the rows shown when the view is filtered."""
    if query is None:
        return service.export(job_id, fmt)
    return service.export_found(query, fmt)  # type: ignore[arg-type]


def _retry() -> None:
    n = service.retry(job_id)
    flash(f"{n} failed document(s) queued again.", icon=":material/replay:")


def _resume() -> None:
    n = service.resume(job_id)
    flash(f"{n} cancelled document(s) queued again.", icon=":material/play_arrow:")


def actions(
    view: jobs.JobView, retryable: dict[str, int], query: object | None, shown: int
) -> None:
    job = view.job
    cols = st.columns([1, 1.3, 1.3, 1.1, 1.1])
    if cols[0].button(
        "Cancel job",
        icon=":material/cancel:",
        disabled=not view.cancellable,
        help="Queued documents are cancelled; documents being read finish.",
        key="cancel_job",
    ):
        service.cancel(job_id)  # the router's toast announces the cancelled job
        st.rerun(scope="app")
    n_retry = sum(retryable.values())
    cols[1].button(
        f"Retry failed ({n_retry})",
        icon=":material/replay:",
        disabled=not (n_retry and view.settled),
        help="Reads again the documents whose failure a retry can cure: "
        + (jobs.failures_text(retryable) or "none now")
        + ". Permanent failures (encrypted, unsupported, no text…) are not retried.",
        key="retry_failed",
        on_click=_retry,
    )
    cols[2].button(
        f"Resume cancelled ({job.cancelled})",
        icon=":material/play_arrow:",
        disabled=not (job.cancelled and view.settled),
        help="Queue the cancelled documents again.",
        key="resume_cancelled",
        on_click=_resume,
    )
    suffix = f" ({shown} shown)" if query is not None else ""
    downloads = (
        ("csv", "text/csv", ":material/download:"),
        ("json", "application/json", ":material/data_object:"),
    )
    for column, (fmt, mime, icon) in zip(cols[3:5], downloads, strict=True):
        column.download_button(
            f"{fmt.upper()}{suffix}",
            data=partial(_download, fmt, query),  # runs only on click: no export per refresh
            file_name=f"docclass-{short_id(job_id)}.{fmt}",
            mime=mime,
            on_click="ignore",
            icon=icon,
            key=f"download_{fmt}",
            help=f"Download the {'rows shown' if query is not None else 'whole job'} as "
            f"{fmt.upper()}",
        )


@st.fragment(run_every=STATUS_REFRESH_S if live else None)
def job_panel() -> None:
    """Status, counts, progress, actions, filters, table, chart and the selected document."""
    if flash_pending():
        st.rerun(scope="app")  # after a retry or resume: the message needs a full run
    st.session_state[SEEN] = service.job_version(job_id)
    view = jobs.load_job_view(service, job_id)
    if view is None:
        st.rerun(scope="app")  # deleted meanwhile: the page shows the picker
    if view.active != live and not page_run:
        # Started, ended, cancelled or retried since the page decided how to poll: decide
        # again. (In the page's own run the two reads are a moment apart; a rerun there
        # would only drop the run's flash message, and the next tick catches up.)
        st.rerun(scope="app")
    job = view.job

    tz = browser_timezone()
    st.caption(
        f"**{md_escape(job.name or short_id(job.job_id))}** · " + md_escape(job_caption(job, tz))
    )
    failures: dict[str, int] = {}
    for error in view.table["error"][view.table["error"] != ""]:
        kind = error_type(error)
        failures[kind] = failures.get(kind, 0) + 1
    retryable, permanent = jobs.split_failures(failures)
    flagged = view.flagged
    cols = st.columns([1.6, 1.2, 1, 1, 1, 1])
    cols[0].metric("Status", status_label(job.status))
    cols[1].metric(
        "Done", f"{job.done} / {job.to_read}", help="Read to the end, of the documents to read"
    )
    cols[2].metric("Completed", job.completed)
    cols[3].metric("Failed", job.failed)
    cols[4].metric("Cancelled", job.cancelled)
    cols[5].metric("Needs review", int(flagged.sum()))
    st.progress(min(max(job.progress / 100.0, 0.0), 1.0), text=progress_text(job))
    if job.error:
        st.error(md_escape(job.error))
    if failures:
        parts = []
        if retryable:
            parts.append(f"a retry may cure {jobs.failures_text(retryable)}")
        if permanent:
            parts.append(
                "permanent, not retried: "
                + ", ".join(f"{n} {kind}" for kind, n in permanent.items())
            )
        st.caption(md_escape("Failures: " + "; ".join(parts)))

    if n_flagged := int(flagged.sum()):
        st.page_link(
            PAGE_REVIEW,
            label=f"Review the {n_flagged} document(s) flagged in this job",
            icon=":material/rate_review:",
            query_params={"job": job_id},
        )
    with st.expander("Filter this job's documents", icon=":material/filter_list:"):
        categories = sorted(set(view.table["category"]) - {""})
        filters = filter_bar("status", categories=categories, error_types=sorted(failures))
    query = filters.query() if filters.active else None
    if query is None:
        table = view.table
    else:
        found = service.search(query, limit=FILTERED_ROWS)
        table = jobs.found_frame(found.rows).drop(columns=["job_id", "job"])
        st.caption(f"{found.total} of {job.total_files} documents match the filter.")
    actions(view, retryable, query, len(table))
    teach_panel(service, job_id, view)

    key = jobs.table_key(jobs.documents_table_key(job_id), query)
    picked = jobs.selected_row(key)
    wide = picked is None or picked >= len(table)  # nothing selected: the table gets the room
    table_col, side_col = st.columns([3, 1.3] if wide else [3, 2], gap="large")
    counts = jobs.category_counts(view.table)
    with table_col:
        row = jobs.document_table(table, key, max_height=420)
        if not wide and not counts.empty:
            st.markdown("**Documents per category**")
            horizontal_bars(counts, "documents")
    with side_col:
        doc = None
        if row is not None:
            doc = service.get_document(str(table.iloc[row]["doc_id"]))
        if doc is not None:
            with st.container(border=True):
                render_result(doc, key="job_doc", expand_text=True, service=service)
        else:
            st.info(
                "Select a row to see that document's result, its pages and text.",
                icon=":material/touch_app:",
            )
            if not counts.empty:
                st.markdown("**Documents per category**")
                horizontal_bars(counts, "documents")


@st.fragment(run_every=None if live else IDLE_REFRESH_S)
def watcher() -> None:
    """While the job is idle: redraw the page when its version moves (whoever moved it)."""
    if live:
        return
    version = service.job_version(job_id)
    if version != st.session_state.get(SEEN) or (version and version[0] in jobs.ACTIVE):
        st.rerun(scope="app")


header = service.get_job(job_id, include_documents=False)
if header is not None:
    engine_facts("This job", header.taxonomy_name, header.classifier)
page_run = True  # the fragment runs as part of the page's run (not on its own tick)
job_panel()
page_run = False
watcher()
