"""Settings page: the taxonomy in use, a TOML editor with inline validation, and the engine
settings in effect (read-only: they come from the environment, see the README).

The API key is never shown, only whether one is configured.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pandas as pd
import streamlit as st

from docclass import ui
from docclass.taxonomy import (
    BUILTIN,
    Taxonomy,
    TaxonomyError,
    available_taxonomies,
    load_taxonomy,
    parse_taxonomy,
    save_taxonomy,
    user_taxonomy_dir,
)

EDITOR_TEXT = "taxonomy_editor_text"
EDITOR_NAME = "taxonomy_editor_name"
EDITOR_SOURCE = "taxonomy_editor_source"
SHOW_NEXT = "settings_taxonomy_next"

ui.ensure_routed()
runner = ui.get_runner()
settings = runner.settings

st.title("Settings")
ui.show_flash()


def taxonomy_frame(taxonomy: Taxonomy) -> pd.DataFrame:
    """One row per category: what an analyst needs to judge the taxonomy."""
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


# --- taxonomy in use -------------------------------------------------------------------

st.subheader("Taxonomy", anchor=False)
choices = available_taxonomies(settings.data_dir)
if settings.taxonomy not in choices:
    choices.insert(0, settings.taxonomy)
if st.session_state.get(SHOW_NEXT) in choices:  # just saved: show it
    st.session_state["settings_taxonomy"] = st.session_state.pop(SHOW_NEXT)
shown = st.selectbox(
    "Taxonomy",
    choices,
    index=choices.index(settings.taxonomy),
    format_func=lambda s: ui.taxonomy_label(s) + (" (in use)" if s == settings.taxonomy else ""),
    key="settings_taxonomy",
    help="The one in use comes from DOCCLASS_TAXONOMY; saved ones can be picked per job.",
)
try:
    taxonomy: Taxonomy | None = load_taxonomy(shown)
except TaxonomyError as exc:
    taxonomy = None
    st.error(ui.md_escape(str(exc)))
if taxonomy is not None:
    kind = "built-in" if shown in BUILTIN else "saved file"
    st.caption(
        ui.md_escape(
            f"{taxonomy.name} · {kind} · {len(taxonomy.categories)} categories"
            + (" · ordered (a sensitivity ladder)" if taxonomy.ordered else "")
        )
    )
    st.dataframe(
        taxonomy_frame(taxonomy),
        hide_index=True,
        width="stretch",
        height=38 + 35 * len(taxonomy.categories),
        key="settings_taxonomy_table",
        column_config={
            "name": st.column_config.TextColumn("Name", width="small"),
            "description": st.column_config.TextColumn("Description", width="large"),
            "keywords": st.column_config.TextColumn("Keywords", width="large"),
        },
    )

# --- editor ----------------------------------------------------------------------------

st.subheader("Edit or add a taxonomy", anchor=False)
st.caption(
    "Start from the taxonomy above or load a TOML file, edit it, and save it under a new "
    "name. Errors name the line to fix. Saved taxonomies can be chosen on Classify and Batch."
)
loaded = st.file_uploader("Load a TOML file", type=["toml"], key="taxonomy_upload")

if loaded is not None:
    source = ("file", loaded.file_id)
    try:
        source_text = loaded.getvalue().decode("utf-8")
    except UnicodeDecodeError:
        source_text = ""
        st.error("That file is not UTF-8 text; save it as UTF-8 and load it again.")
    default_name = loaded.name.rsplit(".", 1)[0]
else:
    source = ("taxonomy", shown)
    source_text = taxonomy.source_text if taxonomy is not None else ""
    default_name = (
        f"my-{ui.taxonomy_label(shown)}" if shown in BUILTIN else ui.taxonomy_label(shown)
    )
if st.session_state.get(EDITOR_SOURCE) != source:
    # A new starting point replaces the editor's text (only then: edits survive reruns).
    st.session_state[EDITOR_SOURCE] = source
    st.session_state[EDITOR_TEXT] = source_text
    st.session_state[EDITOR_NAME] = default_name

text = st.text_area(
    "Taxonomy TOML",
    key=EDITOR_TEXT,
    height=360,
    help="Press Ctrl+Enter (or click outside) to validate.",
)
name = st.text_input(
    "Save as", key=EDITOR_NAME, help="Letters, digits, - and _; the built-in names are taken."
)

valid: Taxonomy | None = None
try:
    valid = parse_taxonomy(
        text, name=name or "custom", base_dir=user_taxonomy_dir(settings.data_dir)
    )
except TaxonomyError as exc:
    st.error(ui.md_escape(str(exc)), icon=":material/error:")
else:
    st.success(
        ui.md_escape(f"Valid: {len(valid.categories)} categories ({', '.join(valid.names)})."),
        icon=":material/check_circle:",
    )

if st.button("Save taxonomy", type="primary", disabled=valid is None, icon=":material/save:"):
    try:
        path = save_taxonomy(settings.data_dir, name, text)
    except TaxonomyError as exc:
        st.error(ui.md_escape(str(exc)), icon=":material/error:")
    else:
        ui.flash(
            ui.md_escape(
                f"Saved as {path}. Pick it on Classify or Batch, or set "
                f"DOCCLASS_TAXONOMY={path} to make it the default."
            ),
            icon=":material/save:",
        )
        st.session_state[SHOW_NEXT] = str(path)
        st.session_state.pop(EDITOR_SOURCE, None)
        st.rerun()

# --- engine settings -------------------------------------------------------------------

st.subheader("Classifier and workers", anchor=False)
st.caption("Read-only here: set them in the environment and restart the app.")
limits = settings.limits
base_url = settings.openai_base_url
rows = [
    ("Classifier", ui.effective_classifier(settings), "DOCCLASS_CLASSIFIER"),
    (
        "OpenAI API key",
        "configured" if settings.openai_api_key else "not configured",
        "OPENAI_API_KEY",
    ),
    ("OpenAI model", settings.openai_model, "DOCCLASS_OPENAI_MODEL"),
    ("OpenAI endpoint", urlsplit(base_url).netloc if base_url else "default", "OPENAI_BASE_URL"),
    ("Cascade threshold", f"{settings.cascade_threshold:g}", "DOCCLASS_CASCADE_THRESHOLD"),
    ("Review threshold", f"{settings.review_threshold:g}", "DOCCLASS_REVIEW_THRESHOLD"),
    ("Worker threads", str(settings.workers), "DOCCLASS_WORKERS"),
    ("Extraction processes", str(settings.process_workers), "DOCCLASS_PROCESS_WORKERS"),
    ("Largest file", ui.fmt_bytes(limits.max_file_bytes), "DOCCLASS_MAX_FILE_MB"),
    ("Pages read per PDF", f"{limits.max_pages:,}", "DOCCLASS_MAX_PAGES"),
    ("Characters kept", f"{limits.max_chars:,}", "DOCCLASS_MAX_CHARS"),
    ("Time per document", f"{limits.doc_timeout_s:g} s", "DOCCLASS_DOC_TIMEOUT"),
    ("Memory per document", f"{limits.doc_memory_mb:,} MB", "DOCCLASS_DOC_MEMORY_MB"),
    ("Data folder", str(settings.data_dir), "DOCCLASS_DATA_DIR"),
    ("Database", ui.safe_database_url(settings.database_url), "DOCCLASS_DATABASE_URL"),
]
st.dataframe(
    pd.DataFrame(rows, columns=["setting", "value", "environment variable"]),
    hide_index=True,
    width="stretch",
    key="settings_engine_table",
)
