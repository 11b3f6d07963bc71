"""After classification: detector floors, the review flag and cited evidence.

On an ordered taxonomy (a ladder such as Public < Confidential < Highly Sensitive < Unsafe)
a category's ``floor_if`` detectors lift a document to at least that category: when the
classifier and the floor disagree, the stricter label wins and the document is flagged.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from docclass.classifiers.base import Classification
from docclass.detectors import DETECTORS, DetectorResult
from docclass.schemas import Verdict
from docclass.taxonomy import Taxonomy

EVIDENCE_PER_DETECTOR = 5


@dataclass
class Review:
    classification: Classification
    needs_review: bool = False
    reasons: list[str] = field(default_factory=list)
    evidence: list[dict[str, Any]] = field(default_factory=list)

    @property
    def reason(self) -> str | None:
        return "; ".join(self.reasons) or None

    def verdict(self) -> Verdict:
        """The reviewed answer in the shape the store keeps."""
        final = self.classification
        return Verdict(
            final_category=final.final_category,
            confidence=float(final.confidence),
            scores={k: float(v) for k, v in final.scores.items()},
            rationale=final.rationale,
            classifier=final.classifier,
            classifier_meta=final.meta or {},
            needs_review=self.needs_review,
            review_reason=self.reason,
        )


def detector_floor(
    taxonomy: Taxonomy, detectors: Sequence[DetectorResult]
) -> tuple[int, list[str]] | None:
    """The strictest category whose ``floor_if`` detectors fired, and which ones fired."""
    if not taxonomy.ordered:
        return None
    fired = {d.name for d in detectors if d.count > 0}
    for index in range(len(taxonomy.categories) - 1, -1, -1):
        hits = [name for name in taxonomy.categories[index].floor_if if name in fired]
        if hits:
            return index, hits
    return None


def page_of(offset: int, page_starts: Sequence[int] | None) -> int:
    """1-based page holding a character offset."""
    if not page_starts:
        return 1
    return max(1, bisect_right(list(page_starts), offset))


def _shown(name: str, fragment: str) -> str:
    """Masked text of a hit: detectors mask their own finds; keywords are shown as matched."""
    detector = DETECTORS.get(name)
    if detector is not None:
        found = detector(fragment)
        if found:
            return found[0].masked
    return fragment.lower() if name.startswith("keywords:") else fragment


def evidence(
    text: str,
    detectors: Sequence[DetectorResult],
    page_starts: Sequence[int] | None,
    names: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    """The first hits of each detector (or only ``names``), masked, with their page numbers."""
    out: list[dict[str, Any]] = []
    for result in detectors:
        if result.count == 0 or (names is not None and result.name not in names):
            continue
        for start, end in result.spans[:EVIDENCE_PER_DETECTOR]:
            out.append(
                {
                    "detector": result.name,
                    "text": _shown(result.name, text[start:end]),
                    "page": page_of(start, page_starts),
                }
            )
    return out


def review(
    result: Classification,
    detectors: Sequence[DetectorResult],
    taxonomy: Taxonomy,
    *,
    text: str = "",
    page_starts: Sequence[int] | None = None,
    review_threshold: float = 0.5,
) -> Review:
    """Apply floors (stricter wins) and decide whether an analyst should look."""
    reasons: list[str] = []
    final = result
    floor = detector_floor(taxonomy, detectors)
    if floor is not None:
        floor_index, fired = floor
        floor_name = taxonomy.categories[floor_index].name
        names = taxonomy.names
        current = names.index(result.final_category) if result.final_category in names else -1
        if current < floor_index:
            reasons.append(
                f"classifier said {result.final_category}, but {', '.join(fired)} "
                f"require at least {floor_name}"
            )
            final = replace(
                result,
                final_category=floor_name,
                rationale=f"Raised to {floor_name} by {', '.join(fired)}. {result.rationale}",
                meta={
                    **result.meta,
                    "floor": floor_name,
                    "classifier_category": result.final_category,
                },
            )
    if result.meta.get("fits_none"):  # a taxonomy without a catch-all: an analyst decides
        reasons.append(f"close to none of the categories; {result.final_category} is the nearest")
    if result.confidence < review_threshold:
        reasons.append(f"confidence {result.confidence:.2f} is below {review_threshold:.2f}")
    if result.meta.get("disagreement"):
        cascade = result.meta.get("cascade", {})
        reasons.append(
            f"local said {cascade.get('local_category')}, LLM said {cascade.get('llm_category')}"
        )
    floor_detectors = {n for c in taxonomy.categories for n in c.floor_if}
    cited_names = {*DETECTORS, *floor_detectors, f"keywords:{final.final_category}"}
    cited = evidence(text, detectors, page_starts, names=sorted(cited_names)) if text else []
    # Floor evidence first: it is what an analyst must check.
    cited.sort(key=lambda e: e["detector"] not in floor_detectors)
    return Review(classification=final, needs_review=bool(reasons), reasons=reasons, evidence=cited)
