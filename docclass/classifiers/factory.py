"""Build the classifier a job asked for: ``local``, ``openai`` or ``auto`` (the cascade)."""

from __future__ import annotations

from collections.abc import Sequence

from docclass.classifiers.base import Classifier
from docclass.classifiers.local import LocalClassifier
from docclass.settings import Settings
from docclass.taxonomy import Taxonomy

KINDS = ("local", "openai", "auto")


def build_classifier(
    kind: str,
    settings: Settings,
    taxonomy: Taxonomy,
    examples: Sequence[tuple[str, str]] = (),
) -> Classifier:
    """``examples`` are (text, category) pairs: example folders and analyst corrections."""
    if kind not in KINDS:
        raise ValueError(f"unknown classifier {kind!r}; choose one of {', '.join(KINDS)}")
    local = LocalClassifier(taxonomy, examples)
    if kind == "local" or (kind == "auto" and not settings.openai_api_key):
        return local
    from docclass.classifiers.llm import build_classifier as build_llm

    return build_llm(kind, settings, local)
