"""Why an answer: the document terms that pushed hardest, and a one-line rationale.

The rationale names the categories closest in meaning (topic taxonomies), the matched keywords
and terms, a layout cue that fired, money amounts and email addresses found, and with
examples the nearest one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from docclass.classifiers.local.layout import _AMOUNT, _CURRENCY
from docclass.classifiers.local.supervised import _Supervised
from docclass.classifiers.local.tokens import _Doc
from docclass.classifiers.local.zero_shot import _ZeroShot
from docclass.detectors import DetectorResult


def top_terms(
    names: Sequence[str],
    zero: _ZeroShot,
    head: str,
    best: int,
    doc: _Doc,
    sup: _Supervised | None,
    sup_doc: _Doc | None,
    n: int = 3,
) -> list[str]:
    """Document terms that pushed hardest towards the chosen category."""
    if sup is not None and sup_doc is not None:
        contrib = sup.contributions(sup_doc, names[best])
        if contrib is not None:
            return _strongest(contrib, sup_doc.cols, sup.vectorizer.terms, head, n)
    contrib = doc.data * zero.profile_dense[best, doc.cols]
    return _strongest(contrib, doc.cols, zero.vectorizer.terms, head, n)


def rationale(
    category: str,
    terms: list[str],
    keyword_hits: list[str],
    cue: tuple[float, str],
    head: str,
    detectors: Sequence[DetectorResult],
    sup: _Supervised | None,
    nearest: int | None,
    *,
    meaning: list[tuple[str, float]] | None = None,
    fits_none: bool = False,
    batch_note: str | None = None,
) -> str:
    """One line: matched terms, a layout cue, amounts, email addresses, the nearest example.

    ``meaning`` (the meaning reader's two closest categories and their cosines) comes first
    where given: it is what decided; ``fits_none`` says no category was close.
    ``batch_note``: why a job's batch pass chose another category than this document alone
    pointed to; said first, or the evidence below would seem to argue for that one.
    """
    parts = [] if batch_note is None else [batch_note]
    if fits_none:
        parts.append("close to none of the categories")
    if meaning:
        name, cosine = meaning[0]
        closest = f"closest in meaning to {name} ({cosine:.2f})"
        if len(meaning) > 1:
            closest += f", then {meaning[1][0]} ({meaning[1][1]:.2f})"
        parts.append(closest)
    shown: list[str] = []
    for term in dict.fromkeys([*keyword_hits, *terms]):
        if len(shown) < 4 and not any(term in t or t in term for t in shown):
            shown.append(term)  # not 'thank' after 'thank you'
    if shown:
        parts.append("uses words typical of it: " + ", ".join(f"'{t}'" for t in shown))
    if cue[0] >= 0.25:
        parts.append(f"layout: {cue[1]}")
    counts = {d.name: d.count for d in detectors}
    amounts = max(len(_AMOUNT.findall(head)), len(_CURRENCY.findall(head)))
    if counts.get("money"):  # a detector that found nothing is no evidence
        money = counts["money"]
        parts.append(f"{money} money amount{'' if money == 1 else 's'}")
        if amounts > money:  # bare "12.50": too ambiguous for the money detector
            parts.append(f"{amounts} price-like numbers")
    elif amounts:
        parts.append(f"{amounts} price-like amount{'' if amounts == 1 else 's'}")
    if counts.get("email"):
        parts.append(f"{counts['email']} email address{'' if counts['email'] == 1 else 'es'}")
    if sup is not None and nearest is not None:
        label = sup.labels[nearest]
        number = sup.labels[:nearest].count(label) + 1
        snippet = " ".join(sup.heads[nearest][:120].split())[:40]
        parts.append(f"nearest example: {label} #{number} ('{snippet}…')")
    return f"{category}: " + ("; ".join(parts) if parts else "no distinctive evidence") + "."


def _strongest(
    contrib: np.ndarray, cols: np.ndarray, terms: list[str], head: str, n: int
) -> list[str]:
    order = np.argsort(-contrib)[:n]
    return [_surface(terms[cols[i]], head) for i in order if contrib[i] > 0]


def _surface(term: str, head: str) -> str:
    """Show a stemmed term as the document spelled it ('propos' → 'proposed')."""
    match = _surface_pattern(term).search(head)
    return " ".join(re.sub(r"[\W_]+", " ", match.group()).lower().split()) if match else term


@lru_cache(maxsize=4096)
def _surface_pattern(term: str) -> re.Pattern[str]:
    """The stemmed term's words, each with any ending, apart by anything but a word character."""
    pattern = r"[\W_]+".join(rf"{re.escape(w)}\w*" for w in term.split(" "))
    return re.compile(rf"(?<!\w){pattern}", re.I)
