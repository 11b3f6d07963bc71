"""Which classifier a job runs: ``local``, ``openai`` or ``auto`` (the cascade)."""

from __future__ import annotations

from collections.abc import Sequence

from docclass.classifiers.base import Classifier
from docclass.settings import Settings
from docclass.taxonomy import Taxonomy

KINDS = ("local", "openai", "auto")


def check_kind(kind: str, settings: Settings) -> None:
    """Refuse a classifier that cannot run with these settings (before any file is stored)."""
    if kind not in KINDS:
        raise ValueError(f"unknown classifier {kind!r}; choose one of {', '.join(KINDS)}")
    if kind == "openai" and not settings.openai_api_key:
        raise ValueError(
            "classifier 'openai' needs an API key: set OPENAI_API_KEY, or use 'local'/'auto'"
        )


def uses_llm(kind: str, settings: Settings) -> bool:
    """``openai``, or ``auto`` with a key; ``auto`` without a key is the local classifier."""
    return kind == "openai" or (kind == "auto" and bool(settings.openai_api_key))


def uses_local(kind: str) -> bool:
    return kind in ("local", "auto")


def build_classifier(
    kind: str,
    settings: Settings,
    taxonomy: Taxonomy,
    examples: Sequence[tuple[str, str]] = (),
) -> Classifier:
    """A whole classifier in this process; ``examples`` are (text, category) pairs."""
    from docclass.classifiers.local import LocalClassifier

    check_kind(kind, settings)
    local = LocalClassifier(taxonomy, examples)
    if not uses_llm(kind, settings):
        return local
    from docclass.classifiers.llm import build_classifier as build_llm

    return build_llm(kind, settings, local)
