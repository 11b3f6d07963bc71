"""The job page's "Teach the classifier" panel: what to correct next, then re-score the job.

Suggestions come from :meth:`Service.suggest_corrections` (uncertain and representative
documents); the analyst corrects them in the document panel shown beside the list, then
re-scores the job (:meth:`Service.rescore`), whose changed answers are marked refined.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from docclass.jobs.service import Service
from webui.format import md_escape
from webui.jobs import JobView
from webui.result import render_result
from webui.session import flash
from webui.widgets import selectable_table

SUGGESTIONS = 8


def _key(job_id: str) -> str:
    return f"teach_{job_id}"


def _suggest(service: Service, job_id: str) -> None:
    st.session_state[_key(job_id)] = service.suggest_corrections(job_id, SUGGESTIONS)


def _rescore(service: Service, job_id: str) -> None:
    changed = service.rescore(job_id)
    st.session_state.pop(_key(job_id), None)  # the answers moved: suggest afresh
    flash(
        f"Re-scored from the corrections: {changed} answer(s) changed (marked refined).",
        icon=":material/model_training:",
    )


def corrected_count(view: JobView) -> int:
    """Documents of this job an analyst corrected (the table's note says so)."""
    return int(view.table["note"].str.startswith("corrected").sum())


def teach_panel(service: Service, job_id: str, view: JobView) -> None:
    """Only for an ended job answered by the local classifier, with answers to learn from."""
    job = view.job
    if not view.settled or view.active or job.classifier == "openai" or not job.completed:
        return
    corrected = corrected_count(view)
    with st.expander("Teach the classifier", icon=":material/school:"):
        st.caption(
            "Correct the documents whose correction teaches the most (unsure answers that "
            "many others resemble), then re-score the job: its answers are recomputed with "
            "every correction of this taxonomy as an example."
        )
        cols = st.columns(2)
        cols[0].button(
            "Suggest documents to correct",
            icon=":material/lightbulb:",
            key=f"{_key(job_id)}_suggest",
            on_click=_suggest,
            args=(service, job_id),
        )
        cols[1].button(
            f"Re-score from corrections ({corrected})",
            icon=":material/model_training:",
            disabled=not corrected,
            help="Corrections of this job and of others under the same taxonomy teach it.",
            key=f"{_key(job_id)}_rescore",
            on_click=_rescore,
            args=(service, job_id),
        )
        ids = st.session_state.get(_key(job_id))
        if ids is None:
            return
        if not ids:
            st.info("Nothing left to suggest: every answer is corrected or settled.")
            return
        rows = view.table.set_index("doc_id").reindex(ids).dropna(how="all").reset_index()
        frame = pd.DataFrame(
            {
                "file": rows["file"],
                "answer": rows["category"],
                "confidence": rows["confidence"],
            }
        )
        picked = selectable_table(
            frame,
            f"{_key(job_id)}_table",
            column_config={
                "confidence": st.column_config.ProgressColumn(
                    "confidence", format="%.0f%%", min_value=0, max_value=100
                )
            },
        )
        if picked is not None:
            doc = service.get_document(str(rows.iloc[picked]["doc_id"]))
            if doc is not None:
                with st.container(border=True):
                    render_result(doc, key="teach_doc", expand_text=False, service=service)
        else:
            st.caption(md_escape(f"{len(rows)} suggested; select one to correct it."))
