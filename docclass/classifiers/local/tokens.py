"""Tokens and TF-IDF: the analyser every vectorizer shares, and the vectors it gives.

A document becomes stemmed word unigrams and bigrams without function words or bare numbers
(:func:`analyze`); :class:`_Vectorizer` weighs them by TF-IDF (sublinear term frequency,
smoothed IDF) and L2-normalises them. The fit is numpy and scipy only: importing scikit-learn
costs seconds per process, and every extraction worker imports this classifier.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

import numpy as np
from scipy import sparse

_TOKEN = re.compile(r"[^\W_][\w'&]*[^\W_]|[^\W_]")
# Function words only: pronouns (we/our, i/you), "shall" and "said" stay: they mark types.
_STOP = frozenset(
    [
        "a", "an", "the", "and", "or", "nor", "but", "if", "then", "than", "so", "as", "of", "at",
        "by", "for", "in", "into", "onto", "on", "off", "to", "from", "up", "down", "out", "over",
        "under", "with", "within", "without", "about", "above", "below", "between", "through",
        "during", "before", "after", "is", "are", "was", "were", "be", "been", "being", "am", "do",
        "does", "did", "done", "has", "have", "had", "having", "it", "its", "this", "that", "these",
        "those", "there", "here", "such", "any", "some", "each", "every", "all", "both", "either",
        "neither", "other", "another", "can", "could", "may", "might", "must", "will", "would",
        "should", "not", "no", "yes", "very", "too", "also", "just", "only", "own", "same", "which",
        "who", "whom", "whose", "what", "when", "where", "why", "how", "s", "t",
    ]
)  # fmt: skip


@lru_cache(maxsize=100_000)
def _stem(word: str) -> str:
    """A crude suffix stripper so 'proposed', 'proposes' and 'propose' meet; cached."""
    if len(word) <= 4 or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 5:
        word = word[:-3] + "y"
    elif word.endswith("sses"):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if word.endswith("ing") and len(word) > 6:
        word = word[:-3]
    elif word.endswith("ed") and len(word) > 5:
        word = word[:-2]
    if word.endswith("e") and len(word) > 4:
        word = word[:-1]
    return word


def analyze(text: str) -> list[str]:
    """Stemmed word unigrams and bigrams without function words: every vectorizer's analyser."""
    # Bare numbers (IDs, amounts, clause numbers) name no document type: left out.
    toks = [_stem(t) for t in _TOKEN.findall(text.lower()) if t not in _STOP and not t.isdigit()]
    return [*toks, *(f"{a} {b}" for a, b in pairwise(toks))]


@dataclass(frozen=True)
class _Doc:
    """One document's TF-IDF vector as parallel (column, weight) arrays, L2-normalised."""

    cols: np.ndarray
    data: np.ndarray


class _Vectorizer:
    """Word 1–2-gram TF-IDF with a pure-Python single-document transform.

    sklearn's ``transform`` costs ~1.4 ms for one document, mostly overhead; a Counter and a
    dict lookup give the same vector in ~0.3 ms. Out-of-vocabulary terms still count towards
    the document's norm (at the highest IDF), so a document that shares one word with a
    short profile is not scored as a perfect match.
    """

    def __init__(self, docs: Sequence[str]) -> None:
        # The fitted documents' own vectors, kept so that fitting costs one pass.
        self.fitted, self.vocabulary, self.idf = _fit_tfidf(docs)
        self.oov_idf = float(self.idf.max()) if len(self.idf) else 1.0
        self.terms = [""] * len(self.vocabulary)
        for term, index in self.vocabulary.items():
            self.terms[index] = term

    @property
    def size(self) -> int:
        return len(self.vocabulary)

    def one(self, text: str) -> _Doc:
        cols: list[int] = []
        tf: list[float] = []
        oov = 0.0
        for term, n in Counter(analyze(text)).items():
            weight = 1.0 + math.log(n)
            index = self.vocabulary.get(term)
            if index is None:
                oov += (weight * self.oov_idf) ** 2
            else:
                cols.append(index)
                tf.append(weight)
        cols_a = np.asarray(cols, dtype=np.int64)
        data = np.asarray(tf) * self.idf[cols_a]
        norm = math.sqrt(float(data @ data) + oov) or 1.0
        return _Doc(cols_a, data / norm)


def _fit_tfidf(docs: Sequence[str]) -> tuple[sparse.csr_matrix, dict[str, int], np.ndarray]:
    """L2-normalised TF-IDF rows, vocabulary and IDF; empty when the docs have no words.

    The same numbers as sklearn's ``TfidfVectorizer(analyzer=analyze, sublinear_tf=True,
    norm=None)``, which this replaces: terms numbered in sorted order, tf = 1 + log(count),
    idf = 1 + log((1 + documents) / (1 + documents with the term)). Each row keeps its terms
    in the order of their first appearance in the docs, as sklearn's does, so that sums over
    a row (the norms, the SVM's dot products) add in the same order.
    """
    first_seen: dict[str, int] = {}
    indices: list[int] = []
    counts: list[int] = []
    indptr = [0]
    for doc in docs:
        row = Counter(first_seen.setdefault(term, len(first_seen)) for term in analyze(doc))
        for index, n in sorted(row.items()):
            indices.append(index)
            counts.append(n)
        indptr.append(len(indices))
    if not first_seen:  # only punctuation, bare numbers or function words
        return sparse.csr_matrix((len(docs), 0)), {}, np.zeros(0)
    vocabulary: dict[str, int] = {}
    rank = np.empty(len(first_seen), dtype=np.int64)
    for index, term in enumerate(sorted(first_seen)):
        vocabulary[term] = index
        rank[first_seen[term]] = index
    cols = rank[np.asarray(indices, dtype=np.int64)]
    df = np.bincount(cols, minlength=len(vocabulary)).astype(float)
    idf = np.log((len(docs) + 1) / (df + 1.0)) + 1.0
    tf = np.log(np.asarray(counts, dtype=float)) + 1.0
    matrix = sparse.csr_matrix(
        (tf * idf[cols], cols, np.asarray(indptr)), shape=(len(docs), len(vocabulary))
    )
    return _l2_rows(matrix), vocabulary, idf


def _l2_rows(matrix: sparse.spmatrix) -> sparse.csr_matrix:
    matrix = sparse.csr_matrix(matrix, dtype=float)
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1))).ravel()
    norms[norms == 0] = 1.0
    return sparse.csr_matrix(sparse.diags(1.0 / norms) @ matrix)
