"""Which of a job's documents to ask an analyst about: the corrections that would teach the most.

Uncertain **and** representative (information density, Settles & Craven 2008): a document's
uncertainty (1 − confidence) times how typical it is of the documents given the same answer
(TF-IDF cosine to their centroid), so an analyst corrects the unsure answers that many others
resemble, not an unsure outlier. Picks are greedy and skip near-copies of one already picked.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import sparse

from docclass.classifiers.local.tokens import _fit_tfidf

# A document this close (cosine) to one already suggested is a near-copy: skip it.
NEAR_COPY = 0.9


def features(heads: Sequence[str]) -> sparse.csr_matrix:
    """L2-normalised TF-IDF rows of the job's classifier inputs."""
    return _fit_tfidf(list(heads))[0]


def worth_correcting(
    x: sparse.csr_matrix,
    probs: np.ndarray,
    *,
    k: int,
    skip: Sequence[int] = (),
) -> list[int]:
    """Rows whose correction would teach the most, best first (``skip``: already corrected)."""
    n = probs.shape[0]
    if n == 0 or k <= 0:
        return []
    answer = probs.argmax(axis=1)
    uncertainty = 1.0 - probs.max(axis=1)
    density = np.zeros(n)
    for c in np.unique(answer):
        rows = np.flatnonzero(answer == c)
        centroid = np.asarray(x[rows].mean(axis=0)).ravel()
        norm = float(np.linalg.norm(centroid))
        if norm > 0:
            density[rows] = x[rows] @ (centroid / norm)
    value = uncertainty * density
    skipped = set(skip)
    order = [i for i in np.lexsort((np.arange(n), -value)) if i not in skipped]
    chosen: list[int] = []
    for i in order:
        if len(chosen) == k:
            break
        if chosen and float((x[chosen] @ x[i].T).max()) >= NEAR_COPY:
            continue
        chosen.append(int(i))
    return chosen
