"""Streamlit helpers shared by the pages of the app (``app.py``, ``pages/*.py``).

Everything a page needs more than once lives here: the one process-wide runner, the
sidebar, the rendering of one document's result (Classify page and Job status page show the
same thing), the light status query the Job status page polls every second, toasts for
finished jobs, and ``md_escape`` for the few places where untrusted text (file names, error
messages, document text) must go through a Markdown-rendering element.

Worker threads never call anything here: they write to the database, pages read it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd
import streamlit as st
from sqlalchemy.engine import make_url

from docclass import store
from docclass.classifiers import Classification
from docclass.classifiers.factory import KINDS
from docclass.models import ACTIVE_JOB, ClassificationOut, DocumentOut, JobStatus
from docclass.runner import PREVIEW_CHARS, ClassifyResult, Runner
from docclass.settings import Settings, load_settings
from docclass.taxonomy import BUILTIN, available_taxonomies, parse_taxonomy

# Page files, relative to app.py: the single source for st.navigation and st.switch_page.
PAGE_CLASSIFY = "pages/classify.py"
PAGE_BATCH = "pages/batch.py"
PAGE_STATUS = "pages/job_status.py"
PAGE_JOBS = "pages/jobs.py"
PAGE_SETTINGS = "pages/settings.py"
STATUS_URL = "job_status"  # url_path of PAGE_STATUS (st.Page derives it from the file name)

# How often live views poll the database while something runs (seconds).
STATUS_REFRESH_S = 1.0
SIDEBAR_REFRESH_S = 2.0
JOBS_REFRESH_S = 2.0

ACTIVE = tuple(str(s) for s in ACTIVE_JOB)
# Material icons, not emoji: they ship with Streamlit, so every browser draws them.
STATUS_ICONS = {
    "pending": ":material/schedule:",
    "processing": ":material/autorenew:",
    "completed": ":material/check_circle:",
    "failed": ":material/error:",
    "cancelled": ":material/cancel:",
}
STATUS_COLORS = {
    "pending": "orange",
    "processing": "blue",
    "completed": "green",
    "failed": "red",
    "cancelled": "gray",
}


def status_label(status: str) -> str:
    """A job status as coloured icon + word (Markdown; statuses are our own words)."""
    icon = STATUS_ICONS.get(status, ":material/help:")
    return f":{STATUS_COLORS.get(status, 'gray')}[{icon}] {md_escape(status)}"


_WATCHED = "docclass_watched_jobs"
_TOASTED = "docclass_toasted_jobs"
_FLASH = "docclass_flash"


# --- the runner ------------------------------------------------------------------------


def _release_runner(runner: Runner) -> None:
    """``on_release`` of the cached runner: stop taking work, keep queued work queued.

    ``wait=False`` so a cache clear never blocks a page. Pending documents stay pending in
    the database for the next runner; nothing is cancelled.
    """
    runner.shutdown(wait=False)


@st.cache_resource(
    show_spinner="Starting the document runner…", max_entries=1, on_release=_release_runner
)
def _cached_runner(database_url: str, data_dir: str) -> Runner:
    """One runner per process; keyed on where it stores data so a changed setup gets its own.

    ``max_entries=1`` releases (shuts down) the previous runner when the key changes.
    """
    del database_url, data_dir  # only the cache key: the settings are read again below
    settings = load_settings()
    if not settings.openai_api_key and (key := secret_api_key()):
        settings = replace(settings, openai_api_key=key)
    return Runner(settings)


def secret_api_key() -> str | None:
    """``OPENAI_API_KEY`` from Streamlit secrets (``.streamlit/secrets.toml``), if any.

    The environment wins; the key lives only in the runner's settings, never in a page.
    """
    try:
        value = st.secrets.get("OPENAI_API_KEY")
    except Exception:  # no secrets file at all: Streamlit raises rather than returning None
        return None
    return str(value).strip() or None if value else None


def get_runner() -> Runner:
    """The process-wide runner (created on first use, shared by every session)."""
    settings = load_settings()
    return _cached_runner(settings.database_url, str(settings.data_dir))


# --- routing ---------------------------------------------------------------------------

_ROUTED: ContextVar[bool] = ContextVar("docclass_routed", default=False)


def run_page(page: Any) -> None:
    """Run the page ``st.navigation`` chose, marking that it runs under app.py's router."""
    token = _ROUTED.set(True)
    try:
        page.run()
    finally:
        _ROUTED.reset(token)


def app_pages() -> dict[str, list[Any]]:
    """The app's pages by section, for ``st.navigation`` (app.py and :func:`ensure_routed`)."""
    return {
        "Classify": [
            st.Page(PAGE_CLASSIFY, title="Classify", icon=":material/description:", default=True),
            st.Page(PAGE_BATCH, title="Batch", icon=":material/upload_file:"),
        ],
        "Jobs": [
            st.Page(PAGE_STATUS, title="Job status", icon=":material/monitoring:"),
            st.Page(PAGE_JOBS, title="Jobs", icon=":material/list_alt:"),
        ],
        "Admin": [
            st.Page(PAGE_SETTINGS, title="Settings", icon=":material/settings:"),
        ],
    }


def ensure_routed() -> None:
    """First line of every page: make sure it runs inside app.py, not on its own.

    Streamlit starts each process in its legacy ``pages/`` folder mode and leaves it only
    when ``st.navigation`` is first called. Until then a request for a page URL (the first
    click on a bookmarked ``/job_status?job=…`` after a server restart; every AppTest run)
    executes the page file directly: no page config, no sidebar, no toasts. Calling
    ``st.navigation`` here ends that mode for the process, and the rerun goes through
    app.py with the same URL and query parameters.
    """
    if _ROUTED.get():
        return
    st.navigation(app_pages(), position="hidden")  # the same pages: the URL resolves alike
    st.rerun()


# --- safe text -------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$&=\"'^%@:])")
_WORD_JOINER = "\u2060"


def md_escape(text: object) -> str:
    """Untrusted text made literal for Markdown-rendering elements (st.error, st.subheader…).

    Every ASCII punctuation mark is backslash-escaped (CommonMark treats them literally then),
    and an invisible word joiner breaks the patterns Streamlit and GFM still expand after
    escaping: ``:material/icon:`` and emoji shortcodes, ``https://`` and ``www.`` autolinks,
    and e-mail autolinks. Newlines become spaces: one message, one paragraph.
    """
    value = " ".join(str(text).split())
    value = _MD_SPECIAL.sub(r"\\\1", value)
    value = re.sub(r"\\:(?=\S)", "\\:" + _WORD_JOINER, value)
    value = value.replace("\\@", "\\@" + _WORD_JOINER)
    return re.sub(r"(?i)(www)(\\\.)", r"\1" + _WORD_JOINER + r"\2", value)


def md_plain(markdown: str) -> str:
    """Inverse of :func:`md_escape` (tests and logs: what a person sees on the page)."""
    return re.sub(r"\\(.)", r"\1", markdown).replace(_WORD_JOINER, "")


def short_id(job_id: str) -> str:
    return job_id[:8]


def taxonomy_label(spec: str) -> str:
    """``default`` for built-ins, the file's stem for a saved or configured TOML file."""
    return spec if spec in BUILTIN else Path(spec).stem


def effective_classifier(settings: Settings, kind: str | None = None) -> str:
    """What ``kind`` really runs: ``auto`` without an API key is the local classifier."""
    kind = kind or settings.classifier
    if kind == "auto" and not settings.openai_api_key:
        return "auto (local only: no API key)"
    return kind


def classifier_options(settings: Settings) -> list[str]:
    """Classifiers an analyst can pick: ``openai`` only when a key is configured."""
    options = [k for k in KINDS if k != "openai" or settings.openai_api_key]
    if settings.classifier not in options:
        options.insert(0, settings.classifier)
    return options


def safe_database_url(url: str) -> str:
    """The database URL without its password, for display."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL SQLAlchemy parses: show only its scheme
        return url.split(":", 1)[0] + ":…"


def browser_timezone() -> ZoneInfo:
    """The analyst's time zone (from the browser), UTC when unknown."""
    try:
        name = st.context.timezone
    except Exception:
        name = None
    try:
        return ZoneInfo(name) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite drops the zone: stored times are UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def fmt_time(value: datetime | None) -> str:
    utc = as_utc(value)
    if utc is None:
        return "—"
    return utc.astimezone(browser_timezone()).strftime("%Y-%m-%d %H:%M:%S")


def fmt_bytes(size: int | None) -> str:
    if size is None:
        return "—"
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"  # pragma: no cover - loop always returns


# --- flash messages, watched jobs and toasts -----------------------------------------------


def flash(message: str, icon: str = ":material/rocket_launch:") -> None:
    """Keep a message for the next full run (a rerun or st.switch_page drops this run's output).

    ``message`` is shown as Markdown: callers escape anything untrusted.
    """
    st.session_state[_FLASH] = (message, icon)


def flash_pending() -> bool:
    """True while a flash message waits for a full run (a fragment run cannot show it)."""
    return _FLASH in st.session_state


def show_flash() -> None:
    pending = st.session_state.pop(_FLASH, None)
    if pending:
        st.success(pending[0], icon=pending[1])


def watch_job(job_id: str) -> None:
    """Remember a running job so this session gets one toast when it ends."""
    st.session_state.setdefault(_WATCHED, set()).add(job_id)


def _job_statuses(runner: Runner, job_ids: Iterable[str]) -> dict[str, str]:
    return store.job_statuses(db=runner.db, job_ids=list(job_ids))


def finished_watched_jobs(runner: Runner) -> list[str]:
    """Watched jobs of this session that have ended (or vanished) and not been announced."""
    watched: set[str] = st.session_state.get(_WATCHED, set())
    if not watched:
        return []
    statuses = _job_statuses(runner, watched)
    return sorted(j for j in watched if statuses.get(j) not in ACTIVE)


def announce_finished_jobs(runner: Runner) -> None:
    """One toast per finished job per session; called on every full app run."""
    toasted: set[str] = st.session_state.setdefault(_TOASTED, set())
    watched: set[str] = st.session_state.get(_WATCHED, set())
    for job_id in finished_watched_jobs(runner):
        watched.discard(job_id)
        if job_id in toasted:
            continue
        toasted.add(job_id)
        job = store.get_job(db=runner.db, job_id=job_id, include_documents=False)
        if job is None:
            continue  # deleted while it ran: nothing to announce
        icon = ":material/warning:" if job.failed else STATUS_ICONS.get(job.status)
        st.toast(
            f"Job {short_id(job_id)} {job.status}: {job.completed} of {job.total_files} "
            f"classified, {job.failed} failed",
            icon=icon,
            duration="long",
        )


# --- sidebar ---------------------------------------------------------------------------


def active_job_count(runner: Runner) -> int:
    return store.count_jobs(db=runner.db, statuses=list(ACTIVE))


def render_sidebar(runner: Runner) -> None:
    """Engine facts every page shows: classifier, taxonomy and running jobs (live)."""
    settings = runner.settings
    with st.sidebar:
        st.caption("Engine")
        st.markdown(f"**Classifier** · {md_escape(effective_classifier(settings))}")
        st.markdown(f"**Taxonomy** · {md_escape(taxonomy_label(settings.taxonomy))}")
        live = active_job_count(runner) > 0

        @st.fragment(run_every=SIDEBAR_REFRESH_S if live else None)
        def running_jobs() -> None:
            count = active_job_count(runner)
            st.metric("Running jobs", count)
            # A full run re-decides run_every (stop polling) and shows the finished-job toasts.
            if (live and count == 0) or (not live and count > 0) or finished_watched_jobs(runner):
                st.rerun(scope="app")

        running_jobs()


def pick_taxonomy_and_classifier(settings: Settings, *, key: str) -> tuple[str, str]:
    """The taxonomy and classifier pickers the Classify and Batch pages share."""
    choices = available_taxonomies(settings.data_dir)
    if settings.taxonomy not in choices:
        choices.insert(0, settings.taxonomy)
    kinds = classifier_options(settings)
    left, right = st.columns(2)
    taxonomy_spec = left.selectbox(
        "Taxonomy",
        choices,
        index=choices.index(settings.taxonomy),
        format_func=taxonomy_label,
        key=f"{key}_taxonomy",
        help="Saved taxonomies (Settings page) appear here too.",
    )
    kind = right.selectbox(
        "Classifier",
        kinds,
        index=kinds.index(settings.classifier) if settings.classifier in kinds else 0,
        format_func=lambda k: effective_classifier(settings, k),
        key=f"{key}_classifier",
    )
    return str(taxonomy_spec), str(kind)


# --- one document's result --------------------------------------------------------------


@dataclass
class ResultView:
    """One document's result, whether it came from classify_now or from the job store."""

    filename: str
    size: int = 0
    sha256: str = ""
    doc_id: str | None = None  # job documents only: they can be corrected
    job_id: str | None = None
    status: str | None = None  # job documents only
    progress: int | None = None
    error: str | None = None
    category: str | None = None
    confidence: float | None = None
    scores: dict[str, float] = field(default_factory=dict)
    rationale: str | None = None
    classifier: str | None = None
    detectors: list[dict[str, Any]] = field(default_factory=list)
    evidence: list[dict[str, Any]] = field(default_factory=list)
    needs_review: bool = False
    review_reason: str | None = None
    corrected_category: str | None = None
    pages: int | None = None
    characters: int | None = None
    engine: str | None = None
    kind: str | None = None
    truncated: bool = False
    text_preview: str | None = None
    timings: dict[str, float] = field(default_factory=dict)


def _show_classification(view: ResultView, c: Classification | ClassificationOut) -> None:
    """Copy the answer onto a view; engine results and stored rows name fields alike."""
    view.category = c.final_category
    view.confidence = float(c.confidence)
    view.scores = {k: float(v) for k, v in c.scores.items()}
    view.rationale = c.rationale
    view.classifier = c.classifier


def view_from_classify(result: ClassifyResult) -> ResultView:
    view = ResultView(
        filename=result.filename,
        size=result.size,
        sha256=result.sha256,
        error=result.error,
        timings=dict(result.timings or {}),
        detectors=[d.to_dict() for d in result.detectors],
    )
    if result.extracted is not None:
        text = result.extracted.text
        view.pages = result.extracted.pages
        view.characters = len(text)
        view.engine = result.extracted.engine
        view.kind = result.extracted.kind
        view.truncated = result.extracted.truncated
        view.text_preview = text[:PREVIEW_CHARS]
    if result.classification is not None:
        _show_classification(view, result.classification)
    if result.review is not None:
        view.needs_review = result.review.needs_review
        view.review_reason = result.review.reason
        view.evidence = list(result.review.evidence)
    return view


def view_from_document(doc: DocumentOut) -> ResultView:
    view = ResultView(
        filename=doc.filename,
        size=doc.size,
        sha256=doc.sha256,
        doc_id=doc.doc_id,
        job_id=doc.job_id,
        status=doc.status,
        progress=doc.progress,
        error=doc.error,
        detectors=list(doc.detectors),
        evidence=list(doc.evidence),
        needs_review=doc.needs_review,
        review_reason=doc.review_reason,
        corrected_category=doc.corrected_category,
        pages=doc.pages,
        characters=doc.characters,
        engine=doc.engine,
        kind=doc.kind,
        truncated=doc.truncated,
        text_preview=doc.text_preview,
        timings=dict(doc.timings),
    )
    if doc.classification is not None:
        _show_classification(view, doc.classification)
    return view


def horizontal_bars(frame: pd.DataFrame, value: str) -> None:
    """One bar per category, largest first, tall enough to read every label."""
    st.bar_chart(
        frame,
        x="category",
        y=value,
        horizontal=True,
        sort=f"-{value}",
        height=max(160, 28 * len(frame) + 40),
        x_label=value,
        y_label="",
    )


def scores_frame(scores: Mapping[str, float]) -> pd.DataFrame:
    frame = pd.DataFrame({"category": list(scores), "score": [float(v) for v in scores.values()]})
    return frame.sort_values("score", ascending=False, ignore_index=True)


def detector_frame(detectors: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """Detectors that fired, with their masked examples (never the raw matches)."""
    rows = [
        {
            "detector": str(d.get("name", "")),
            "hits": int(d.get("count", 0) or 0),
            "examples (masked)": ", ".join(str(e) for e in d.get("examples", []) or []),
        }
        for d in detectors
        if int(d.get("count", 0) or 0) > 0
    ]
    return pd.DataFrame(rows, columns=["detector", "hits", "examples (masked)"])


def render_result(view: ResultView, *, key: str, expand_text: bool = True) -> None:
    """Show one document's full result; every file-derived string is plain text or escaped."""
    st.subheader(md_escape(view.filename), anchor=False)
    facts = [fmt_bytes(view.size)]
    if view.kind:
        facts.append(view.kind.upper())
    if view.sha256:
        facts.append(f"sha256 {view.sha256[:12]}…")
    st.caption(md_escape(" · ".join(facts)))

    if view.status in ACTIVE:
        st.info(f"Still being processed: {view.progress or 0}% done.", icon=":material/autorenew:")
        return
    if view.status == "cancelled":
        st.warning("This document was cancelled before it was read.", icon=":material/cancel:")
        return
    if view.error:
        st.error(md_escape(view.error), icon=":material/error:")
        return
    if view.category is None:
        st.warning("No classification was stored for this document.")
        return

    metrics = st.columns(4)
    metrics[0].metric("Category", md_escape(view.category))
    metrics[1].metric("Confidence", f"{(view.confidence or 0.0):.0%}")
    metrics[2].metric("Pages", "—" if view.pages is None else f"{view.pages:,}")
    metrics[3].metric("Characters", "—" if view.characters is None else f"{view.characters:,}")
    engine = " · ".join(
        x
        for x in (
            f"reader: {view.engine}" if view.engine else "",
            f"classifier: {view.classifier}" if view.classifier else "",
            "text truncated" if view.truncated else "",
            f"{view.timings['total_ms']:.0f} ms" if "total_ms" in view.timings else "",
        )
        if x
    )
    if engine:
        st.caption(md_escape(engine))
    if view.corrected_category:
        st.info(f"An analyst corrected this to **{md_escape(view.corrected_category)}**.")
    if view.needs_review:
        st.warning(
            f"Needs review: {md_escape(view.review_reason or 'low confidence')}",
            icon=":material/visibility:",
        )

    left, right = st.columns([3, 2], gap="large")
    with left:
        st.markdown("**Scores per category**")
        if view.scores:
            horizontal_bars(scores_frame(view.scores), "score")
        else:
            st.caption("The classifier gave no per-category scores.")
    with right:
        st.markdown("**Reason**")
        st.info(md_escape(view.rationale or "No reason was given."), icon=":material/lightbulb:")
        st.markdown("**Detector hits**")
        hits = detector_frame(view.detectors)
        if hits.empty:
            st.caption("No detector fired.")
        else:
            st.dataframe(hits, hide_index=True, width="stretch", key=f"{key}_detectors")
        if view.evidence:
            evidence = pd.DataFrame(
                [
                    {
                        "detector": str(e.get("detector", "")),
                        "text (masked)": str(e.get("text", "")),
                        "page": e.get("page"),
                    }
                    for e in view.evidence
                ]
            )
            with st.expander(f"Evidence ({len(evidence)} hits, with pages)"):
                st.dataframe(evidence, hide_index=True, width="stretch", key=f"{key}_evidence")

    if view.doc_id and view.job_id:
        render_correction(view, key=key)

    preview = view.text_preview or ""
    label = f"Text preview (first {min(len(preview), PREVIEW_CHARS):,} characters)"
    with st.expander(label, expanded=expand_text):
        if preview.strip():
            st.code(preview, language=None, wrap_lines=True, height=320)
        else:
            st.caption("No text.")


def render_correction(view: ResultView, *, key: str) -> None:
    """Let an analyst set the right category; it is stored and becomes a training example."""
    runner = get_runner()
    job = store.get_job_row(db=runner.db, job_id=view.job_id or "")
    if job is None:
        return
    names = parse_taxonomy(job.taxonomy_toml, name=job.taxonomy_name).names
    current = view.corrected_category or view.category
    expander = st.expander("Correct the category", icon=":material/edit:")
    with expander, st.form(f"{key}_correct", border=False):
        choice = st.selectbox(
            "Right category",
            names,
            index=names.index(current) if current in names else 0,
            key=f"{key}_correct_choice",
        )
        who = st.text_input("Your name (optional)", key=f"{key}_correct_who", max_chars=80)
        if st.form_submit_button("Save correction", icon=":material/save:"):
            runner.correct(view.doc_id or "", choice, corrected_by=who.strip() or None)
            st.toast(f"Saved: {md_escape(choice)}. It counts as an example from now on.")
            view.corrected_category = choice


# --- job status snapshot (polled every second) ------------------------------------------

TABLE_COLUMNS = [
    "doc_id",
    "file",
    "status",
    "progress",
    "category",
    "confidence",
    "review",
    "error",
]


@dataclass(frozen=True)
class JobSnapshot:
    """Everything the Job status page shows for one tick, read in one short transaction."""

    job_id: str
    status: str
    taxonomy: str
    classifier: str
    total: int
    counts: dict[str, int]
    progress: float
    created_at: datetime | None
    updated_at: datetime | None
    finished_at: datetime | None
    error: str | None
    table: pd.DataFrame

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    @property
    def completed(self) -> int:
        return self.counts.get("completed", 0)

    @property
    def failed(self) -> int:
        return self.counts.get("failed", 0)

    @property
    def retryable(self) -> int:
        return self.counts.get("failed", 0) + self.counts.get("cancelled", 0)

    @property
    def done(self) -> int:
        return self.total - self.counts.get("pending", 0) - self.counts.get("processing", 0)


def job_status_of(runner: Runner, job_id: str) -> str | None:
    """Only the job's status: decides whether the live view polls."""
    return store.job_status(db=runner.db, job_id=job_id)


def load_job_snapshot(runner: Runner, job_id: str) -> JobSnapshot | None:
    """The job row and the status-table columns of its documents (no JSON, no text).

    Two indexed queries in one read transaction, so counts and table agree; this is what
    the status fragment runs every second (see bench/status_page.py).
    """
    found = store.job_table_rows(db=runner.db, job_id=job_id)
    if found is None:
        return None
    job, rows = found
    table = pd.DataFrame.from_records(rows, columns=TABLE_COLUMNS)
    table["confidence"] = table["confidence"].astype("float64") * 100  # shown as "87%"
    counts = {k: int(v) for k, v in table["status"].value_counts().items()}
    progress = 100.0 if job.status == JobStatus.completed else float(table["progress"].mean() or 0)
    if table.empty:
        progress = 100.0 if job.status not in ACTIVE else 0.0
    return JobSnapshot(
        job_id=job.id,
        status=job.status,
        taxonomy=job.taxonomy_name,
        classifier=job.classifier,
        total=len(table),
        counts=counts,
        progress=round(progress, 1),
        created_at=job.created_at,
        updated_at=job.updated_at,
        finished_at=job.finished_at,
        error=job.error,
        table=table,
    )


def category_counts(table: pd.DataFrame) -> pd.DataFrame:
    """Documents per final category (classified documents only)."""
    classified = table["category"].dropna()
    counts = classified.value_counts()
    return pd.DataFrame({"category": counts.index.astype(str), "documents": counts.to_numpy()})


def documents_table_key(job_id: str) -> str:
    """Widget key of a job's document table (its row selection lives under it)."""
    return f"job_documents_{job_id}"


def status_table_config() -> dict[str, Any]:
    cc = st.column_config
    return {
        "file": cc.TextColumn("File", width="medium"),
        "status": cc.TextColumn("Status", width="small"),
        "progress": cc.ProgressColumn(
            "Progress", min_value=0, max_value=100, format="%d%%", width="small"
        ),
        "category": cc.TextColumn("Category"),
        "confidence": cc.NumberColumn("Confidence", format="%.0f%%", width="small"),
        "review": cc.CheckboxColumn("Review", width="small", help="Flagged for an analyst"),
        "error": cc.TextColumn("Error", width="large"),
    }


# --- jobs list -------------------------------------------------------------------------


JOBS_COLUMNS = [
    "job_id",
    "link",
    "status",
    "progress",
    "files",
    "completed",
    "failed",
    "created",
    "updated",
]


def jobs_frame(
    runner: Runner, statuses: Sequence[str] | None, limit: int, offset: int
) -> tuple[int, pd.DataFrame]:
    """Jobs newest first with their progress, for the Jobs page table."""
    listing = store.list_jobs(db=runner.db, statuses=statuses or None, limit=limit, offset=offset)
    ids = [j.job_id for j in listing.jobs]
    progress = store.job_progress(db=runner.db, job_ids=ids)
    rows = [
        {
            "job_id": j.job_id,
            "link": f"{STATUS_URL}?job={j.job_id}",
            "status": j.status,
            "progress": 100.0 if j.status == JobStatus.completed else progress.get(j.job_id, 0.0),
            "files": j.total_files,
            "completed": j.completed,
            "failed": j.failed,
            "created": as_utc(j.created_at),
            "updated": as_utc(j.updated_at),
        }
        for j in listing.jobs
    ]
    return listing.total, pd.DataFrame(rows, columns=JOBS_COLUMNS)


def recent_jobs(runner: Runner, limit: int = 50) -> list[tuple[str, str]]:
    """(job id, label) of the newest jobs, for pickers."""
    listing = store.list_jobs(db=runner.db, limit=limit)
    return [
        (
            j.job_id,
            f"{fmt_time(j.created_at)} · {j.status} · {j.total_files} files · {short_id(j.job_id)}",
        )
        for j in listing.jobs
    ]
