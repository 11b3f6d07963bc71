"""A document's TF-IDF vector (``_Vectorizer.one``) is its definition, term by term.

``one`` runs on every document of every classify and batch pass, so it looks terms up in C
loops and numpy; it must give exactly what the plain per-term definition gives: sublinear
term frequency, the fitted IDF, out-of-vocabulary terms counted in the norm at the highest
IDF, L2-normalised.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest

from docclass.classifiers.local.tokens import _Vectorizer, analyze
from docclass.classifiers.local.zero_shot import _ZeroShot
from docclass.taxonomy import load_taxonomy
from tests.paths import EVAL


def _by_definition(vectorizer: _Vectorizer, text: str) -> tuple[list[int], np.ndarray]:
    cols: list[int] = []
    tf: list[float] = []
    oov = 0.0
    for term, n in Counter(analyze(text)).items():
        weight = 1.0 + math.log(n)
        index = vectorizer.vocabulary.get(term)
        if index is None:
            oov += (weight * vectorizer.oov_idf) ** 2
        else:
            cols.append(index)
            tf.append(weight)
    data = np.asarray(tf) * vectorizer.idf[np.asarray(cols, dtype=np.int64)]
    return cols, data / (math.sqrt(float(data @ data) + oov) or 1.0)


@pytest.fixture(scope="module")
def texts() -> list[str]:
    found = [p.read_text("utf-8", errors="replace")[:2000] for p in sorted(EVAL.glob("*/*.txt"))]
    assert len(found) >= 200, f"the development texts are missing under {EVAL}"
    # Nothing at all; only unknown words; a term counted past any table of counts.
    return [*found[::4], "", "zyzzyva quux frobnicate", "invoice " * 5000 + "total due"]


def test_a_vector_is_its_definition_bit_for_bit(texts: list[str]) -> None:
    profiles = _ZeroShot(load_taxonomy("default")).vectorizer  # most words unknown to it
    examples = _Vectorizer(texts[:30])  # most words its own
    for vectorizer in (profiles, examples):
        for text in texts:
            cols, data = _by_definition(vectorizer, text)
            for doc in (vectorizer.one(text), vectorizer.one(text, Counter(analyze(text)))):
                assert doc.cols.tolist() == cols
                assert doc.data.tobytes() == data.tobytes(), text[:60]
    assert profiles.one("zyzzyva quux").data.size == 0
    heavy = profiles.one("invoice " * 5000 + "total due")
    assert heavy.data.size and abs(float(heavy.data @ heavy.data) - 1.0) > 1e-3  # OOV counted
