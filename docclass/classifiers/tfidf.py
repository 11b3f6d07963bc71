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
    n_docs = len(docs)
    # The limits are applied before the terms are sorted: with min_df=2 most of a batch's
    # word pairs occur once, and sorting and numbering them was most of the fit. Kept terms
    # are numbered in sorted order among themselves, as they would be after filtering.
    df = np.bincount(seen, minlength=len(first_seen))  # a document counts a term once
    keep = (df >= min_df) & (df <= max_df * n_docs)
    names = list(first_seen)
    if not keep.all():
        names = [names[i] for i in np.flatnonzero(keep)]
    names.sort()  # columns in sorted order, as scikit-learn numbers them
    ordered = np.fromiter(map(first_seen.__getitem__, names), dtype=np.int64, count=len(names))
    if max_features is not None and len(ordered) > max_features:
        # scikit-learn sums the counts in float32 and argsorts them: the same array, the same
        # order among equally frequent terms.
        totals = np.bincount(seen, weights=tallies, minlength=len(df))[ordered].astype(np.float32)
        top = np.sort((-totals).argsort()[:max_features])
        ordered, names = ordered[top], [names[i] for i in top]
    if not names:  # only punctuation, bare numbers, function words, or all limited out
        return sparse.csr_matrix((n_docs, 0)), {}, np.zeros(0)
    column = np.full(len(first_seen), -1, dtype=np.int64)
    column[ordered] = np.arange(len(ordered))
    row_of = np.repeat(np.arange(n_docs), lengths)
    entries = column[seen] >= 0
    seen, tallies, row_of = seen[entries], tallies[entries], row_of[entries]
    order = np.lexsort((seen, row_of))
    cols = column[seen[order]]
    rows = np.concatenate([[0], np.cumsum(np.bincount(row_of, minlength=n_docs))])
    idf = np.log((n_docs + 1) / (df[ordered].astype(float) + 1.0)) + 1.0
    tf = np.log(tallies[order].astype(float)) + 1.0
    matrix = sparse.csr_matrix((tf * idf[cols], cols, rows), shape=(n_docs, len(ordered)))
    vocabulary = dict(zip(names, count()))
    return l2_rows(matrix), vocabulary, idf


def l2_rows(matrix: sparse.spmatrix) -> sparse.csr_matrix:
    """Each row scaled to unit length (rows of zeros stay so)."""
    matrix = sparse.csr_matrix(matrix, dtype=float)
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1))).ravel()
    norms[norms == 0] = 1.0
    return sparse.csr_matrix(sparse.diags(1.0 / norms) @ matrix)
