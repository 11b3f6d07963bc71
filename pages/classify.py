"""Classify page: one file in, its category, scores, reason, detector hits and text out.

The answer comes from ``Service.classify_now`` (no job is created) and is kept in session
state per file, taxonomy and classifier, so a rerun (any widget, a sidebar refresh) shows it
again without reading the file a second time.
"""

from __future__ import annotations

import streamlit as st

from webui.actions import classify_upload
from webui.format import effective_classifier, limit_text
from webui.result import render_result
from webui.service import get_service
from webui.sidebar import engine_facts
from webui.widgets import UPLOAD_MAX_MB, pick_taxonomy_and_classifier

RESULT_KEY = "classify_result"

service = get_service()
settings = service.settings

st.title("Classify a document")
st.caption(
    "Drop one PDF, Word or text file, or a scan (PNG, JPEG, TIFF, WebP): it is read, "
    "scanned by the detectors and classified right here. Nothing is stored. For many files "
    "at once, use **Batch**."
)

taxonomy_spec, kind = pick_taxonomy_and_classifier(settings, key="classify")
engine_facts("For this document", taxonomy_spec, effective_classifier(settings, kind))

uploaded = st.file_uploader(
    "Document",
    accept_multiple_files=False,
    key="classify_file",
    help=f"Up to {limit_text(settings.limits.max_file_bytes)}.",
    max_upload_size=UPLOAD_MAX_MB,
)

if uploaded is None:
    st.session_state.pop(RESULT_KEY, None)
    st.info("Upload a file to see its category.", icon=":material/upload_file:")
    st.stop()

cache_key = (uploaded.file_id, taxonomy_spec, kind)
cached = st.session_state.get(RESULT_KEY)
if cached is None or cached[0] != cache_key:
    with st.spinner("Reading, detecting and classifying…", show_time=True):
        answer = classify_upload(service, uploaded, taxonomy=taxonomy_spec, classifier=kind)
    st.session_state[RESULT_KEY] = (cache_key, answer)
else:
    answer = cached[1]

with st.container(border=True):
    render_result(answer, key="classify")
