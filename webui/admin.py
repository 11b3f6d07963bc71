"""What the Settings page shows and does: taxonomies (view, validate, save) and the engine
settings in effect. The API key is never shown, only whether one is configured.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd
from sqlalchemy.engine import make_url

from docclass.extraction import ocr
from docclass.settings import Settings
from docclass.taxonomy import (
    BUILTIN,
    Taxonomy,
    TaxonomyError,
    load_taxonomy,
    parse_taxonomy,
    save_taxonomy,
    user_taxonomy_dir,
)
from webui.format import effective_classifier, fmt_bytes, taxonomy_label


@dataclass(frozen=True)
class Checked:
    """A taxonomy, or the messages that say which lines to fix."""

    taxonomy: Taxonomy | None = None
    error: str | None = None
    errors: tuple[str, ...] = ()


def error_line(message: str) -> int | None:
    """The line an error names (``line 4: …``), if any."""
    found = re.match(r"line (\d+)", message)
    return int(found.group(1)) if found else None


def excerpt(text: str, line: int, around: int = 2) -> str:
    """The lines around ``line``, numbered, the named one marked (plain text for st.code)."""
    lines = text.splitlines()
    first, last = max(1, line - around), min(len(lines), line + around)
    width = len(str(last))
    return "\n".join(
        f"{'>' if n == line else ' '} {n:>{width}} | {lines[n - 1]}" for n in range(first, last + 1)
    )


def is_builtin(spec: str) -> bool:
    return spec in BUILTIN


def open_taxonomy(spec: str) -> Checked:
    try:
        return Checked(taxonomy=load_taxonomy(spec))
    except TaxonomyError as exc:
        return Checked(error=str(exc))


def check_taxonomy(settings: Settings, text: str, name: str) -> Checked:
    """Validate editor text as it would be saved (example folders relative to saved ones)."""
    try:
        return Checked(
            taxonomy=parse_taxonomy(
                text, name=name or "custom", base_dir=user_taxonomy_dir(settings.data_dir)
            )
        )
    except TaxonomyError as exc:
        return Checked(error=str(exc), errors=tuple(exc.errors))


def save(settings: Settings, name: str, text: str) -> tuple[Path | None, str | None]:
    """Save under ``data/taxonomies/``: the path, or the reason it was refused."""
    try:
        return save_taxonomy(settings.data_dir, name, text), None
    except TaxonomyError as exc:
        return None, str(exc)


def default_save_name(spec: str) -> str:
    """A built-in is saved as a copy (``my-default``); a saved file under its own name."""
    return f"my-{taxonomy_label(spec)}" if is_builtin(spec) else taxonomy_label(spec)


def taxonomy_summary(spec: str, taxonomy: Taxonomy) -> str:
    kind = "built-in" if is_builtin(spec) else "saved file"
    text = f"{taxonomy.name} · {kind} · {len(taxonomy.categories)} categories"
    return text + (" · ordered (a sensitivity ladder)" if taxonomy.ordered else "")


def taxonomy_frame(taxonomy: Taxonomy) -> pd.DataFrame:
    """One row per category: what an analyst needs to judge the taxonomy (empty columns go)."""
    frame = pd.DataFrame(
        [
            {
                "name": c.name,
                "description": c.description,
                "keywords": ", ".join(c.keywords),
                "raised by detectors": ", ".join(c.floor_if),
                "examples": str(c.examples) if c.examples else "",
            }
            for c in taxonomy.categories
        ]
    )
    return frame.loc[:, (frame != "").any(axis=0) | frame.columns.isin(["name", "description"])]


def safe_database_url(url: str) -> str:
    """The database URL without its password, for display."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL SQLAlchemy parses: show only its scheme
        return url.split(":", 1)[0] + ":…"


ENGINE_COLUMNS = ["setting", "value", "environment variable"]


def engine_settings_frame(settings: Settings) -> pd.DataFrame:
    """The settings in effect, each with the variable that sets it (read-only here)."""
    limits = settings.limits
    base_url = settings.openai_base_url
    rows = [
        ("Classifier", effective_classifier(settings), "DOCCLASS_CLASSIFIER"),
        (
            "OpenAI API key",
            "configured" if settings.openai_api_key else "not configured",
            "OPENAI_API_KEY",
        ),
        ("OpenAI model", settings.openai_model, "DOCCLASS_OPENAI_MODEL"),
        (
            "OpenAI endpoint",
            urlsplit(base_url).netloc if base_url else "default",
            "OPENAI_BASE_URL",
        ),
        ("Cascade threshold", f"{settings.cascade_threshold:g}", "DOCCLASS_CASCADE_THRESHOLD"),
        ("Review threshold", f"{settings.review_threshold:g}", "DOCCLASS_REVIEW_THRESHOLD"),
        ("Worker threads", str(settings.workers), "DOCCLASS_WORKERS"),
        ("Extraction processes", str(settings.process_workers), "DOCCLASS_PROCESS_WORKERS"),
        ("Largest file", fmt_bytes(limits.max_file_bytes), "DOCCLASS_MAX_FILE_MB"),
        ("Pages read per PDF", f"{limits.max_pages:,}", "DOCCLASS_MAX_PAGES"),
        ("Characters kept", f"{limits.max_chars:,}", "DOCCLASS_MAX_CHARS"),
        ("Time per document", f"{limits.doc_timeout_s:g} s", "DOCCLASS_DOC_TIMEOUT"),
        ("Memory per document", f"{limits.doc_memory_mb:,} MB", "DOCCLASS_DOC_MEMORY_MB"),
        ("OCR (scans, images)", ocr.summary(limits), "DOCCLASS_OCR"),
        ("Data folder", str(settings.data_dir), "DOCCLASS_DATA_DIR"),
        ("Database", safe_database_url(settings.database_url), "DOCCLASS_DATABASE_URL"),
    ]
    return pd.DataFrame(rows, columns=ENGINE_COLUMNS)
