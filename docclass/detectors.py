"""Detectors: small pattern finders run over a document's text.

Each detector is one function ``(text) -> list[Span]``; register it in ``DETECTORS`` and it
runs everywhere (runner, export, classifiers). Examples are masked so that evidence can be
shown and exported without leaking the personal data it points at.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

MAX_EXAMPLES = 3
MAX_SPANS = 200


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    masked: str


@dataclass
class DetectorResult:
    name: str
    count: int
    examples: list[str] = field(default_factory=list)
    spans: list[tuple[int, int]] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "count": self.count,
            "examples": list(self.examples),
            "spans": [list(s) for s in self.spans],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> DetectorResult:
        spans = [tuple(s) for s in data.get("spans", [])]  # type: ignore[union-attr]
        return cls(
            name=str(data["name"]),
            count=int(data["count"]),  # type: ignore[arg-type]
            examples=list(data.get("examples", [])),  # type: ignore[arg-type]
            spans=spans,  # type: ignore[arg-type]
        )


# --- masking ---------------------------------------------------------------------------


def _keep_last(value: str, keep: int = 4) -> str:
    """Replace every alphanumeric but the last ``keep`` with ``*``, keeping separators."""
    alnum = [i for i, ch in enumerate(value) if ch.isalnum()]
    hide = set(alnum[:-keep] if len(alnum) > keep else alnum)
    return "".join("*" if i in hide else ch for i, ch in enumerate(value))


def mask_email(value: str) -> str:
    local, _, domain = value.partition("@")
    return f"{local[:1]}***@{domain}"


# --- checksums -------------------------------------------------------------------------


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


_IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BR": 29, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20,
    "EG": 29, "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18,
    "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IS": 26, "IT": 27, "JO": 30,
    "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27,
    "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18, "NO": 15, "PK": 24,
    "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24, "SE": 24, "SI": 19,
    "SK": 24, "SM": 27, "TN": 24, "TR": 26, "UA": 29, "VG": 24, "XK": 20,
}  # fmt: skip


def iban_ok(iban: str) -> bool:
    if _IBAN_LENGTHS.get(iban[:2]) != len(iban):
        return False
    rearranged = iban[4:] + iban[:4]
    number = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(number) % 97 == 1


# --- detectors -------------------------------------------------------------------------

# Each pattern opens with a lookahead on the characters a match can start with: Python's re
# then skips most positions at once (detectors must stay a small share of extraction time).
_EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]{1,64}@(?:[A-Za-z0-9-]{1,63}\.)+[A-Za-z]{2,24}\b")
_PHONE = re.compile(
    r"(?=[+(\d])(?<![\w+])(?<!\d[ .-])(?:\+\d{1,3}[ .-]?)?"
    r"(?:\(\d{2,4}\)[ .-]?|\d{2,4}[ .-])\d{3,4}[ .-]\d{3,4}"
    r"(?![\w-])(?![ .-]\d)"
)
_CARD = re.compile(r"(?=[2-6])(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
_SSN = re.compile(r"(?=\d)\b(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}\b")
_CURRENCY_CODES = r"(?:USD|EUR|GBP|RM|MYR|SGD|AUD|CAD|CHF|JPY|INR)"
# Amounts never restart inside a number (the lookbehinds) and never give digits back
# (possessive ``*+``): a 200 KB run of "1,000,000,…" is one linear scan, not a quadratic one.
_MONEY = re.compile(
    r"(?=[$€£¥UEGRMSACJI\d])"
    rf"(?:(?:[$€£¥]|\b{_CURRENCY_CODES}(?![A-Za-z]))\s?-?\d{{1,3}}(?:[,.\s]\d{{3}})*+(?:[.,]\d{{2}})?"
    r"|(?<![\d,.])\b\d{1,3}(?:,\d{3})*+(?:\.\d{2})?\s?(?:USD|EUR|GBP|dollars|euros|pounds)\b)",
    re.IGNORECASE,
)
_MONTHS = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_DATE = re.compile(
    r"(?=[\dJFMASOND])\b(?:\d{4}-\d{2}-\d{2}"
    r"|\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTHS}\.?,?\s+\d{{4}}"
    rf"|{_MONTHS}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}})\b",
    re.IGNORECASE,
)


def _finditer(pattern: re.Pattern[str], text: str) -> Iterable[re.Match[str]]:
    return pattern.finditer(text)


def detect_emails(text: str) -> list[Span]:
    return [Span(m.start(), m.end(), mask_email(m.group())) for m in _finditer(_EMAIL, text)]


def detect_phones(text: str) -> list[Span]:
    out = []
    for m in _finditer(_PHONE, text):
        digits = re.sub(r"\D", "", m.group())
        if 7 <= len(digits) <= 15 and not _DATE.fullmatch(m.group()):
            out.append(Span(m.start(), m.end(), _keep_last(m.group())))
    return out


def detect_payment_cards(text: str) -> list[Span]:
    out = []
    ibans: list[tuple[int, int]] | None = None
    for m in _finditer(_CARD, text):
        digits = re.sub(r"\D", "", m.group())
        if not (13 <= len(digits) <= 19 and luhn_ok(digits)):
            continue
        if ibans is None:  # digits inside IBAN-shaped text are not a card, whatever Luhn says
            ibans = [i.span() for i in _IBAN.finditer(text)]
        if any(start < m.end() and m.start() < end for start, end in ibans):
            continue
        out.append(Span(m.start(), m.end(), _keep_last(m.group())))
    return out


def detect_ibans(text: str) -> list[Span]:
    out = []
    for m in _finditer(_IBAN, text):
        compact = m.group().replace(" ", "")
        if iban_ok(compact):
            out.append(Span(m.start(), m.end(), compact[:2] + _keep_last(compact[2:])))
    return out


def detect_ssns(text: str) -> list[Span]:
    return [Span(m.start(), m.end(), _keep_last(m.group())) for m in _finditer(_SSN, text)]


def detect_money(text: str) -> list[Span]:
    return [Span(m.start(), m.end(), m.group().strip()) for m in _finditer(_MONEY, text)]


def detect_dates(text: str) -> list[Span]:
    return [Span(m.start(), m.end(), m.group()) for m in _finditer(_DATE, text)]


Detector = Callable[[str], list[Span]]

# Adding a detector: write one function above and add one line here.
DETECTORS: dict[str, Detector] = {
    "email": detect_emails,
    "phone": detect_phones,
    "payment_card": detect_payment_cards,
    "iban": detect_ibans,
    "ssn": detect_ssns,
    "money": detect_money,
    "date": detect_dates,
}

# Detectors whose hits are personal data: masked before any text leaves the process.
PII_DETECTORS = ("email", "phone", "payment_card", "iban", "ssn")


def _trie_regex(words: Sequence[str]) -> str:
    """An alternation factored by common prefixes: Python's re then tests each position
    against one branch per first letter instead of against every phrase (about 5x faster).
    """
    trie: dict[str, dict] = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict[str, dict]) -> str:
        branches = [re.escape(ch) + emit(sub) for ch, sub in sorted(node.items()) if ch]
        if not branches:
            return ""
        ends_here = "" in node
        body = branches[0] if len(branches) == 1 and not ends_here else f"(?:{'|'.join(branches)})"
        return body + ("?" if ends_here else "")

    return emit(trie)


def keyword_pattern(keywords: Sequence[str], *, ignore_case: bool = True) -> re.Pattern[str] | None:
    """One whole-word pattern for a list of words and phrases (matched in lower case)."""
    words = sorted({k.lower() for k in keywords if k})
    if not words:
        return None
    flags = re.IGNORECASE if ignore_case else 0
    return re.compile(rf"(?<!\w)(?:{_trie_regex(words)})(?!\w)", flags)


@lru_cache(maxsize=32)
def _keyword_index(
    keywords: tuple[tuple[str, tuple[str, ...]], ...],
) -> tuple[re.Pattern[str] | None, dict[str, list[str]]]:
    """Every category's keywords in one pattern, and which categories each keyword cues.

    One pass over the text for all categories instead of one per category.
    """
    owners: dict[str, list[str]] = {}
    for category, words in keywords:
        for word in words:
            if word:
                owners.setdefault(word.lower(), []).append(category)
    return keyword_pattern(list(owners), ignore_case=False), owners


def _result(name: str, spans: list[Span]) -> DetectorResult:
    return DetectorResult(
        name=name,
        count=len(spans),
        examples=list(dict.fromkeys(s.masked for s in spans))[:MAX_EXAMPLES],
        spans=[(s.start, s.end) for s in spans[:MAX_SPANS]],
    )


def run_detectors(
    text: str, keywords: Mapping[str, Sequence[str]] | None = None
) -> list[DetectorResult]:
    """Run every registered detector, then one ``keywords:<category>`` cue per category."""
    results = [_result(name, fn(text)) for name, fn in DETECTORS.items()]
    if not keywords:
        return results
    frozen = tuple((c, tuple(w)) for c, w in keywords.items())
    pattern, owners = _keyword_index(frozen)
    spans: dict[str, list[Span]] = {category: [] for category, _ in frozen}
    if pattern is not None:
        # Matching lowered text is twice as fast as IGNORECASE; the rare text whose length
        # changes when lowered (e.g. "İ") is matched as is, case-insensitively.
        low = text.lower()
        if len(low) != len(text):
            low, pattern = text, re.compile(pattern.pattern, re.IGNORECASE)
        for m in pattern.finditer(low):
            word = m.group().lower()
            for category in owners.get(word, ()):
                spans[category].append(Span(m.start(), m.end(), word))
    for category, words in frozen:
        if any(words):
            results.append(_result(f"keywords:{category}", spans[category]))
    return results


def counts(results: Iterable[DetectorResult]) -> dict[str, int]:
    return {r.name: r.count for r in results}
