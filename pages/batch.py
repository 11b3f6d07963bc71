"""Batch page: many files at once become one job; then the job's status page takes over.

Files are handed to the runner as the upload streams Streamlit already holds (the runner
copies them into ``uploads/`` in chunks); the job id goes into the URL of the status page.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from docclass import ui
from docclass.runner import Upload, describe_error
from docclass.taxonomy import load_taxonomy

ui.ensure_routed()
runner = ui.get_runner()
settings = runner.settings
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
    help=f"PDF, Word or text files, up to {limit // (1024 * 1024)} MB each.",
)

taxonomy_spec, kind = ui.pick_taxonomy_and_classifier(settings, key="batch")

files = files or []
if files:
    sizes = [f.size for f in files]
    too_big = sum(1 for s in sizes if s > limit)
    st.caption(f"{len(files)} files · {ui.fmt_bytes(sum(sizes))} in total")
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
            f"{too_big} file(s) are over the {limit // (1024 * 1024)} MB limit: they will be "
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
            job_id = runner.submit(
                [Upload(f.name, f) for f in files],
                taxonomy=load_taxonomy(taxonomy_spec),
                classifier=kind,
            )
        except Exception as exc:  # bad taxonomy or classifier setting: nothing was created
            progress.update(label="The job could not be created", state="error")
            st.error(ui.md_escape(describe_error(exc)))
            st.stop()
        progress.update(label=f"Job {job_id} created", state="complete")
    ui.watch_job(job_id)
    ui.flash(f"Job {job_id} started with {len(files)} files.")
    st.switch_page(ui.PAGE_STATUS, query_params={"job": job_id})
