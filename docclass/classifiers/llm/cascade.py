"""The local-first cascade: the LLM is asked only when the local classifier is unsure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from docclass.classifiers.base import Classification, ClassificationError, Classifier
from docclass.classifiers.llm.classifier import OpenAIClassifier
from docclass.detectors import DetectorResult
from docclass.settings import Settings
from docclass.taxonomy import Taxonomy


@dataclass
class CascadeClassifier:
    """Local first; the LLM only when the local classifier is unsure (cheaper and faster).

    If the LLM fails, the local answer stands and ``meta["cascade"]["llm_error"]`` says why:
    a low-confidence local answer already goes to review, which beats failing the document.
    """

    local: Classifier
    llm: OpenAIClassifier
    threshold: float
    name: str = field(default="auto", init=False)

    def classify(
        self, text: str, detectors: Sequence[DetectorResult], taxonomy: Taxonomy
    ) -> Classification:
        first = self.local.classify(text, detectors, taxonomy)
        return cascade(first, self.llm, self.threshold, text, detectors, taxonomy)

    def close(self) -> None:
        self.llm.close()


def cascade(
    first: Classification,
    llm: OpenAIClassifier,
    threshold: float,
    text: str,
    detectors: Sequence[DetectorResult],
    taxonomy: Taxonomy,
) -> Classification:
    """The local answer when it is sure enough, else the LLM's (local stands if it fails)."""
    record: dict[str, Any] = {
        "local_category": first.final_category,
        "local_confidence": float(first.confidence),
        "threshold": threshold,
    }
    if first.confidence >= threshold:
        meta = {**first.meta, "cascade": record, "disagreement": False}
        return replace(first, classifier="local", meta=meta)
    try:
        second = llm.classify(text, detectors, taxonomy)
    except ClassificationError as exc:
        record["llm_error"] = str(exc)
        meta = {**first.meta, "cascade": record, "disagreement": False}
        return replace(first, classifier="local", meta=meta)
    record["llm_category"] = second.final_category
    record["llm_confidence"] = float(second.confidence)
    disagreement = second.final_category != first.final_category
    meta = {**second.meta, "cascade": record, "disagreement": disagreement}
    return replace(second, classifier="openai", meta=meta)


def build_classifier(kind: str, settings: Settings, local: Classifier) -> Classifier:
    """``local``, ``openai`` or ``auto`` (cascade; plain local when no API key is set)."""
    if kind == "local":
        return local
    if kind == "openai":
        if not settings.openai_api_key:
            raise ValueError(
                "classifier 'openai' needs an API key: set OPENAI_API_KEY, or use 'local'/'auto'"
            )
        return OpenAIClassifier(settings)
    if kind == "auto":
        if not settings.openai_api_key:
            return local
        return CascadeClassifier(local, OpenAIClassifier(settings), settings.cascade_threshold)
    raise ValueError(f"unknown classifier {kind!r}; choose one of local, openai, auto")
