"""TF-IDF fitted on a batch of texts, for any analyser: the one fit both offline readers use.

scikit-learn's ``TfidfVectorizer`` (``sublinear_tf=True``, smoothed IDF, rows L2-normalised)
step by step, without importing scikit-learn (a second of CPU per process, see
:mod:`docclass.classifiers.linear`): terms numbered in sorted order, tf = 1 + log(count),
idf = 1 + log((1 + documents) / (1 + documents with the term)), and its document-frequency
limits and ``max_features`` (the most frequent terms, ties broken as scikit-learn breaks them).
Each row keeps its terms in the order of their first appearance in the docs, as scikit-learn's
does, so that sums over a row (the norms, the models' dot products) add in the same order.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from itertools import chain, count

import numpy as np
from scipy import sparse


def fit_tfidf(
    docs: Sequence[str],
    analyzer: Callable[[str], list[str]],
    *,
    min_df: int = 1,
    max_df: float = 1.0,
    max_features: int | None = None,
) -> tuple[sparse.csr_matrix, dict[str, int], np.ndarray]:
    """L2-normalised TF-IDF rows, vocabulary and IDF; no columns when no term is left.

    ``min_df``: documents a term must be in; ``max_df``: the share of documents it may be in
    at most; ``max_features``: the most frequent terms kept.
    """
    return fit_counted(
        [Counter(analyzer(doc)) for doc in docs],
        min_df=min_df,
        max_df=max_df,
        max_features=max_features,
    )


def fit_counted(
    docs: Sequence[Mapping[str, int]],
    *,
    min_df: int = 1,
    max_df: float = 1.0,
    max_features: int | None = None,
) -> tuple[sparse.csr_matrix, dict[str, int], np.ndarray]:
    """:func:`fit_tfidf` of documents already analysed and counted (each a term → count
    mapping, its terms in the order they first appear, as ``Counter`` keeps them)."""
    # Every entry of every document in one flat list, numbered by first appearance in C
    # loops (dict.fromkeys, map), then sorted within each row by that number with numpy:
    # the rows a per-entry Python loop built (a third of a batch pass's TF-IDF time).
    terms = list(chain.from_iterable(docs))
    first_seen = dict(zip(dict.fromkeys(terms), count()))
    seen = np.fromiter(map(first_seen.__getitem__, terms), dtype=np.int64, count=len(terms))
    tallies = np.fromiter(
        chain.from_iterable(doc.values() for doc in docs), dtype=np.int64, count=len(terms)
    )
    lengths = np.fromiter(map(len, docs), dtype=np.int64, count=len(docs))
    order = np.lexsort((seen, np.repeat(np.arange(len(docs)), lengths)))
    indices, counts = seen[order], tallies[order]
    indptr = np.concatenate([[0], np.cumsum(lengths)])
    n_docs = len(docs)
    ordered = sorted(first_seen)  # columns in sorted order, as scikit-learn numbers them
    vocabulary = dict(zip(ordered, count()))
    rank = np.empty(len(first_seen), dtype=np.int64)
    rank[np.fromiter(map(first_seen.__getitem__, ordered), np.int64, len(ordered))] = np.arange(
        len(ordered)
    )
    cols = rank[indices]
    tf_counts = counts.astype(float)
    rows = indptr
    df = np.bincount(cols, minlength=len(vocabulary))
    keep = (df >= min_df) & (df <= max_df * n_docs)
    if max_features is not None and keep.sum() > max_features:
        # scikit-learn sums the counts in float32 and argsorts them: the same array, the same
        # order among equally frequent terms.
        totals = np.bincount(cols, weights=tf_counts, minlength=len(df)).astype(np.float32)
        top = np.flatnonzero(keep)[(-totals[keep]).argsort()[:max_features]]
        keep = np.zeros(len(df), dtype=bool)
        keep[top] = True
    if not keep.all():
        entries = keep[cols]
        renumber = np.cumsum(keep) - 1
        cols, tf_counts = renumber[cols[entries]], tf_counts[entries]
        rows = np.concatenate([[0], np.cumsum(entries)])[rows]
        vocabulary = {t: int(renumber[i]) for t, i in vocabulary.items() if keep[i]}
        df = df[keep]
    if not vocabulary:  # only punctuation, bare numbers, function words, or all limited out
        return sparse.csr_matrix((n_docs, 0)), {}, np.zeros(0)
    idf = np.log((n_docs + 1) / (df.astype(float) + 1.0)) + 1.0
    tf = np.log(tf_counts) + 1.0
    matrix = sparse.csr_matrix((tf * idf[cols], cols, rows), shape=(n_docs, len(vocabulary)))
    return l2_rows(matrix), vocabulary, idf


def l2_rows(matrix: sparse.spmatrix) -> sparse.csr_matrix:
    """Each row scaled to unit length (rows of zeros stay so)."""
    matrix = sparse.csr_matrix(matrix, dtype=float)
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1))).ravel()
    norms[norms == 0] = 1.0
    return sparse.csr_matrix(sparse.diags(1.0 / norms) @ matrix)
