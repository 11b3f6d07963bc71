"""The classifier interface every classifier implements, and its result type."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from docclass.detectors import DetectorResult
from docclass.taxonomy import Taxonomy


@dataclass
class Classification:
    final_category: str
    confidence: float
    scores: dict[str, float]
    rationale: str
    classifier: str
    # Extra facts about how the answer was made (LLM model, tokens, latency, which stage decided).
    meta: dict[str, Any] = field(default_factory=dict)
    # What the offline classifier measured that no example changes, stored for the job's
    # batch pass and re-scores: the head's layout, and the meaning reader's vector (float32).
    layout: bytes | None = field(default=None, repr=False)
    embedding: bytes | None = field(default=None, repr=False)

    def top(self, n: int = 3) -> list[tuple[str, float]]:
        return sorted(self.scores.items(), key=lambda kv: kv[1], reverse=True)[:n]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Classifier(Protocol):
    name: str

    def classify(
        self, text: str, detectors: Sequence[DetectorResult], taxonomy: Taxonomy
    ) -> Classification: ...


class ClassificationError(RuntimeError):
    """A classifier could not produce an answer (e.g. the LLM gave up after retries)."""
