"""``EmbeddingClassifier``: the embedding backend behind the classifier interface.

``classify`` answers one document from its cosine similarity to each category's name,
description and keywords; ``classify_batch`` co-trains over the batch (from ``MIN_DOCS``
documents on) seeded by those answers. Not wired into ``factory.py``: which classifier runs
by default is decided from ``bench/embedding_eval.py``. The probabilities are a softmax of
the cosines at a fixed temperature, not calibrated.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from docclass.classifiers.base import Classification
from docclass.classifiers.embedding.cotrain import MIN_DOCS, co_train
from docclass.classifiers.embedding.model import MODEL_ID, Embedder, load_embedder
from docclass.classifiers.embedding.zero_shot import category_vectors, cosines, softmax
from docclass.detectors import DetectorResult
from docclass.taxonomy import Taxonomy

TEMPERATURE = 0.05


class EmbeddingClassifier:
    """Offline, per-document zero-shot from sentence embeddings; co-training over a batch."""

    name = "embedding"

    def __init__(
        self, taxonomy: Taxonomy, embedder: Embedder | None = None, style: str = "joined"
    ) -> None:
        self.taxonomy = taxonomy
        self.style = style
        self._embedder = embedder or load_embedder()
        self._categories: dict[str, np.ndarray] = {}

    def _category_vectors(self, taxonomy: Taxonomy) -> np.ndarray:
        key = taxonomy.source_text or repr(taxonomy.categories)
        if key not in self._categories:
            self._categories[key] = category_vectors(self._embedder, taxonomy, self.style)
        return self._categories[key]

    def classify(
        self,
        text: str,
        detectors: Sequence[DetectorResult] = (),
        taxonomy: Taxonomy | None = None,
    ) -> Classification:
        taxonomy = taxonomy or self.taxonomy
        sims = cosines(self._embedder.embed([text]), self._category_vectors(taxonomy))
        return self._result(taxonomy, sims[0], softmax(sims, TEMPERATURE)[0], "single")

    def classify_batch(
        self,
        texts: Sequence[str],
        detectors: Sequence[Sequence[DetectorResult]] | None = None,
    ) -> list[Classification]:
        """Each document alone below ``MIN_DOCS``, else co-trained on the batch."""
        texts = list(texts)
        vectors = self._embedder.embed(texts)
        sims = cosines(vectors, self._category_vectors(self.taxonomy))
        probs = softmax(sims, TEMPERATURE)
        stage = "single"
        if len(texts) >= MIN_DOCS:
            probs, stage = co_train(texts, vectors, probs), "batch"
        return [self._result(self.taxonomy, sims[i], probs[i], stage) for i in range(len(texts))]

    def _result(
        self, taxonomy: Taxonomy, sims: np.ndarray, probs: np.ndarray, stage: str
    ) -> Classification:
        names = taxonomy.names
        order = np.argsort(-probs, kind="stable")
        best = names[order[0]]
        closest = np.argsort(-sims, kind="stable")
        reason = (
            f"Closest in meaning to what {names[closest[0]]!r} describes "
            f"(similarity {sims[closest[0]]:.2f}; next {names[closest[1]]!r} "
            f"{sims[closest[1]]:.2f})."
        )
        if stage == "batch":
            reason += f" Refined over the batch: {best!r} fits the documents most like it."
        return Classification(
            final_category=best,
            confidence=float(probs[order[0]]),
            scores={n: float(p) for n, p in zip(names, probs, strict=True)},
            rationale=reason,
            classifier=self.name,
            meta={"model": MODEL_ID, "stage": stage, "cosine": float(sims[order[0]])},
        )
