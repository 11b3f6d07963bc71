"""Batch page: many files, a folder or ZIPs at once become one job; then the job's status
page takes over.

Folder uploads and ZIPs keep each file's path (``reports/2024/0019.txt``), so files of the
same name stay apart in the job, its table and its export. A file over the size limit is
listed before Start and becomes a failed document (FileTooLarge) of the job: nothing
vanishes. Files are handed to the service as the upload streams Streamlit already holds.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import streamlit as st

from webui.actions import SubmitError, plan_uploads, submit_uploads
from webui.format import effective_classifier, fmt_bytes, limit_text, local_job_name, md_escape
from webui.nav import PAGE_STATUS
from webui.service import get_service
from webui.session import browser_timezone, flash, watch_job
from webui.sidebar import engine_facts
from webui.widgets import UPLOAD_MAX_MB, pick_taxonomy_and_classifier

service = get_service()
settings = service.settings
limit = settings.limits.max_file_bytes
limit_shown = limit_text(limit)

st.title("Batch")
st.caption(
    "Upload any number of files, a folder, or ZIP archives; they become one job that the "
    "background workers go through. You can leave the page: the job keeps running and is "
    "listed under **Jobs**."
)

mode = st.segmented_control(
    "Upload",
    ["files", "folder"],
    format_func={"files": "Files or ZIPs", "folder": "A folder"}.__getitem__,
    default="files",
    key="batch_mode",
)
help_text = (
    f"PDF, Word, text or image files up to {limit_shown} each; ZIP archives are unpacked, keeping "
    f"their folders. The browser refuses files over {UPLOAD_MAX_MB} MB outright."
)
if mode == "folder":
    files = st.file_uploader(
        "A folder of documents (its subfolders too)",
        accept_multiple_files="directory",
        key="batch_folder",
        help=help_text,
        max_upload_size=UPLOAD_MAX_MB,
    )
else:
    files = st.file_uploader(
        "Documents",
        accept_multiple_files=True,
        key="batch_files",
        help=help_text,
        max_upload_size=UPLOAD_MAX_MB,
    )

taxonomy_spec, kind = pick_taxonomy_and_classifier(settings, key="batch")
engine_facts("For the new job", taxonomy_spec, effective_classifier(settings, kind))

files = list(files or [])
entries = plan_uploads(files, limit)
documents = sum(e.documents for e in entries)
default_name = local_job_name(
    datetime.now(browser_timezone()), entries[0].name if entries else "", documents
)
name = st.text_input(
    "Job name",
    key="batch_name",
    placeholder=default_name if entries else "the date and the first file's name",
    max_chars=200,
    help="What the job is called in the lists; leave it empty for the date and first file.",
)
if entries:
    total = sum(e.size for e in entries)
    st.caption(f"{len(entries)} uploads · {documents} documents · {fmt_bytes(total)} in total")
    listing = pd.DataFrame(
        {
            "file": [e.name for e in entries],
            "size": [fmt_bytes(e.size) for e in entries],
            "note": [
                f"over the {limit_shown} limit: fails as FileTooLarge"
                if e.too_big
                else (f"ZIP: {e.documents} documents" if e.archive else "")
                for e in entries
            ],
        }
    )
    st.dataframe(
        listing,
        column_order=[c for c in listing.columns if c != "note" or listing["note"].any()],
        hide_index=True,
        width="stretch",
        height=min(38 + 35 * len(entries), 300),
        column_config={
            "file": st.column_config.TextColumn("File", width="large"),
            "size": st.column_config.TextColumn("Size", width="small"),
            "note": st.column_config.TextColumn("Note", width="medium"),
        },
    )
    too_big = [e.name for e in entries if e.too_big]
    if too_big:
        st.warning(
            md_escape(
                f"{len(too_big)} file(s) are over the {limit_shown} limit and will be listed in "
                f"the job as failed (FileTooLarge): {', '.join(too_big)}"
            ),
            icon=":material/warning:",
        )

start = st.button(
    f"Start job ({documents} files)" if entries else "Start job",
    type="primary",
    disabled=not entries,
    icon=":material/play_arrow:",
)

if start and files:
    with st.status(f"Storing {documents} files…", expanded=False) as progress:
        try:
            job_id = submit_uploads(
                service,
                files,
                taxonomy=taxonomy_spec,
                classifier=kind,
                name=(name or "").strip() or default_name,
            )
        except SubmitError as exc:  # bad taxonomy or classifier setting: nothing was created
            progress.update(label="The job could not be created", state="error")
            st.error(md_escape(str(exc)))
            st.stop()
        progress.update(label=f"Job {job_id} created", state="complete")
    watch_job(job_id)
    flash(f"Job {job_id} started with {documents} files.")
    st.switch_page(PAGE_STATUS, query_params={"job": job_id})
