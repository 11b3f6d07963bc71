"""Text the pages show, made from engine values: pure functions, no Streamlit.

Untrusted text (file names, error messages, document text, taxonomy names) reaches a
Markdown-rendering element only through :func:`md_escape`. Everything here can be imported
and tested without a Streamlit script run.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING

from docclass.taxonomy import BUILTIN

if TYPE_CHECKING:
    from docclass.schemas import JobOut
    from docclass.settings import Settings

# Material icons, not emoji: they ship with Streamlit, so every browser draws them.
STATUS_ICONS = {
    "pending": ":material/schedule:",
    "processing": ":material/autorenew:",
    "finishing": ":material/hourglass_bottom:",
    "completed": ":material/check_circle:",
    "failed": ":material/error:",
    "cancelled": ":material/cancel:",
}
STATUS_COLORS = {
    "pending": "orange",
    "processing": "blue",
    "finishing": "violet",
    "completed": "green",
    "failed": "red",
    "cancelled": "gray",
}

# --- safe Markdown -------------------------------------------------------------------------

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


def status_label(status: str) -> str:
    """A status as coloured icon + word (Markdown; the word is escaped all the same)."""
    icon = STATUS_ICONS.get(status, ":material/help:")
    return f":{STATUS_COLORS.get(status, 'gray')}[{icon}] {md_escape(status)}"


# --- numbers, times, ids -------------------------------------------------------------------


def short_id(job_id: str) -> str:
    return job_id[:8]


# Sizes in decimal units (1 kB = 1,000 bytes), as the browser's uploader shows them, so a
# file has one size on every page. (DOCCLASS_MAX_FILE_MB is in MiB: see limit_text.)
UNIT = 1000


def fmt_bytes(size: int | None) -> str:
    if size is None:
        return "—"
    value = float(size)
    for unit in ("B", "kB", "MB"):
        if value < UNIT:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= UNIT
    return f"{value:.1f} GB"


def as_utc(value: datetime | None) -> datetime | None:
    """Databases that drop the zone (SQLite) store UTC: a naive time is UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def fmt_time(value: datetime | None, tz: tzinfo | None = None) -> str:
    """``2026-01-31 17:05:09`` in ``tz`` (the analyst's zone; UTC when not given)."""
    utc = as_utc(value)
    if utc is None:
        return "—"
    return utc.astimezone(tz or UTC).strftime("%Y-%m-%d %H:%M:%S")


def percent(fraction: float | None) -> str:
    return "—" if fraction is None else f"{fraction:.0%}"


# --- labels ----------------------------------------------------------------------------------


def taxonomy_label(spec: str) -> str:
    """``default`` for built-ins, the file's stem for a saved or configured TOML file."""
    return spec if spec in BUILTIN else Path(spec).stem


def effective_classifier(settings: Settings, kind: str | None = None) -> str:
    """What ``kind`` really runs: ``auto`` without an API key is the local classifier."""
    kind = kind or settings.classifier
    if kind == "auto" and not settings.openai_api_key:
        return "auto (local only: no API key)"
    return kind


def job_label(job: JobOut, tz: tzinfo | None = None) -> str:
    """One line per job for pickers: its name (or when), status, size and short id."""
    return (
        f"{job.name or fmt_time(job.created_at, tz)} · {job.status} · {job.total_files} files · "
        f"{short_id(job.job_id)}"
    )


def job_caption(job: JobOut, tz: tzinfo | None = None) -> str:
    """The facts line above a job's status (plain text: escape before rendering)."""
    return (
        f"Job {job.job_id} · taxonomy {job.taxonomy_name} · classifier {job.classifier} · "
        f"created {fmt_time(job.created_at, tz)} · updated {fmt_time(job.updated_at, tz)}"
    )


def progress_text(job: JobOut) -> str:
    """The words under a job's progress bar: progress and "done" are over the documents
    the job reads (``to_read``); cancelled ones are neither done nor pending."""
    text = f"{job.progress:.0f}% · {job.done} of {job.to_read} documents done"
    if job.cancelled:
        text += f" · {job.cancelled} cancelled (not read)"
    if job.status == "finishing":
        text += " · refining the answers as one batch"
    return text


def finished_text(job: JobOut) -> str:
    """The toast for a job that ended while this session watched it."""
    return (
        f"Job {short_id(job.job_id)} {job.status}: {job.completed} of {job.total_files} "
        f"classified, {job.failed} failed"
    )


def finished_icon(job: JobOut) -> str | None:
    return ":material/warning:" if job.failed else STATUS_ICONS.get(job.status)


def limit_text(max_file_bytes: int) -> str:
    """The file size limit in the pages' unit, with the setting's own (``52.4 MB (50 MiB)``)."""
    return f"{fmt_bytes(max_file_bytes)} ({max_file_bytes / (1024 * 1024):g} MiB)"


def confidence_text(confidence: float | None) -> str:
    return "" if confidence is None else f"{confidence:.0%}"


def local_job_name(when: datetime, first_file: str, files: int) -> str:
    """The name a job gets unless the analyst types one (the date in their zone)."""
    from docclass.jobs.service import default_job_name

    return default_job_name(when, first_file, files)


def result_facts(size: int | None, kind: str | None, sha256: str | None) -> str:
    """``12.3 KB · PDF · sha256 0123456789ab…`` (plain text: escape before rendering)."""
    facts = [fmt_bytes(size)]
    if kind:
        facts.append(kind.upper())
    if sha256:
        facts.append(f"sha256 {sha256[:12]}…")
    return " · ".join(facts)


def engine_facts(
    engine: str | None,
    classifier: str | None,
    truncated: bool,
    timings: dict[str, float] | None,
    *,
    ocr_pages: int | None = None,
    ocr_confidence: float | None = None,
) -> str:
    """``reader: pypdfium2 · classifier: local · 42 ms`` (plain text); a scan's line says how
    much of its text came from OCR: ``text from OCR on 3 pages (mean confidence 91%)``."""
    timings = timings or {}
    ocr = ""
    if ocr_pages:
        ocr = f"text from OCR on {ocr_pages:,} page{'s' if ocr_pages != 1 else ''}"
        if ocr_confidence is not None:
            ocr += f" (mean confidence {ocr_confidence:.0%})"
    parts = (
        f"reader: {engine}" if engine else "",
        ocr,
        f"classifier: {classifier}" if classifier else "",
        "text truncated" if truncated else "",
        f"{timings['total_ms']:.0f} ms" if "total_ms" in timings else "",
    )
    return " · ".join(p for p in parts if p)
