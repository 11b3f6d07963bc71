"""The batch pass's shortcuts give what the one-document paths give, exactly.

A batch counts each head once and vectorises it from those counts for every vectorizer
(``_Vectorizer.one(text, counts)``, through ``_ZeroShot.evidence`` for the profiles), and
tries a taxonomy's keywords only where their first word occurs (``_ZeroShot.keyword_hits``);
both must match the plain one-at-a-time forms on real documents and on awkward keywords.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from docclass.classifiers.local.layout import structure
from docclass.classifiers.local.tokens import _Vectorizer, analyze
from docclass.classifiers.local.zero_shot import _ZeroShot
from docclass.taxonomy import Taxonomy, load_taxonomy, parse_taxonomy
from tests.paths import EVAL


@pytest.fixture(scope="module")
def heads() -> list[str]:
    texts = [p.read_text("utf-8", errors="replace") for p in sorted(EVAL.glob("*/*.txt"))]
    assert len(texts) >= 200, f"the development texts are missing under {EVAL}"
    # Awkward ones too: nothing at all, only function words and numbers, only unknown words.
    return [t[:2000] for t in texts[::3]] + ["", "the of 12 34", "zyzzyva quux frobnicate"]


def _same(a: list, b: list) -> bool:
    return len(a) == len(b) and all(
        np.array_equal(x.cols, y.cols) and np.array_equal(x.data, y.data)
        for x, y in zip(a, b, strict=True)
    )


def test_vectorising_a_batch_gives_each_documents_own_vector(
    heads: list[str],
) -> None:
    counts = [Counter(analyze(h)) for h in heads]
    zero = _ZeroShot(load_taxonomy("default"))
    structures = [structure(h) for h in heads]
    examples = _Vectorizer(heads[:40])  # a supervised vectorizer: most words are its own
    batches = [
        (zero.vectorizer, zero.evidence(heads, structures, counts)[1]),
        (examples, [examples.one(h, c) for h, c in zip(heads, counts, strict=True)]),
    ]
    for vectorizer, batch in batches:
        assert _same(batch, [vectorizer.one(h) for h in heads])  # bit for bit
        assert any(len(d.cols) for d in batch) and not len(batch[-3].cols)


AWKWARD = """
[[category]]
name = "memo"
description = "Internal memos."
keywords = ["re:", "e-mail", "memo", "to the", "#ref", "1099-misc", "c++", "a.m."]

[[category]]
name = "cv"
description = "A résumé."
keywords = ["résumé", "curriculum vitae", "naïve", "straße", "memo"]
"""


def _reference_hits(zero: _ZeroShot, low: str) -> list[list[str]]:
    """Every keyword's pattern over the whole head, in keyword order: no index."""
    return [
        [k for k, pattern in keywords for _ in pattern.finditer(low)] for keywords in zero.keywords
    ]


@pytest.mark.parametrize("taxonomy", ["default", "awkward"])
def test_keywords_are_found_where_every_pattern_would_find_them(
    heads: list[str], taxonomy: str
) -> None:
    tax: Taxonomy = load_taxonomy("default") if taxonomy == "default" else parse_taxonomy(AWKWARD)
    zero = _ZeroShot(tax)
    crafted = [
        "re: the memo of 9 a.m. — e-mail me; memos are not a memo. see #ref 4",
        "form 1099-misc; c++ and c; curriculum vitae / résumé, naïve straße",
        "memo-writing, amemo, memo_x, e-mails, re:re: e-mail",
        "RE: MEMO".lower(),
    ]
    found = 0
    for head in [*heads, *crafted]:
        low = head.lower()
        hits = zero.keyword_hits(low)
        assert hits == _reference_hits(zero, low)
        found += sum(map(len, hits))
    assert found > 0
