"""A document's preview beside its result: the PDF page itself (drawn by pypdfium2 in a
reader process) and the text, with the cited evidence highlighted.

Document text is shown as literal text: every piece is escaped (:func:`md_escape`) and only
our own highlight markers are Markdown, never HTML.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import streamlit as st

from docclass.detectors import DETECTORS
from docclass.jobs.service import Service
from docclass.preview import PreviewError
from docclass.schemas import DocumentOut
from webui.format import md_escape

PAGE_WIDTH = 900
# Pages drawn per session and kept (PNG bytes, ~100-300 kB each).
PAGE_CACHE = 64


def evidence_spans(
    text: str, evidence: Sequence[Mapping[str, Any]] | None
) -> list[tuple[int, int]]:
    """Where the cited evidence is in ``text``: detector hits found again (the stored
    evidence is masked), keyword cues by their words; sorted, not overlapping."""
    spans: list[tuple[int, int]] = []
    names = {str(e.get("detector", "")) for e in evidence or []}
    for name in names:
        detector = DETECTORS.get(name)
        if detector is not None:
            spans += [(s.start, s.end) for s in detector(text)]
    words = {
        str(e.get("text", ""))
        for e in evidence or []
        if str(e.get("detector", "")).startswith("keywords:")
    }
    for word in filter(None, words):
        spans += [(m.start(), m.end()) for m in re.finditer(re.escape(word), text, re.IGNORECASE)]
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _escape_lines(text: str, marker: str | None = None) -> list[str]:
    """Each line escaped (and wrapped in ``marker[...]`` when highlighted)."""
    out = []
    for line in text.split("\n"):
        escaped = md_escape(line)
        out.append(f"{marker}[{escaped}]" if marker and escaped else escaped)
    return out


def highlighted_markdown(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """``text`` as Markdown that shows it literally, ``spans`` on an orange background,
    line breaks kept."""
    lines: list[str] = [""]
    position = 0
    pieces = []
    for start, end in spans:
        pieces += [(text[position:start], None), (text[start:end], ":orange-background")]
        position = end
    pieces.append((text[position:], None))
    for piece, marker in pieces:
        parts = _escape_lines(piece, marker)
        lines[-1] += parts[0]
        lines.extend(parts[1:])
    return "  \n".join(lines)


@st.cache_data(max_entries=PAGE_CACHE, show_spinner=False)
def _page_png(_service: Service, doc_id: str, sha256: str, page: int, width: int) -> bytes:
    """A drawn page, cached per content and page (the service itself is not hashed)."""
    return _service.page_image(doc_id, page, width)


def render_page(service: Service, doc: DocumentOut, *, key: str) -> None:
    """One page of a PDF as an image, the page picked by the analyst (evidence's first)."""
    pages = max(1, doc.pages or 1)
    cited = sorted({int(e["page"]) for e in doc.evidence or [] if e.get("page")})
    if pages > 1:
        page = int(
            st.number_input(
                f"Page (of {pages:,})",
                min_value=1,
                max_value=pages,
                value=cited[0] if cited and cited[0] <= pages else 1,
                key=f"{key}_page_{doc.id}",
                help="Pages with cited evidence: " + (", ".join(map(str, cited)) or "none"),
            )
        )
    else:
        page = 1
    try:
        image = _page_png(service, doc.id or "", doc.sha256, page, PAGE_WIDTH)
    except PreviewError as exc:
        st.caption(md_escape(f"No page image: {exc}"))
        return
    st.image(image, caption=f"Page {page}", width="stretch")


def render_text(doc: DocumentOut) -> None:
    """The stored text (its head), cited evidence highlighted."""
    preview = doc.text_preview or ""
    if not preview.strip():
        st.caption("No text.")
        return
    spans = evidence_spans(preview, doc.evidence)
    if spans:
        st.caption(f"{len(spans)} passage(s) cited as evidence are highlighted.")
    with st.container(height=420, border=True):
        st.markdown(highlighted_markdown(preview, spans))


def render_preview(service: Service | None, doc: DocumentOut, *, key: str) -> None:
    """Page and text side by side in tabs; the page only for a stored PDF."""
    if service is not None and doc.id and doc.kind == "pdf" and doc.sha256:
        page_tab, text_tab = st.tabs(["Page", "Text"])
        with page_tab:
            render_page(service, doc, key=key)
        with text_tab:
            render_text(doc)
    else:
        render_text(doc)
