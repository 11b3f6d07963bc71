"""The layout's money patterns, written for speed, find what their plain forms find."""

from __future__ import annotations

import random
import re

from docclass.classifiers.local.layout import _AMOUNT, _CURRENCY
from docclass.detectors.finders import CURRENCY_CODES
from tests.paths import EVAL

PLAIN_CURRENCY = re.compile(rf"[$€£¥₹]\s?\d|\b(?:{'|'.join(CURRENCY_CODES)})\s?\d")
PLAIN_AMOUNT = re.compile(r"(?<![\d.,/:-])\d{1,3}(?:[,.' ]\d{3})*[.,]\d{2}(?![\d.,/:-]|\s?%)")


def _texts() -> list[str]:
    texts = [p.read_text("utf-8", errors="replace")[:3000] for p in sorted(EVAL.glob("*/*.txt"))]
    assert len(texts) >= 200, f"the development texts are missing under {EVAL}"
    # Strings built to hit the edges: digits beside separators, signs, codes glued to words.
    alphabet = ["1", "2", "0", "9", ".", ",", "'", " ", "/", ":", "-", "%", "$", "€", "£", "x"]
    alphabet += ["USD", "EUR", "RM", "CHF", "aUSD", "_", "\n", "é", "٣"]
    rng = random.Random(0)
    texts += ["".join(rng.choices(alphabet, k=rng.randint(1, 40))) for _ in range(20_000)]
    return texts


def test_money_patterns_match_their_plain_forms() -> None:
    found = 0
    for text in _texts():
        assert _CURRENCY.findall(text) == PLAIN_CURRENCY.findall(text), text
        assert _AMOUNT.findall(text) == PLAIN_AMOUNT.findall(text), text
        found += len(_AMOUNT.findall(text)) + len(_CURRENCY.findall(text))
    assert found > 1000
