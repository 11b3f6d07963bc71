"""Search filters that live in the URL (``st.query_params``), so a filtered view can be
bookmarked and shared, and become one :class:`~docclass.schemas.DocumentQuery`.

The URL is the source of truth: on every run the widgets are seeded from it when it changed
behind their back (a shared link, a page link), and the URL is rewritten when a widget
changed. The export of the view runs the very same query.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import streamlit as st

from docclass.schemas import DocumentQuery
from webui.jobs import DOC_STATUSES

REVIEW_CHOICES = {"any": "Any", "needs": "To review", "done": "Reviewed or clear"}
PARAMS = ("q", "cat", "status", "error", "review", "conf", "job")


@dataclass(frozen=True)
class Filters:
    """What an analyst filtered by, as the URL spells it."""

    q: str = ""
    categories: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    review: str = "any"
    confidence: tuple[int, int] = (0, 100)
    job: str | None = None

    @property
    def active(self) -> bool:
        return self != Filters(job=self.job)

    def query(self, order: str = "recent") -> DocumentQuery:
        low, high = self.confidence
        return DocumentQuery(
            job_id=self.job or None,
            filename=self.q or None,
            categories=list(self.categories),
            statuses=list(self.statuses),
            error_types=list(self.errors),
            needs_review={"needs": True, "done": False}.get(self.review),
            min_confidence=low / 100 if low > 0 else None,
            max_confidence=high / 100 if high < 100 else None,
            order=order,
        )


def _confidence(text: str | None) -> tuple[int, int]:
    try:
        low, high = (int(v) for v in (text or "").split("-", 1))
    except ValueError:
        return (0, 100)
    low, high = max(0, min(low, 100)), max(0, min(high, 100))
    return (low, high) if low <= high else (0, 100)


def from_params(params: Mapping[str, Sequence[str]]) -> Filters:
    """Filters from the URL's parameters (each a list of values); bad values are ignored."""

    def first(name: str) -> str:
        values = params.get(name) or []
        return str(values[0]).strip() if values else ""

    review = first("review")
    return Filters(
        q=first("q")[:200],
        categories=tuple(str(v) for v in params.get("cat") or []),
        statuses=tuple(str(v) for v in params.get("status") or [] if v in DOC_STATUSES),
        errors=tuple(str(v) for v in params.get("error") or [] if str(v).isidentifier()),
        review=review if review in REVIEW_CHOICES else "any",
        confidence=_confidence(first("conf")),
        job=first("job") or None,
    )


def to_params(filters: Filters) -> dict[str, list[str]]:
    """The URL parameters of ``filters`` (defaults left out, so a plain view has none)."""
    params: dict[str, list[str]] = {}
    if filters.q:
        params["q"] = [filters.q]
    if filters.categories:
        params["cat"] = list(filters.categories)
    if filters.statuses:
        params["status"] = list(filters.statuses)
    if filters.errors:
        params["error"] = list(filters.errors)
    if filters.review != "any":
        params["review"] = [filters.review]
    if filters.confidence != (0, 100):
        params["conf"] = [f"{filters.confidence[0]}-{filters.confidence[1]}"]
    if filters.job:
        params["job"] = [filters.job]
    return params


def url_params() -> dict[str, list[str]]:
    return {name: st.query_params.get_all(name) for name in PARAMS if name in st.query_params}


def _write_url(params: Mapping[str, list[str]]) -> None:
    for name in PARAMS:
        if name not in params and name in st.query_params:
            del st.query_params[name]
    for name, values in params.items():
        if st.query_params.get_all(name) != values:
            st.query_params[name] = values if len(values) > 1 else values[0]


def filter_bar(
    prefix: str,
    *,
    categories: Sequence[str],
    error_types: Sequence[str],
    show_job: bool = False,
) -> Filters:
    """The filter widgets, seeded from the URL; returns the filters and keeps the URL in step."""
    seen_key = f"{prefix}_filters_url"
    current = url_params()
    if st.session_state.get(seen_key) != current:  # a new URL: it wins over the widgets
        start = from_params(current)
        st.session_state[f"{prefix}_q"] = start.q
        st.session_state[f"{prefix}_cat"] = list(start.categories)
        st.session_state[f"{prefix}_status"] = list(start.statuses)
        st.session_state[f"{prefix}_error"] = list(start.errors)
        st.session_state[f"{prefix}_review"] = start.review
        st.session_state[f"{prefix}_conf"] = start.confidence
        st.session_state[f"{prefix}_job"] = start.job
    job = st.session_state.get(f"{prefix}_job")

    top = st.columns([3, 2, 2])
    q = top[0].text_input(
        "File name contains",
        key=f"{prefix}_q",
        placeholder="part of a name or folder, e.g. 0019.txt",
        max_chars=200,
    )
    cat_options = sorted({*categories, *st.session_state[f"{prefix}_cat"]})
    cats = top[1].multiselect("Category", cat_options, key=f"{prefix}_cat", placeholder="Any")
    statuses = top[2].multiselect("Status", DOC_STATUSES, key=f"{prefix}_status", placeholder="Any")
    bottom = st.columns([2, 3, 2])
    err_options = sorted({*error_types, *st.session_state[f"{prefix}_error"]})
    errors = bottom[0].multiselect(
        "Error type", err_options, key=f"{prefix}_error", placeholder="Any"
    )
    review = bottom[1].segmented_control(
        "Review",
        list(REVIEW_CHOICES),
        format_func=REVIEW_CHOICES.__getitem__,
        key=f"{prefix}_review",
    )
    confidence = bottom[2].slider(
        "Confidence (%)", min_value=0, max_value=100, step=5, key=f"{prefix}_conf"
    )
    if show_job and job:
        st.caption(f"Only job {job[:8]} (remove job= from the URL to search every job).")
    filters = Filters(
        q=(q or "").strip(),
        categories=tuple(cats),
        statuses=tuple(statuses),
        errors=tuple(errors),
        review=review or "any",
        confidence=(int(confidence[0]), int(confidence[1])),
        job=job,
    )
    params = to_params(filters)
    if params != current:
        _write_url(params)
    st.session_state[seen_key] = url_params()
    return filters
