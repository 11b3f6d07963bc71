"""One document's result, as the Classify page (a one-off answer), the Job status, Documents
and Review pages (a stored document) show it: one shape, :class:`~docclass.schemas.DocumentOut`.

Every file-derived string is shown as plain text (table cells, escaped Markdown).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import streamlit as st

from docclass.jobs.errors import describe_error, error_type, is_retryable
from docclass.jobs.service import Service
from docclass.schemas import UNFINISHED_DOC, DocStatus, DocumentOut
from webui.format import engine_facts, fmt_time, md_escape, percent, result_facts
from webui.preview import render_preview
from webui.widgets import horizontal_bars

DETECTOR_COLUMNS = ["detector", "hits", "examples (masked)"]
EVIDENCE_COLUMNS = ["detector", "text (masked)", "page"]
# Who is reviewing, remembered for the session (every correction and accept form uses it).
REVIEWER = "docclass_reviewer"


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


def earlier_answer(doc: DocumentOut) -> str | None:
    """What a document's answer was before the job's finishing step refined it."""
    if not doc.refined:
        return None
    single = (doc.classifier_meta or {}).get("single")
    confidence = single.get("confidence") if isinstance(single, dict) else None
    shown = f" ({percent(confidence)})" if isinstance(confidence, int | float) else ""
    return f"{doc.earlier_category or '—'}{shown}"


def _history(doc: DocumentOut) -> None:
    """Corrected, refined, reviewed: every change after the answer was first shown."""
    if doc.corrected_category and doc.corrected_category != doc.final_category:
        who = f" ({doc.reviewed_by})" if doc.reviewed_by else ""
        st.info(
            f"An analyst{md_escape(who)} corrected this to "
            f"**{md_escape(doc.corrected_category)}**; the classifier said "
            f"**{md_escape(doc.final_category or '—')}**.",
            icon=":material/edit:",
        )
    elif doc.reviewed_at:
        who = f" by {doc.reviewed_by}" if doc.reviewed_by else ""
        st.success(
            md_escape(f"Reviewed{who} on {fmt_time(doc.reviewed_at)} UTC: the answer stands."),
            icon=":material/task_alt:",
        )
    if earlier := earlier_answer(doc):
        st.info(
            f"Refined by the job's finishing step (all its documents classified together): "
            f"it was **{md_escape(earlier)}** when first shown.",
            icon=":material/auto_fix_high:",
        )
    if doc.needs_review and not doc.reviewed_at:
        st.warning(
            f"Needs review: {md_escape(doc.review_reason or 'low confidence')}",
            icon=":material/visibility:",
        )


def _failure(doc: DocumentOut) -> None:
    st.error(md_escape(doc.error), icon=":material/error:")
    if is_retryable(doc.error):
        st.caption("A retry may succeed: use **Retry failed** on the job's page.")
    else:
        kind = error_type(doc.error)
        st.caption(md_escape(f"{kind} is permanent: this file fails the same way every time."))


def render_result(
    doc: DocumentOut,
    *,
    key: str,
    expand_text: bool = True,
    service: Service | None = None,
    shortcuts: bool = False,
) -> None:
    """Show one document's full result.

    A stored document (it has an id and a job) gets the review actions when ``service`` is
    given; a one-off answer never does. ``expand_text`` opens the preview first.
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
        _failure(doc)
        return
    if doc.final_category is None:
        st.warning("No classification was stored for this document.")
        return

    metrics = st.columns([3, 2, 2])
    metrics[0].metric("Category", md_escape(doc.category))
    metrics[1].metric("Confidence", percent(doc.confidence or 0.0))
    metrics[2].metric("Pages", "—" if doc.pages is None else f"{doc.pages:,}")
    engine = engine_facts(
        doc.engine,
        doc.classifier,
        doc.truncated,
        doc.timings,
        ocr_pages=doc.ocr_pages,
        ocr_confidence=doc.ocr_confidence,
    )
    chars = "" if doc.characters is None else f"{doc.characters:,} characters"
    st.caption(md_escape(" · ".join(p for p in (chars, engine) if p)))
    _history(doc)

    if service is not None and doc.id and doc.job_id:
        render_review(service, doc, key=key, shortcuts=shortcuts)

    labels = ["Preview", "Scores", "Reason and evidence"]
    order = labels if expand_text else labels[1:] + labels[:1]
    tabs = dict(zip(order, st.tabs(order), strict=True))
    with tabs["Preview"]:
        render_preview(service, doc, key=key)
    with tabs["Scores"]:
        if doc.scores:
            horizontal_bars(scores_frame(doc.scores), "score")
        else:
            st.caption("The classifier gave no per-category scores.")
    with tabs["Reason and evidence"]:
        st.info(md_escape(doc.rationale or "No reason was given."), icon=":material/lightbulb:")
        hits = detector_frame(doc.detectors)
        if hits.empty:
            st.caption("No detector fired.")
        else:
            st.dataframe(hits, hide_index=True, width="stretch", key=f"{key}_detectors")
        if doc.evidence:
            st.caption(f"Cited evidence ({len(doc.evidence)} hits, with pages)")
            evidence = evidence_frame(doc.evidence)
            st.dataframe(evidence, hide_index=True, width="stretch", key=f"{key}_evidence")


# --- review: accept or correct ---------------------------------------------------------------


def reviewer() -> str | None:
    return (st.session_state.get(REVIEWER) or "").strip() or None


def _save_correction(service: Service, doc_id: str, key: str) -> None:
    """The form's callback: runs before the page, so the page shows the saved correction."""
    choice = st.session_state[f"{key}_correct_choice"]
    who = (st.session_state.get(f"{key}_correct_who") or "").strip() or None
    st.session_state[REVIEWER] = who or ""
    try:
        service.correct(doc_id, choice, corrected_by=who)
    except (KeyError, ValueError) as exc:  # deleted meanwhile, or not in the job's taxonomy
        st.session_state[f"{key}_correct_error"] = describe_error(exc)
        return
    st.toast(f"Saved: {md_escape(choice)}. It counts as an example from now on.")


def _accept(service: Service, doc_id: str, category: str) -> None:
    service.accept([doc_id], reviewed_by=reviewer())
    st.toast(f"Reviewed: {md_escape(category)} stands.", icon=":material/task_alt:")


def render_review(service: Service, doc: DocumentOut, *, key: str, shortcuts: bool = False) -> None:
    """Accept the answer as it stands, or set the right category (stored with who and when;
    a correction becomes a training example)."""
    taxonomy = service.job_taxonomy(doc.job_id or "")
    if taxonomy is None:
        return
    names = taxonomy.names
    current = doc.category
    if f"{key}_correct_who" not in st.session_state or shortcuts:
        st.session_state[f"{key}_correct_who"] = st.session_state.get(REVIEWER, "")
    with st.form(f"{key}_correct", border=True):
        choice_col, who_col = st.columns([3, 2])
        choice_col.selectbox(
            "Right category",
            names,
            index=names.index(current) if current in names else 0,
            key=f"{key}_correct_choice",
        )
        if not shortcuts:  # the Review page asks for the name once, above its queue
            who_col.text_input("Your name (optional)", key=f"{key}_correct_who", max_chars=80)
        st.form_submit_button(
            "Save correction",
            icon=":material/save:",
            on_click=_save_correction,
            args=(service, doc.id or "", key),
        )
        error = st.session_state.pop(f"{key}_correct_error", None)
        if error:
            st.error(md_escape(error), icon=":material/error:")
    if doc.needs_review and not doc.reviewed_at:
        st.button(
            f"Accept {md_escape(doc.category)}",
            icon=":material/task_alt:",
            on_click=_accept,
            args=(service, doc.id or "", doc.category or ""),
            key=f"{key}_accept_{doc.id}",
            help="The answer is right: mark it reviewed (who and when are kept).",
            shortcut="A" if shortcuts else None,
            type="primary" if shortcuts else "secondary",
        )
