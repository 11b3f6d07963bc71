"""Settings page: the taxonomy in use, a TOML editor with inline validation, and the engine
settings in effect (read-only: they come from the environment, see the README).

The API key is never shown, only whether one is configured.
"""

from __future__ import annotations

import streamlit as st

from webui import admin
from webui.format import md_escape, taxonomy_label
from webui.service import get_service
from webui.session import flash, show_flash
from webui.sidebar import default_engine_facts
from webui.widgets import taxonomy_choices

EDITOR_TEXT = "taxonomy_editor_text"
EDITOR_NAME = "taxonomy_editor_name"
EDITOR_SOURCE = "taxonomy_editor_source"
SHOW_NEXT = "settings_taxonomy_next"
# Bumped after a save: a new uploader key empties the uploader, so the file loaded before
# the fix is not loaded into the editor again.
UPLOAD_ROUND = "taxonomy_upload_round"
# The editor in a monospace font (our own CSS, no user content): columns line up as in a
# code editor, and line numbers of errors are easy to follow.
EDITOR_CSS = (
    "<style>.st-key-taxonomy_editor_text textarea {font-family: 'Source Code Pro', "
    "ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 0.85rem; line-height: 1.45;}"
    "</style>"
)

service = get_service()
settings = service.settings
default_engine_facts(settings)

st.title("Settings")
show_flash()

# --- taxonomy in use -------------------------------------------------------------------

st.subheader("Taxonomy", anchor=False)
choices = taxonomy_choices(settings)
if st.session_state.get(SHOW_NEXT) in choices:  # just saved: show it
    st.session_state["settings_taxonomy"] = st.session_state.pop(SHOW_NEXT)
shown = st.selectbox(
    "Taxonomy",
    choices,
    index=choices.index(settings.taxonomy),
    format_func=lambda s: taxonomy_label(s) + (" (in use)" if s == settings.taxonomy else ""),
    key="settings_taxonomy",
    help="The one in use comes from DOCCLASS_TAXONOMY; saved ones can be picked per job.",
)
opened = admin.open_taxonomy(shown)
taxonomy = opened.taxonomy
if opened.error:
    st.error(md_escape(opened.error))
if taxonomy is not None:
    st.caption(md_escape(admin.taxonomy_summary(shown, taxonomy)))
    st.dataframe(
        admin.taxonomy_frame(taxonomy),
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
upload_round = st.session_state.get(UPLOAD_ROUND, 0)
loaded = st.file_uploader(
    "Load a TOML file", type=["toml"], key=f"taxonomy_upload_{upload_round}", max_upload_size=1
)

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
    default_name = admin.default_save_name(shown)
if st.session_state.get(EDITOR_SOURCE) != source:
    # A new starting point replaces the editor's text (only then: edits survive reruns).
    st.session_state[EDITOR_SOURCE] = source
    st.session_state[EDITOR_TEXT] = source_text
    st.session_state[EDITOR_NAME] = default_name

st.html(EDITOR_CSS)
text = st.text_area(
    "Taxonomy TOML",
    key=EDITOR_TEXT,
    height=360,
    help="Press Ctrl+Enter (or click outside) to validate.",
)
with st.expander("The text with line numbers", icon=":material/format_list_numbered:"):
    st.code(text, language="toml", line_numbers=True, height=360)
name = st.text_input(
    "Save as", key=EDITOR_NAME, help="Letters, digits, - and _; the built-in names are taken."
)

checked = admin.check_taxonomy(settings, text, name)
if checked.taxonomy is None:
    errors = checked.errors or (checked.error or "",)
    if len(errors) > 1:
        st.caption(f"{len(errors)} problems to fix:")
    for error in errors:
        st.error(md_escape(error), icon=":material/error:")
        line = admin.error_line(error)
        if line:
            st.code(admin.excerpt(text, line), language=None)
else:
    valid = checked.taxonomy
    st.success(
        md_escape(f"Valid: {len(valid.categories)} categories ({', '.join(valid.names)})."),
        icon=":material/check_circle:",
    )

if st.button(
    "Save taxonomy", type="primary", disabled=checked.taxonomy is None, icon=":material/save:"
):
    path, error = admin.save(settings, name, text)
    if path is None:
        st.error(md_escape(error), icon=":material/error:")
    else:
        flash(
            md_escape(
                f"Saved as {path}. Pick it on Classify or Batch, or set "
                f"DOCCLASS_TAXONOMY={path} to make it the default."
            ),
            icon=":material/save:",
        )
        st.session_state[SHOW_NEXT] = str(path)
        st.session_state.pop(EDITOR_SOURCE, None)
        st.session_state[UPLOAD_ROUND] = upload_round + 1
        st.rerun()

# --- engine settings -------------------------------------------------------------------

st.subheader("Classifier and workers", anchor=False)
st.caption("Read-only here: set them in the environment and restart the app.")
st.dataframe(
    admin.engine_settings_frame(settings),
    hide_index=True,
    width="stretch",
    key="settings_engine_table",
)
