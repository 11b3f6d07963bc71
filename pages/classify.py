"""Classify page: one file in, its category, scores, reason, detector hits and text out.

The answer comes from ``Runner.classify_now`` (no job is created) and is kept in session
state per file, taxonomy and classifier, so a rerun (any widget, a sidebar refresh) shows it
again without reading the file a second time.
"""

from __future__ import annotations

import streamlit as st

from docclass import ui
from docclass.runner import Upload, describe_error
from docclass.taxonomy import load_taxonomy

RESULT_KEY = "classify_result"

ui.ensure_routed()
runner = ui.get_runner()
settings = runner.settings

st.title("Classify a document")
st.caption(
    "Drop one PDF, Word or text file: it is read, scanned by the detectors and classified "
    "right here. Nothing is stored. For many files at once, use **Batch**."
)

taxonomy_spec, kind = ui.pick_taxonomy_and_classifier(settings, key="classify")

uploaded = st.file_uploader(
    "Document",
    accept_multiple_files=False,
    key="classify_file",
    help=f"Up to {settings.limits.max_file_bytes // (1024 * 1024)} MB.",
)

if uploaded is None:
    st.session_state.pop(RESULT_KEY, None)
    st.info("Upload a file to see its category.", icon=":material/upload_file:")
    st.stop()

cache_key = (uploaded.file_id, taxonomy_spec, kind)
cached = st.session_state.get(RESULT_KEY)
if cached is None or cached[0] != cache_key:
    with st.spinner("Reading, detecting and classifying…", show_time=True):
        try:
            taxonomy = load_taxonomy(taxonomy_spec)
            result = runner.classify_now(
                Upload(uploaded.name, uploaded), taxonomy=taxonomy, classifier=kind
            )
            view = ui.view_from_classify(result)
        except Exception as exc:  # taxonomy or classifier setup: the file was never read
            view = ui.ResultView(
                filename=uploaded.name, size=uploaded.size, error=describe_error(exc)
            )
    st.session_state[RESULT_KEY] = (cache_key, view)
else:
    view = cached[1]

with st.container(border=True):
    ui.render_result(view, key="classify")
