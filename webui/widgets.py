"""Widgets more than one page uses: the taxonomy/classifier pickers and the bar chart."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from docclass.classifiers.factory import KINDS
from docclass.settings import Settings
from docclass.taxonomy import available_taxonomies
from webui.format import effective_classifier, taxonomy_label

# Largest upload the browser sends (MB; also ``server.maxUploadSize`` in .streamlit/config.toml).
# Above the engine's own limit on purpose: a file between the two reaches the app, is listed
# and fails visibly as FileTooLarge instead of vanishing in the uploader.
UPLOAD_MAX_MB = 200


def taxonomy_choices(settings: Settings) -> list[str]:
    """Built-ins, saved taxonomies, and the configured one (first when it is neither)."""
    choices = available_taxonomies(settings.data_dir)
    if settings.taxonomy not in choices:
        choices.insert(0, settings.taxonomy)
    return choices


def classifier_options(settings: Settings) -> list[str]:
    """Classifiers an analyst can pick: ``openai`` only when a key is configured."""
    options = [k for k in KINDS if k != "openai" or settings.openai_api_key]
    if settings.classifier not in options:
        options.insert(0, settings.classifier)
    return options


def pick_taxonomy_and_classifier(settings: Settings, *, key: str) -> tuple[str, str]:
    """The taxonomy and classifier pickers the Classify and Batch pages share."""
    choices = taxonomy_choices(settings)
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


def horizontal_bars(frame: pd.DataFrame, value: str) -> None:
    """One bar per category, largest first, tall enough to read every label."""
    st.bar_chart(
        frame,
        x="category",
        y=value,
        horizontal=True,
        sort=f"-{value}",
        height=max(160, 28 * len(frame) + 40),
        # Horizontal: "x" is the category axis, drawn upright; its names say enough.
        x_label="",
        y_label=value,
    )


def selectable_table(frame: pd.DataFrame, key: str, **options: object) -> int | None:
    """A table with one selectable row (``options`` go to ``st.dataframe``); the row picked,
    if it is still one of this frame's rows (a shorter rerun leaves stale selections)."""
    event = st.dataframe(
        frame,
        key=key,
        on_select="rerun",
        selection_mode="single-row",
        hide_index=True,
        **options,  # type: ignore[arg-type]
    )
    rows = event.selection.rows if event is not None else []
    return int(rows[0]) if rows and rows[0] < len(frame) else None
