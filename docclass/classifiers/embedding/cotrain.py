"""Batch co-training: embeddings + the batch's own word TF-IDF, self-trained from a seed.

A whole batch is unlabelled data. Start from per-document probabilities (the zero-shot
scores), then for each round take the most confident share of the documents assigned to
each category (so a large category cannot crowd out a small one), fit a class-balanced
logistic regression on [word 1–2-gram TF-IDF of the batch | embedding] and re-score every
document with it. The round shares (50/70/90%) are the ones that measured well on other
data (issue 13), not tuned on the development sets. Deterministic: no randomness anywhere
(lbfgs, fixed order), so the same batch gives the same answers. Which batch sizes co-train is
the local classifier's batch policy (``SELF_TRAIN_MIN``).

The TF-IDF and the logistic regression are scikit-learn's, restated in numpy and scipy
(:func:`batch_tfidf`, :mod:`docclass.classifiers.linear`) so that no process imports it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from itertools import pairwise

import numpy as np
from scipy import sparse

from docclass.classifiers.linear import fit_logistic
from docclass.classifiers.tfidf import fit_tfidf

SHARES = (0.5, 0.7, 0.9)
HEAD_CHARS = 5000
C = 1.0
# Weight of the embedding block next to the unit-length TF-IDF row.
EMBEDDING_WEIGHT = 1.0


def margins(probs: np.ndarray) -> np.ndarray:
    """Top-1 minus top-2 probability: how sure each row is."""
    top = np.sort(probs, axis=1)
    return top[:, -1] - top[:, -2]


def confident_rows(probs: np.ndarray, share: float) -> np.ndarray:
    """Indices of the most confident ``share`` of each predicted category's documents."""
    labels = probs.argmax(axis=1)
    sure = margins(probs)
    keep: list[int] = []
    for label in np.unique(labels):
        rows = np.flatnonzero(labels == label)
        order = rows[np.lexsort((rows, -sure[rows]))]  # most sure first, ties by position
        keep.extend(order[: max(1, math.ceil(share * len(rows)))].tolist())
    return np.asarray(sorted(keep), dtype=np.int64)


_WORD = re.compile(r"(?u)\b[^\W\d_]{2,}\b")  # words of two letters or more, no digits


def _words_and_pairs(text: str) -> list[str]:
    """scikit-learn's word 1–2-grams under the token pattern above (lower-cased)."""
    words = _WORD.findall(text.lower())
    return [*words, *(f"{a} {b}" for a, b in pairwise(words))]


def batch_tfidf(
    texts: Sequence[str], *, min_df: int, max_df: float, max_features: int
) -> sparse.csr_matrix:
    """Word 1–2-gram TF-IDF fitted on the batch, as float32: scikit-learn's
    ``TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, dtype=float32)`` with the token
    pattern above and these limits (:func:`docclass.classifiers.tfidf.fit_tfidf`). No term
    left: a matrix without columns.
    """
    matrix = fit_tfidf(
        texts, _words_and_pairs, min_df=min_df, max_df=max_df, max_features=max_features
    )[0]
    return matrix.astype(np.float32)


def batch_features(texts: Sequence[str], doc_vectors: np.ndarray | None) -> sparse.csr_matrix:
    """Sparse [TF-IDF of the batch | weighted embeddings] rows."""
    heads = [t[:HEAD_CHARS] for t in texts]
    tfidf = batch_tfidf(heads, min_df=2 if len(texts) >= 20 else 1, max_df=0.9, max_features=50_000)
    if doc_vectors is None:
        return tfidf
    dense = sparse.csr_matrix(np.asarray(doc_vectors, dtype=np.float32) * EMBEDDING_WEIGHT)
    return sparse.hstack([tfidf, dense], format="csr")


def co_train(
    texts: Sequence[str],
    doc_vectors: np.ndarray | None,
    seed_probs: np.ndarray,
    *,
    shares: Sequence[float] = SHARES,
    seed_weight: float = 0.0,
) -> np.ndarray:
    """Probabilities per document and category after self-training on the batch.

    ``seed_probs`` (n_docs × n_categories) start the first round; ``seed_weight`` mixes them
    back into every round's answer (0: the batch model alone). ``doc_vectors=None`` trains
    on TF-IDF alone. A batch with fewer than two categories among its confident answers
    cannot train anything and keeps its seed.
    """
    seed = np.asarray(seed_probs, dtype=np.float64)
    if seed.shape[0] != len(texts):
        raise ValueError(f"{seed.shape[0]} rows of seed scores for {len(texts)} texts")
    x = batch_features(texts, doc_vectors)
    probs = seed
    n_classes = seed.shape[1]
    for share in shares:
        rows = confident_rows(probs, share)
        labels = probs[rows].argmax(axis=1)
        if len(np.unique(labels)) < 2:
            break
        model = fit_logistic(x[rows], labels, c=C, balanced=True, max_iter=2000)
        fitted = np.zeros((len(texts), n_classes))
        fitted[:, model.classes] = model.predict_proba(x)
        probs = (1 - seed_weight) * fitted + seed_weight * seed
    return probs
