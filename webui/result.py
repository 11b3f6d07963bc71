"""One document's result, as the Classify page (a one-off answer) and the Job status page (a
stored document) both show it: one shape, :class:`~docclass.schemas.DocumentOut`.

Every file-derived string is shown as plain text (``st.code``, table cells) or escaped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import streamlit as st

from docclass.jobs.errors import describe_error
from docclass.jobs.service import Service
from docclass.schemas import PREVIEW_CHARS, UNFINISHED_DOC, DocStatus, DocumentOut
from webui.format import engine_facts, md_escape, percent, result_facts
from webui.widgets import horizontal_bars

DETECTOR_COLUMNS = ["detector", "hits", "examples (masked)"]
EVIDENCE_COLUMNS = ["detector", "text (masked)", "page"]


def scores_frame(scores: Mapping[str, float] | None) -> pd.DataFrame:
    """Categories and their scores, best first."""
    scores = scores or {}
    frame = pd.DataFrame({"category": list(scores), "score": [float(v) for v in scores.values()]})
    return frame.sort_values("score", ascending=False, ignore_index=True)


def detector_frame(detectors: Sequence[Mapping[str, Any]] | None) -> pd.DataFrame:
    """Detectors that fired, with their masked examples (never the raw matches)."""
    rows = [
        {
            "detector": str(d.get("name", "")),
            "hits": int(d.get("count", 0) or 0),
            "examples (masked)": ", ".join(str(e) for e in d.get("examples", []) or []),
        }
        for d in detectors or []
        if int(d.get("count", 0) or 0) > 0
    ]
    return pd.DataFrame(rows, columns=DETECTOR_COLUMNS)


def evidence_frame(evidence: Sequence[Mapping[str, Any]] | None) -> pd.DataFrame:
    """The hits a review cites, masked, with the page each was found on."""
    rows = [
        {
            "detector": str(e.get("detector", "")),
            "text (masked)": str(e.get("text", "")),
            "page": e.get("page"),
        }
        for e in evidence or []
    ]
    return pd.DataFrame(rows, columns=EVIDENCE_COLUMNS)


def failed_answer(filename: str, size: int, exc: BaseException) -> DocumentOut:
    """The answer for a file that was never read (bad taxonomy or classifier setting)."""
    return DocumentOut(
        filename=filename,
        size=size,
        status=DocStatus.failed,
        progress=100,
        error=describe_error(exc),
    )


def render_result(
    doc: DocumentOut, *, key: str, expand_text: bool = True, service: Service | None = None
) -> None:
    """Show one document's full result.

    A stored document (it has an id and a job) gets the correction form when ``service`` is
    given; a one-off answer never does.
    """
    st.subheader(md_escape(doc.filename), anchor=False)
    st.caption(md_escape(result_facts(doc.size, doc.kind, doc.sha256)))

    if doc.status in UNFINISHED_DOC:
        st.info(f"Still being processed: {doc.progress or 0}% done.", icon=":material/autorenew:")
        return
    if doc.status == DocStatus.cancelled:
        st.warning("This document was cancelled before it was read.", icon=":material/cancel:")
        return
    if doc.error:
        st.error(md_escape(doc.error), icon=":material/error:")
        return
    if doc.final_category is None:
        st.warning("No classification was stored for this document.")
        return

    metrics = st.columns(4)
    metrics[0].metric("Category", md_escape(doc.final_category))
    metrics[1].metric("Confidence", percent(doc.confidence or 0.0))
    metrics[2].metric("Pages", "—" if doc.pages is None else f"{doc.pages:,}")
    metrics[3].metric("Characters", "—" if doc.characters is None else f"{doc.characters:,}")
    engine = engine_facts(
        doc.engine,
        doc.classifier,
        doc.truncated,
        doc.timings,
        ocr_pages=doc.ocr_pages,
        ocr_confidence=doc.ocr_confidence,
    )
    if engine:
        st.caption(md_escape(engine))
    if doc.corrected_category:
        st.info(f"An analyst corrected this to **{md_escape(doc.corrected_category)}**.")
    if doc.needs_review:
        st.warning(
            f"Needs review: {md_escape(doc.review_reason or 'low confidence')}",
            icon=":material/visibility:",
        )

    left, right = st.columns([3, 2], gap="large")
    with left:
        st.markdown("**Scores per category**")
        if doc.scores:
            horizontal_bars(scores_frame(doc.scores), "score")
        else:
            st.caption("The classifier gave no per-category scores.")
    with right:
        st.markdown("**Reason**")
        st.info(md_escape(doc.rationale or "No reason was given."), icon=":material/lightbulb:")
        st.markdown("**Detector hits**")
        hits = detector_frame(doc.detectors)
        if hits.empty:
            st.caption("No detector fired.")
        else:
            st.dataframe(hits, hide_index=True, width="stretch", key=f"{key}_detectors")
        if doc.evidence:
            evidence = evidence_frame(doc.evidence)
            with st.expander(f"Evidence ({len(evidence)} hits, with pages)"):
                st.dataframe(evidence, hide_index=True, width="stretch", key=f"{key}_evidence")

    if service is not None and doc.id and doc.job_id:
        render_correction(service, doc, key=key)

    preview = doc.text_preview or ""
    label = f"Text preview (first {min(len(preview), PREVIEW_CHARS):,} characters)"
    with st.expander(label, expanded=expand_text):
        if preview.strip():
            st.code(preview, language=None, wrap_lines=True, height=320)
        else:
            st.caption("No text.")


def _save_correction(service: Service, doc_id: str, key: str) -> None:
    """The form's callback: runs before the page, so the page shows the saved correction."""
    choice = st.session_state[f"{key}_correct_choice"]
    who = (st.session_state.get(f"{key}_correct_who") or "").strip() or None
    try:
        service.correct(doc_id, choice, corrected_by=who)
    except (KeyError, ValueError) as exc:  # deleted meanwhile, or not in the job's taxonomy
        st.session_state[f"{key}_correct_error"] = describe_error(exc)
        return
    st.toast(f"Saved: {md_escape(choice)}. It counts as an example from now on.")


def render_correction(service: Service, doc: DocumentOut, *, key: str) -> None:
    """Let an analyst set the right category; it is stored and becomes a training example."""
    taxonomy = service.job_taxonomy(doc.job_id or "")
    if taxonomy is None:
        return
    names = taxonomy.names
    current = doc.category
    with (
        st.expander("Correct the category", icon=":material/edit:"),
        st.form(f"{key}_correct", border=False),
    ):
        st.selectbox(
            "Right category",
            names,
            index=names.index(current) if current in names else 0,
            key=f"{key}_correct_choice",
        )
        st.text_input("Your name (optional)", key=f"{key}_correct_who", max_chars=80)
        st.form_submit_button(
            "Save correction",
            icon=":material/save:",
            on_click=_save_correction,
            args=(service, doc.id or "", key),
        )
        error = st.session_state.pop(f"{key}_correct_error", None)
        if error:
            st.error(md_escape(error), icon=":material/error:")
