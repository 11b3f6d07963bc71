"""Job status page: one job, live while it runs, with its per-document results.

The job id is in the URL (``?job=<id>``) so the page can be bookmarked and shared. The live
part is one ``st.fragment`` whose ``run_every`` is decided when the page runs: every second
while the job is pending or processing, never once it has ended. When the fragment sees the
job change state it reruns the whole page once, which re-decides the polling and lets the
app announce the finished job with a toast.
"""

from __future__ import annotations

from functools import partial

import streamlit as st

from docclass import store, ui
from docclass.export import export_job

ui.ensure_routed()
runner = ui.get_runner()

st.title("Job status")
ui.show_flash()

job_id = st.query_params.get("job")
snapshot_status = ui.job_status_of(runner, job_id) if job_id else None

if snapshot_status is None:
    if job_id:
        st.error(f"There is no job with id {ui.md_escape(job_id)}; it may have been deleted.")
    jobs = ui.recent_jobs(runner)
    if not jobs:
        st.info("No jobs yet. Start one on the Batch page.", icon=":material/inbox:")
        st.page_link(ui.PAGE_BATCH, label="Go to Batch", icon=":material/upload_file:")
        st.stop()
    labels = dict(jobs)
    picked = st.selectbox(
        "Recent jobs",
        list(labels),
        index=None,
        format_func=labels.__getitem__,
        placeholder="Choose a job to follow",
        key="status_pick",
    )
    if picked is None:
        st.stop()
    st.query_params["job"] = picked
    st.rerun()

live = snapshot_status in ui.ACTIVE
if live:
    ui.watch_job(job_id)


def _download(fmt: str) -> bytes:
    """Export made when the analyst clicks (deferred): always the current results."""
    return export_job(db=runner.db, job_id=job_id, fmt=fmt)


@st.fragment(run_every=ui.STATUS_REFRESH_S if live else None)
def job_panel() -> None:
    """Status, counts, progress, actions, table, chart and the selected document."""
    snap = ui.load_job_snapshot(runner, job_id)
    if snap is None:
        st.rerun(scope="app")  # deleted meanwhile: the page shows the picker
    if snap.active != live:
        st.rerun(scope="app")  # started, ended, cancelled or retried: re-decide polling

    st.caption(
        ui.md_escape(
            f"Job {snap.job_id} · taxonomy {snap.taxonomy} · classifier {snap.classifier} · "
            f"created {ui.fmt_time(snap.created_at)} · updated {ui.fmt_time(snap.updated_at)}"
        )
    )
    cols = st.columns([1.6, 1, 1, 1, 1.2])
    cols[0].metric("Status", ui.status_label(snap.status))
    cols[1].metric("Documents", snap.total)
    cols[2].metric("Completed", snap.completed)
    cols[3].metric("Failed", snap.failed)
    cols[4].metric(
        "Queued / running",
        f"{snap.counts.get('pending', 0)} / {snap.counts.get('processing', 0)}",
    )
    st.progress(
        min(max(snap.progress / 100.0, 0.0), 1.0),
        text=f"{snap.progress:.0f}% · {snap.done} of {snap.total} documents done",
    )
    if snap.error:
        st.error(ui.md_escape(snap.error))

    actions = st.columns([1, 1, 1, 1, 2])
    if actions[0].button(
        "Cancel job",
        icon=":material/cancel:",
        disabled=not snap.active,
        help="Queued documents are cancelled; documents being read finish.",
        key="cancel_job",
    ):
        runner.cancel_job(job_id)  # the app's toast announces the cancelled job
        st.rerun(scope="app")
    if actions[1].button(
        f"Retry failed ({snap.retryable})",
        icon=":material/replay:",
        disabled=snap.retryable == 0,
        help="Queue failed and cancelled documents again.",
        key="retry_failed",
    ):
        n = runner.retry_failed(job_id)
        ui.flash(f"{n} document(s) queued again.", icon=":material/replay:")
        st.rerun(scope="app")
    downloads = (
        ("csv", "text/csv", ":material/download:"),
        ("json", "application/json", ":material/data_object:"),
    )
    for column, (fmt, mime, icon) in zip(actions[2:4], downloads, strict=True):
        column.download_button(
            f"Download {fmt.upper()}",
            data=partial(_download, fmt),  # runs only on click: no export per refresh
            file_name=f"docclass-{ui.short_id(job_id)}.{fmt}",
            mime=mime,
            on_click="ignore",
            icon=icon,
            key=f"download_{fmt}",
        )

    table_col, chart_col = st.columns([4, 1], gap="large")
    with table_col:
        flagged = snap.table["review"].fillna(False).astype(bool)
        only_review = st.toggle(
            f"Only documents that need review ({int(flagged.sum())})",
            key=f"review_only_{job_id}",
            help="Floor and classifier disagree, low confidence, or local and LLM differ.",
        )
        table = snap.table[flagged].reset_index(drop=True) if only_review else snap.table
        # A separate selection per view: row numbers differ between the two.
        table_key = ui.documents_table_key(job_id) + ("_review" if only_review else "")
        event = st.dataframe(
            table,
            key=table_key,  # per job: a selection never carries over
            on_select="rerun",
            selection_mode="single-row",
            hide_index=True,
            width="stretch",
            height=min(38 + 35 * max(len(table), 1), 460),
            column_order=[c for c in ui.TABLE_COLUMNS if c != "doc_id"],
            column_config=ui.status_table_config(),
        )
    with chart_col:
        st.markdown("**Categories**")
        dist = ui.category_counts(snap.table)
        if dist.empty:
            st.caption("No document classified yet.")
        else:
            ui.horizontal_bars(dist, "documents")

    rows = event.selection.rows if event is not None else []
    if rows and rows[0] < len(table):
        doc = store.get_document(db=runner.db, doc_id=str(table.iloc[rows[0]]["doc_id"]))
        if doc is not None:
            with st.container(border=True):
                ui.render_result(ui.view_from_document(doc), key="job_doc", expand_text=False)
    else:
        st.caption("Select a row to see that document's full result.")


job_panel()
