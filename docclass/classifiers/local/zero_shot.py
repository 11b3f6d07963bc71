"""The zero-shot model: category profiles scored by TF-IDF, keywords and layout cues.

A document is scored against each category's profile (:func:`.concepts.profile_text`) by
TF-IDF cosine, explicit keyword hits and the linked concepts' layout cues; a softmax over that
evidence gives the scores. A catch-all category ("other") gets a fixed evidence instead.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from docclass.classifiers.local.concepts import concept_links, is_catch_all, profile_text
from docclass.classifiers.local.layout import _sat, lead
from docclass.classifiers.local.tokens import _STOP, _Doc, _Vectorizer
from docclass.taxonomy import Taxonomy

# Softmax temperature over zero-shot evidence: the log-loss optimum on the tuning half.
TEMPERATURE = 0.05
# Weights of the zero-shot evidence: TF-IDF similarity, explicit keywords, layout cues.
W_SIM = 4.0
W_KEYWORDS = 0.5
W_CUES = 0.6
# Evidence of a catch-all category ("other"): above what short unrelated texts (a weather
# report, lorem ipsum) reach against the default taxonomy, below 99% of real documents.
OTHER_EVIDENCE = 0.1
# Weight of a catch-all category's own evidence (see concepts.MISCELLANY) next to the others'.
OTHER_WEIGHT = 1.0


_WORD = re.compile(r"\w+")


def softmax(scores: np.ndarray, temperature: float = TEMPERATURE) -> np.ndarray:
    z = scores / temperature
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


@dataclass
class _Evidence:
    """Per-category evidence for documents (rows) before the softmax."""

    sim: np.ndarray
    keywords: np.ndarray
    cues: np.ndarray
    keyword_hits: list[list[list[str]]]

    def total(self, catch_all: np.ndarray) -> np.ndarray:
        scores = W_SIM * self.sim + W_KEYWORDS * self.keywords + W_CUES * self.cues
        # A catch-all is chosen when nothing else fits (its floor), or on its own evidence.
        scores[:, catch_all] = np.maximum(OTHER_EVIDENCE, OTHER_WEIGHT * scores[:, catch_all])
        return scores


class _ZeroShot:
    """Category profiles and keyword matchers, built once per taxonomy."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.categories = taxonomy.categories
        self.profiles = [profile_text(c) for c in taxonomy.categories]
        self.vectorizer = _Vectorizer(self.profiles)
        # Dense (categories × profile vocabulary): one doc is scored by a fancy-indexed dot.
        self.profile_dense = self.vectorizer.fitted.toarray()
        self.catch_all = np.array([is_catch_all(c) for c in taxonomy.categories])
        self.links = [concept_links(c) for c in taxonomy.categories]
        self.keywords = [
            [
                (k, _keyword_pattern(k))
                for k in dict.fromkeys(k.lower() for k in c.keywords)
                if not _function_words_only(k)
            ]
            for c in taxonomy.categories
        ]
        # A keyword that starts with a letter or digit is found only where its first word is
        # one of the head's words (the pattern's (?<!\w) and the keyword's own next character
        # bound it): keywords are indexed by that word, and a head's words pick the few worth
        # a regex. The rest (starting with punctuation) are always tried.
        self._by_word: dict[str, list[tuple[int, int]]] = {}
        self._always: list[tuple[int, int]] = []
        for c, keywords in enumerate(self.keywords):
            for j, (keyword, _pattern) in enumerate(keywords):
                first = _WORD.match(keyword)
                if first is None:
                    self._always.append((c, j))
                else:
                    self._by_word.setdefault(first.group(), []).append((c, j))

    def keyword_hits(self, low: str) -> list[list[str]]:
        """Keywords found in the lower-cased head, per category in keyword order."""
        hits: list[list[str]] = [[] for _ in self.keywords]
        if not self._by_word and not self._always:
            return hits
        candidates = list(self._always)
        for word in self._by_word.keys() & set(_WORD.findall(low)):
            candidates.extend(self._by_word[word])
        for c, j in sorted(candidates):
            keyword, pattern = self.keywords[c][j]
            hits[c].extend(keyword for _ in pattern.finditer(low))
        return hits

    def cue_row(self, s: dict[str, float], first_lines: str) -> np.ndarray:
        """Per category, its strongest linked concept's cue (with any title bonus)."""
        return np.array(
            [
                max((w * c.strength(s, first_lines) for c, w in links), default=0.0)
                for links in self.links
            ]
        )

    def evidence(
        self,
        heads: Sequence[str],
        structures: Sequence[dict[str, float]],
        counts: Sequence[Mapping[str, int]] | None = None,
    ) -> tuple[_Evidence, list[_Doc]]:
        """``counts``: each head's ``Counter(analyze())``, where the caller has them."""
        if counts is None:
            docs = [self.vectorizer.one(h) for h in heads]
        else:
            docs = [self.vectorizer.one(h, c) for h, c in zip(heads, counts, strict=True)]
        sim = np.vstack([self.profile_dense[:, d.cols] @ d.data for d in docs])
        hits = [self.keyword_hits(h.lower()) for h in heads]
        kw = np.array(
            [
                [
                    _keyword_score(h, len(c.keywords))
                    for h, c in zip(row, self.categories, strict=True)
                ]
                for row in hits
            ]
        )
        cues = np.vstack([self.cue_row(s, lead(h)) for h, s in zip(heads, structures, strict=True)])
        return _Evidence(sim=sim, keywords=kw, cues=cues, keyword_hits=hits), docs


def _keyword_pattern(keyword: str) -> re.Pattern[str]:
    r"""The keyword as a whole word or phrase: ``(?<!\w)keyword(?!\w)``, literal first.

    The same matches, but with the literal first the regex engine jumps from one
    occurrence of the keyword to the next instead of trying every position of the head
    (about twice as fast over a taxonomy's keywords). The lookbehind, now at the end, looks
    past the keyword (``len(keyword)`` characters) to the character before it.
    """
    return re.compile(rf"{re.escape(keyword)}(?<!\w(?s:.){{{len(keyword)}}})(?!\w)")


def _function_words_only(keyword: str) -> bool:
    """A keyword like "from" or "to the" is in every document: as a cue it is pure bias.

    With punctuation ("from:", "re:") it is a real cue and stays.
    """
    words = keyword.split()
    return all(w in _STOP for w in words) and all(w.isalpha() for w in words)


def _keyword_score(hits: list[str], n_keywords: int) -> float:
    """Distinct keywords matched, with diminishing returns for repeats."""
    if not hits or not n_keywords:
        return 0.0
    distinct = len(set(hits))
    return _sat(distinct + 0.3 * math.log1p(len(hits) - distinct), 3.0)
