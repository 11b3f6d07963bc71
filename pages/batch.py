"""Batch page: many files at once become one job; then the job's status page takes over.

Files are handed to the service as the upload streams Streamlit already holds (it copies
them into ``uploads/`` in chunks); the job id goes into the URL of the status page.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from webui.actions import SubmitError, submit_uploads
from webui.format import fmt_bytes, md_escape, size_limit_mb
from webui.nav import PAGE_STATUS
from webui.service import get_service
from webui.session import flash, watch_job
from webui.widgets import pick_taxonomy_and_classifier

service = get_service()
settings = service.settings
limit = settings.limits.max_file_bytes

st.title("Batch")
st.caption(
    "Upload any number of files; they become one job that the background workers go "
    "through. You can leave the page: the job keeps running and is listed under **Jobs**."
)

files = st.file_uploader(
    "Documents",
    accept_multiple_files=True,
    key="batch_files",
    help=f"PDF, Word or text files, up to {size_limit_mb(limit)} MB each.",
)

taxonomy_spec, kind = pick_taxonomy_and_classifier(settings, key="batch")

files = files or []
if files:
    sizes = [f.size for f in files]
    too_big = sum(1 for s in sizes if s > limit)
    st.caption(f"{len(files)} files · {fmt_bytes(sum(sizes))} in total")
    st.dataframe(
        pd.DataFrame({"file": [f.name for f in files], "size": sizes}),
        hide_index=True,
        width="stretch",
        height=min(38 + 35 * len(files), 300),
        column_config={
            "file": st.column_config.TextColumn("File", width="large"),
            "size": st.column_config.NumberColumn("Size", format="bytes"),
        },
    )
    if too_big:
        st.warning(
            f"{too_big} file(s) are over the {size_limit_mb(limit)} MB limit: they will be "
            "listed in the job as failed (FileTooLarge)."
        )

start = st.button(
    f"Start job ({len(files)} files)" if files else "Start job",
    type="primary",
    disabled=not files,
    icon=":material/play_arrow:",
)

if start and files:
    with st.status(f"Storing {len(files)} files…", expanded=False) as progress:
        try:
            job_id = submit_uploads(service, files, taxonomy=taxonomy_spec, classifier=kind)
        except SubmitError as exc:  # bad taxonomy or classifier setting: nothing was created
            progress.update(label="The job could not be created", state="error")
            st.error(md_escape(str(exc)))
            st.stop()
        progress.update(label=f"Job {job_id} created", state="complete")
    watch_job(job_id)
    flash(f"Job {job_id} started with {len(files)} files.")
    st.switch_page(PAGE_STATUS, query_params={"job": job_id})
