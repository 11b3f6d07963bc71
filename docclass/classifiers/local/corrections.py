"""Learning from a job's few corrections: which documents to ask about, and re-scoring from them.

*Which to ask about* — uncertain **and** representative (information density, Settles &
Craven 2008): a document's uncertainty (1 − confidence) times how typical it is of the
documents given the same answer (TF-IDF cosine to their centroid), so an analyst corrects
the unsure answers that many others resemble, not an unsure outlier. Picks are greedy and
skip near-copies of a document already picked.

*Re-scoring* — the job's current scores are the prior; each correction moves the documents
most like it (TF-IDF cosine) towards what the correction says, see :func:`rescore`.
Corrected documents keep their corrections. It reads only the stored classifier input and
scores (no zero-shot pass), so it is fast.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from scipy import sparse

from docclass.classifiers.local.tokens import _fit_tfidf

# A document this close (cosine) to one already suggested is a near-copy: skip it.
NEAR_COPY = 0.9
# Re-scoring: each correction reaches its NEIGHBOURS most similar documents, the nearest
# with SPREAD of its residual and the others in proportion to their similarity.
NEIGHBOURS = 20
SPREAD = 0.5


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


def rescore(x: sparse.csr_matrix, prior: np.ndarray, corrected: Mapping[int, int]) -> np.ndarray:
    """Probabilities per row and category after learning from ``corrected`` (row → category).

    The "correct" step of Correct and Smooth (Huang et al., 2021): each correction's residual
    (the category it got minus the scores the job gave it) spreads to the documents most
    like it, in proportion to how alike they are. A correction that only confirms an answer
    moves little; one that overturns a confident answer moves its look-alikes.
    """
    probs = np.asarray(prior, dtype=np.float64).copy()
    if not corrected or x.shape[1] == 0:
        return _with_corrections(probs, corrected)
    rows = sorted(corrected)
    residual = -probs[rows]
    residual[np.arange(len(rows)), [corrected[r] for r in rows]] += 1.0
    sims = np.asarray((x @ x[rows].T).todense())  # documents × corrections, cosines
    sims[rows, np.arange(len(rows))] = 0.0
    weights = np.zeros_like(sims)
    for col in range(len(rows)):
        near = np.argsort(-sims[:, col], kind="stable")[:NEIGHBOURS]
        top = sims[near[0], col]
        if top > 0:
            weights[near, col] = np.clip(sims[near, col], 0.0, None) / top
    probs += SPREAD * weights @ residual
    probs = np.clip(probs, 1e-6, None)
    probs /= probs.sum(axis=1, keepdims=True)
    return _with_corrections(probs, corrected)


def _with_corrections(probs: np.ndarray, corrected: Mapping[int, int]) -> np.ndarray:
    for row, category in corrected.items():
        probs[row] = 0.0
        probs[row, category] = 1.0
    return probs
