"""Review page: the documents that need an analyst, least confident first, across jobs (or
one job: ``?job=<id>``), one taxonomy at a time (a correction must be one of its categories).

Two ways through the queue: the table, where categories are changed and answers accepted in
bulk (``st.data_editor``), and the focus panel beside it, one document with its page and
text, answered from the keyboard (A accepts, N and P move on and back).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from docclass.schemas import DocumentQuery
from webui import jobs
from webui.format import md_escape, taxonomy_label
from webui.result import REVIEWER, render_result, reviewer
from webui.service import get_service
from webui.session import flash, show_flash
from webui.sidebar import engine_facts

QUEUE_SIZE = 50
FOCUS = "review_focus"

service = get_service()

st.title("Review")
show_flash()
counts = service.review_counts()
if not counts:
    st.success("Nothing waits for review.", icon=":material/task_alt:")
    st.stop()

names = sorted(counts)
wanted = st.query_params.get("taxonomy")
if st.session_state.get("review_taxonomy") not in names:
    st.session_state["review_taxonomy"] = wanted if wanted in names else names[0]
taxonomy_name = st.segmented_control(
    "Taxonomy",
    names,
    format_func=lambda n: f"{taxonomy_label(n)} ({counts[n]})",
    key="review_taxonomy",
)
taxonomy_name = taxonomy_name or names[0]
st.query_params["taxonomy"] = taxonomy_name
job_id = st.query_params.get("job") or None
query = DocumentQuery(
    needs_review=True, order="confidence", taxonomy_name=taxonomy_name, job_id=job_id
)
found = service.search(query, limit=QUEUE_SIZE)
if not found.rows:
    st.success("Nothing waits for review here.", icon=":material/task_alt:")
    st.stop()
taxonomy = service.job_taxonomy(found.rows[0].job_id)
categories = taxonomy.names if taxonomy is not None else []
engine_facts("Reviewing", taxonomy_name, "each job's own")

head = st.columns([3, 2])
head[0].caption(
    f"{found.total} document(s) need review"
    + (f" in job {job_id[:8]}" if job_id else " across jobs")
    + f"; the {len(found.rows)} least confident are listed."
)
head[1].text_input("Your name (kept with each review)", key=REVIEWER, max_chars=80)

frame = pd.DataFrame(
    {
        "doc_id": [r.id for r in found.rows],
        "job": [r.job_name or r.job_id[:8] for r in found.rows],
        "file": [r.filename for r in found.rows],
        "category": [r.corrected_category or r.final_category or "" for r in found.rows],
        "confidence": [None if r.confidence is None else r.confidence * 100 for r in found.rows],
        "accept": [False] * len(found.rows),
    }
)
editor_key = jobs.table_key("review_editor", query)


def _save_table(original: pd.DataFrame) -> None:
    """Apply the table's edits: changed categories are corrections, ticks accept."""
    edits = st.session_state.get(editor_key, {}).get("edited_rows", {})
    corrected = accepted = 0
    who = reviewer()
    errors = []
    for index, change in edits.items():
        row = original.iloc[int(index)]
        doc_id = str(row["doc_id"])
        category = change.get("category")
        try:
            if category and category != row["category"]:
                service.correct(doc_id, category, corrected_by=who)
                corrected += 1
            elif change.get("accept"):
                accepted += service.accept([doc_id], reviewed_by=who)
        except (KeyError, ValueError) as exc:
            errors.append(f"{row['file']}: {exc}")
    st.session_state.pop(editor_key, None)
    message = f"{corrected} corrected, {accepted} accepted."
    if errors:
        message += " Not saved: " + "; ".join(errors)
    flash(md_escape(message), icon=":material/task_alt:")


left, right = st.columns([3, 2], gap="large")
with left:
    st.data_editor(
        frame,
        key=editor_key,
        hide_index=True,
        width="stretch",
        height=min(38 + 35 * len(frame), 560),
        disabled=["job", "file", "confidence"],
        column_order=["job", "file", "category", "accept", "confidence"],
        column_config={
            "job": st.column_config.TextColumn("Job", width=90),
            "file": st.column_config.TextColumn("File", width=180),
            "category": st.column_config.SelectboxColumn(
                "Category", options=categories, required=True, width=150
            ),
            "accept": st.column_config.CheckboxColumn(
                "Accept", help="The answer is right", width=60
            ),
            "confidence": st.column_config.ProgressColumn(
                "Confidence", min_value=0, max_value=100, format="%.0f%%", width=90
            ),
        },
    )
    edits = st.session_state.get(editor_key, {}).get("edited_rows", {})
    st.button(
        f"Save {len(edits)} change(s)",
        type="primary",
        disabled=not edits,
        icon=":material/save:",
        on_click=_save_table,
        args=(frame,),
        key="review_save",
        help="A changed category is saved as a correction, a tick accepts the answer.",
    )

with right:
    position = min(int(st.session_state.get(FOCUS, 0)), len(found.rows) - 1)
    st.caption(f"Document {position + 1} of {len(found.rows)} · A accepts · N next · P previous")
    back, forward, _ = st.columns([1, 1, 1])
    if back.button(
        "Previous",
        icon=":material/arrow_back:",
        shortcut="P",
        disabled=position == 0,
        width="stretch",
    ):
        st.session_state[FOCUS] = position - 1
        st.rerun()
    if forward.button(
        "Next",
        icon=":material/arrow_forward:",
        shortcut="N",
        disabled=position >= len(found.rows) - 1,
        width="stretch",
    ):
        st.session_state[FOCUS] = position + 1
        st.rerun()
    doc = service.get_document(found.rows[position].id)
    if doc is not None:
        with st.container(border=True):
            render_result(doc, key="review_doc", expand_text=True, service=service, shortcuts=True)
