"""Redaction: replace personal data with typed placeholders before text leaves the process.

The same PII detectors that count hits for the runner find what to hide, so "what we flag"
and "what we never send" cannot drift apart. Placeholders keep the document's shape for the
LLM (``[EMAIL_1]`` wrote to ``[EMAIL_2]``) without the values themselves.

The detectors match an ASCII view of the text (Unicode spaces, dashes and digits spelled in
ASCII, one character for one: :func:`docclass.detectors.pii_view`), so a card number
grouped with no-break spaces or an SSN with en dashes is hidden like its ASCII spelling, and
the spans they return are spans of the original text. Bounded patterns keep this linear in
the text's length (it runs in the main process, on every text sent to the LLM).
"""

from __future__ import annotations

from docclass.detectors import DETECTORS, PII_DETECTORS, BoundedPattern, pii_view

# Placeholder label per PII detector; the order of PII_DETECTORS decides ties.
LABELS: dict[str, str] = {
    "email": "EMAIL",
    "phone": "PHONE",
    "payment_card": "CARD",
    "iban": "IBAN",
    "ssn": "SSN",
}

_PLACEHOLDER = BoundedPattern(r"\[(?:EMAIL|PHONE|CARD|IBAN|SSN)_[0-9]{1,7}\]")


def _identity(kind: str, value: str) -> str:
    """Normalise a hit so that one value written two ways gets one placeholder.

    Numbers keep only their digits: a hit may include its label ("SSN: 123456789").
    """
    value = pii_view(value)
    if kind == "email":
        return value.lower()
    if kind in ("phone", "payment_card", "ssn"):
        return "".join(ch for ch in value if ch.isdigit())
    return "".join(ch for ch in value if ch.isalnum()).upper()


def find_pii(text: str) -> list[tuple[int, int, str]]:
    """Non-overlapping ``(start, end, detector)`` hits in text order.

    Overlaps are resolved longest-first (a card number wins over a phone number found
    inside it); equal lengths fall back to the order of ``PII_DETECTORS``.
    """
    hits: list[tuple[int, int, int, str]] = []
    for rank, kind in enumerate(PII_DETECTORS):
        for span in DETECTORS[kind](text):
            if span.end > span.start:
                hits.append((span.start, span.end, rank, kind))
    hits.sort(key=lambda h: (-(h[1] - h[0]), h[2], h[0]))
    # Characters already given to a hit: checking a hit costs its length, not the number of
    # hits chosen so far (a text of 30,000 addresses would otherwise be quadratic).
    taken = bytearray(len(text))
    chosen: list[tuple[int, int, str]] = []
    for start, end, _rank, kind in hits:
        if taken.find(1, start, end) < 0:
            taken[start:end] = b"\x01" * (end - start)
            chosen.append((start, end, kind))
    chosen.sort()
    return chosen


def redact(text: str) -> tuple[str, dict[str, int]]:
    """Return ``(redacted_text, counts)``; counts are replaced occurrences per detector name.

    Only detectors with at least one hit appear in ``counts``. Placeholders are numbered per
    type in order of first appearance, and a repeated value reuses its placeholder.
    """
    hits = find_pii(text)
    if not hits:
        return text, {}
    numbers: dict[tuple[str, str], str] = {}
    per_type: dict[str, int] = {}
    counts: dict[str, int] = {}
    out: list[str] = []
    pos = 0
    for start, end, kind in hits:
        key = (kind, _identity(kind, text[start:end]))
        placeholder = numbers.get(key)
        if placeholder is None:
            per_type[kind] = per_type.get(kind, 0) + 1
            placeholder = f"[{LABELS[kind]}_{per_type[kind]}]"
            numbers[key] = placeholder
        counts[kind] = counts.get(kind, 0) + 1
        out.append(text[pos:start])
        out.append(placeholder)
        pos = end
    out.append(text[pos:])
    return "".join(out), counts


def placeholder_spans(text: str) -> list[tuple[int, int]]:
    """Where placeholders sit, so an excerpt can avoid cutting one in half."""
    return [(m.start(), m.end()) for m in _PLACEHOLDER.finditer(text)]
