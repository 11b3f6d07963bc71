"""Layout measurements of a document head, general enough for types no taxonomy names.

:func:`structure` says *how* a text is laid out (short numeric lines, header blocks, prose
with quotes, bullet lists), each measurement scaled to 0–1; the concepts' cues
(:mod:`.concepts`) are built from them.

Patterns run on the lower-cased head unless they need case; cheaper than the detectors'
date and money patterns, and they also catch amounts written "RM12.50" or "12.50".
"""

from __future__ import annotations

import math
import re

from docclass.classifiers.local.tokens import _TOKEN
from docclass.detectors import detect_emails

_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]{0,6}"
_DATE = re.compile(
    rf"\b\d{{1,4}}[/.-]\d{{1,2}}[/.-]\d{{2,4}}\b|\b{_MONTH}\.?\s+\d{{1,2}}\b"
    rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH}\b"
)
_CURRENCY = re.compile(r"[$€£¥₹]\s?\d|\b(?:USD|EUR|GBP|RM|MYR|SGD|AUD|CAD|CHF|JPY|INR)\s?\d")
_AMOUNT = re.compile(r"(?<![\d.,/:-])\d{1,3}(?:[,.' ]\d{3})*[.,]\d{2}(?![\d.,/:-]|\s?%)")
_NUMBER = re.compile(r"\d+(?:[.,:/-]\d+)*")  # a number like 1,234.50 counts once
_TOTAL = re.compile(r"\b(?:sub\s?-?total|total|amount due|balance due|amount payable|net amount)\b")
_HEADER = re.compile(r"^(from|to|cc|bcc|subject|sent|date|re|fw|fwd)\s?:", re.M)
_FORWARD = re.compile(r"forwarded by|original message|\bwrote\s?:|^(?:re|fw|fwd)\s?:", re.M)
_SALUTATION = re.compile(r"^(?:dear|hi|hello|hey|good (?:morning|afternoon))\b", re.M)
_DEAR = re.compile(r"^dear\b", re.M)
_CLOSING = re.compile(
    r"\b(?:sincerely|yours faithfully|yours truly|regards|best wishes|respectfully yours)\b"
)
_LABEL_VALUE = re.compile(r"^[^\W\d_][\w ./#&()'-]{0,40}?\s?:\s?\S", re.M)
_LABEL_EMPTY = re.compile(r"^[^\W\d_][\w ./#&()'-]{0,40}?\s?:[ \t]*(?:_{2,}|\.{4,})?[ \t]*$", re.M)
_BLANKS = re.compile(r"_{4,}|\[\s?\]|☐|□|\(\s\)")
_QUOTE = re.compile(r"[\"“”]")
_SAID = re.compile(r"\b(?:said|says|told|according to|spokes(?:man|woman|person))\b")
_WE = re.compile(r"\b(?:we|our|us)\b")
_I_YOU = re.compile(r"\b(?:i|me|my|you|your)\b")
_BULLET = re.compile(r"^(?:[•·▪◦●■►✓*–»-]|â¢|\d{1,2}[.)]\s)", re.M)
_SENTENCE_END = re.compile(r"[.!?](?:\s|$)")
_DATE_RANGE = re.compile(
    r"\b(?:19|20)\d{2}\s*(?:-|–|—|to|till)\s*(?:(?:19|20)\d{2}|present|current|now|date)\b"
)
_IMPERATIVE = re.compile(
    r"^(?:\d{1,2}[.)]\s*)?(?:click|press|select|open|turn|install|insert|connect|remove|"
    r"enter|choose|tap|make sure|ensure|do not|don't|go to|follow|plug|hold|unplug)\b",
    re.M,
)
_SECTION = re.compile(r"^(?:(?:section|article|clause)\s+\d+|\d{1,2}(?:\.\d{1,2})+\.?\s+\S)", re.M)
_DEFINED = re.compile(r"\(\s*(?:the\s+)?[\"“][A-Z]")
_VERSUS = re.compile(r"\b(?:v\.|vs\.?|versus)\s+[A-Z]")
_CASE_NO = re.compile(r"\bcase\s+no\b|\bdocket\b")
_MEMO = re.compile(r"\bmemo(?:randum)?\b")
# Source code: lines ending in a bracket, brace or semicolon, or opening with a keyword.
_CODE_LINE = re.compile(
    r"(?:[{};:(\[]\s*$)|^(?:def|class|import|from|return|if|elif|else|for|while|function|var|"
    r"let|const|public|private|static|#include|package|try|except|catch)\b|=>|==|!=|\+=|::",
    re.M,
)
# Short lines opening with a standard résumé heading ("Education", "Skills", "Experience").
_CV_HEADING = re.compile(
    r"^(education|experience|skills?|employment|qualifications?|projects?|certifications?|"
    r"objective|career|profile|languages|achievements|references|work history)\b.{0,30}$",
    re.M,
)


def _sat(x: float, scale: float) -> float:
    """Saturating 0–1 scale: 0 at 0, ~0.63 at ``scale``."""
    return 1.0 - math.exp(-max(x, 0.0) / scale)


def structure(head: str) -> dict[str, float]:
    """General layout measurements of a document head, each scaled to 0–1.

    They describe *how* a text is laid out (short numeric lines, header blocks, prose with
    quotes, bullet lists), which holds for documents whose vocabulary the taxonomy never
    mentions.
    """
    lines = [ln for ln in (raw.strip() for raw in head.splitlines()) if ln]
    body = "\n".join(lines)
    low = body.lower()
    n_lines = max(len(lines), 1)
    n_words = max(len(_TOKEN.findall(low)), 1)
    cased = [ln for ln in lines if ln.lower() != ln.upper()]
    # A line without end punctuation (a heading, a list item) ends a "sentence" too.
    unterminated = sum(1 for ln in lines if ln[-1] not in ".!?:;,")
    sentences = max(len(_SENTENCE_END.findall(body)) + unterminated, 1)
    amounts = max(len(_AMOUNT.findall(body)), len(_CURRENCY.findall(body)))
    per_kchar = 1000.0 / max(len(body), 200)
    return {
        "short_lines": sum(1 for ln in lines if len(ln) < 40) / n_lines,
        "long_lines": sum(len(ln) for ln in lines if len(ln) >= 100) / max(len(body), 1),
        "numeric": _sat(len(_NUMBER.findall(low)) / n_words, 0.2),
        # Per word, not per line: a news paragraph quoting three prices is one long line.
        "amounts": _sat(amounts * 100.0 / n_words, 6.0),
        "total": float(_TOTAL.search(low) is not None),
        "dates": _sat(len(_DATE.findall(low)) * per_kchar, 2.0),
        "emails": _sat(len(detect_emails(body)), 1.5),
        "headers": _sat(len({m.group(1) for m in _HEADER.finditer(low)}), 1.5),
        "forward": float(_FORWARD.search(low) is not None),
        "salutation": float(_SALUTATION.search(low) is not None),
        "dear": float(_DEAR.search(low) is not None),
        "closing": float(_CLOSING.search(low) is not None),
        "label_value": len(_LABEL_VALUE.findall(body)) / n_lines,
        "label_empty": _sat(len(_LABEL_EMPTY.findall(body)), 3.0),
        "blanks": _sat(len(_BLANKS.findall(body)), 3.0),
        "quotes": _sat(len(_QUOTE.findall(body)) * per_kchar, 4.0),
        "said": _sat(len(_SAID.findall(low)) * 100.0 / n_words, 0.6),
        "we": _sat(len(_WE.findall(low)) * 100.0 / n_words, 1.5),
        "i_you": _sat(len(_I_YOU.findall(low)) * 100.0 / n_words, 2.0),
        "bullets": len(_BULLET.findall(body)) / n_lines,
        "sentence_len": _sat(n_words / sentences, 20.0),
        "upper": sum(1 for ln in cased if ln == ln.upper()) / max(len(cased), 1),
        "date_ranges": _sat(len(_DATE_RANGE.findall(low)), 1.5),
        "imperative": _sat(len(_IMPERATIVE.findall(low)), 2.0),
        "sections": _sat(len(_SECTION.findall(low)), 2.0),
        "defined": _sat(len(_DEFINED.findall(body)), 1.5),
        "versus": _sat(len(_VERSUS.findall(body)) + len(_CASE_NO.findall(low)), 1.0),
        "memo": float(_MEMO.search(low[:400]) is not None),
        "code": _sat(len(_CODE_LINE.findall(body)) / n_lines, 0.4),
        # Pages that hold little text (form feeds mark page starts in the classifier input).
        "sparse_pages": _sat(max(head.count("\f") - 1, 0), 2.0),
        "cv_headings": _sat(len({m.group(1) for m in _CV_HEADING.finditer(low)}), 2.0),
    }
