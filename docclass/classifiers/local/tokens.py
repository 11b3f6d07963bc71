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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise, repeat

import numpy as np
from scipy import sparse

from docclass.classifiers.tfidf import fit_tfidf

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

    def one(self, text: str, counts: Mapping[str, int] | None = None) -> _Doc:
        """``counts``: ``Counter(analyze(text))`` when the caller has it (a batch counts
        each head once for all of its vectorizers).

        Terms are looked up and weighed in C loops and numpy, in the counts' order, rather
        than by a Python loop per term (every document's classify and batch pass runs this),
        with the same bits: the weights come from math.log and the out-of-vocabulary squares
        are summed in order.
        """
        counts = Counter(analyze(text)) if counts is None else counts
        k = len(counts)
        index = np.fromiter(map(self.vocabulary.get, counts, repeat(-1, k)), np.int64, k)
        weight = _sublinear(np.fromiter(counts.values(), np.int64, k))
        known = index >= 0
        oov = np.cumsum((weight[~known] * self.oov_idf) ** 2)  # in order, as a loop adds
        cols = index[known]
        data = weight[known] * self.idf[cols]
        norm = math.sqrt(float(data @ data) + (float(oov[-1]) if len(oov) else 0.0)) or 1.0
        return _Doc(cols, data / norm)


# 1 + ln(count), the sublinear term frequency, for the counts a head has: math.log's values
# looked up (numpy's own log may differ in the last bit).
_SUBLINEAR = np.array([0.0, *(1.0 + math.log(n) for n in range(1, 4096))])


def _sublinear(counts: np.ndarray) -> np.ndarray:
    if len(counts) and counts.max() < len(_SUBLINEAR):
        return _SUBLINEAR[counts]
    return np.array([1.0 + math.log(n) for n in counts.tolist()], dtype=float)


def _fit_tfidf(docs: Sequence[str]) -> tuple[sparse.csr_matrix, dict[str, int], np.ndarray]:
    """L2-normalised TF-IDF rows, vocabulary and IDF of ``docs`` under :func:`analyze`."""
    return fit_tfidf(docs, analyze)
