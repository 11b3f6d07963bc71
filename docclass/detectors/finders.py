"""The detectors: one function ``(text) -> list[Span]`` per kind of finding."""

from __future__ import annotations

import re
from collections.abc import Iterator

from docclass.detectors.bounded import BoundedPattern, Hit
from docclass.detectors.checks import _IBAN_LENGTHS, _keep_last, iban_ok, luhn_ok, mask_email
from docclass.detectors.results import Span
from docclass.detectors.view import pii_view

# --- detectors -------------------------------------------------------------------------

# The number patterns open with a plain character class and check what comes before it with
# lookbehinds placed after that class: Python's re then jumps from candidate to candidate in
# C (a leading lookahead, as money and dates still have, makes it try every position). The
# personal-data patterns run on the ASCII view, where [0-9] is every digit. Every repeat is
# capped: BoundedPattern refuses a pattern that could reach further.
_WORD = r"\w\u0300-\u036f"  # word characters and combining accents (decomposed "é")
_EMAIL = BoundedPattern(
    rf"(?<![{_WORD}.%+-])[{_WORD}.%+-]{{1,64}}@(?:[{_WORD}-]{{1,63}}\.){{1,8}}"
    r"(?:xn--[A-Za-z0-9-]{1,59}|[^\W\d_]{2,24})\b",
    required="@",
)
# The first character (+, "(" or a digit) is matched once; each branch then checks which
# it was with a lookbehind and goes on from there.
_PHONE = BoundedPattern(
    r"[+(0-9](?<![\w+].)(?<![0-9][ .,-].)(?:"
    # +1 (555) 867-5309, (555) 867-5309, 555.867.5309, 020 7946 0958: area code, two groups
    r"(?P<area>(?<=\+)[0-9]{1,3}[ .-]?(?:\([0-9]{2,4}\)[ .-]?|[0-9]{2,4}[ .-])"
    r"[0-9]{3,4}[ .-][0-9]{3,4}"
    r"|(?<=\()[0-9]{2,4}\)[ .-]?[0-9]{3,4}[ .-][0-9]{3,4}"
    r"|(?<=[0-9])[0-9]{1,3}[ .-][0-9]{3,4}[ .-][0-9]{3,4})"
    # +44 (0)20 7946 0958, +33 1 23 45 67 89, +49 30 12345678: any grouping after a "+"
    r"|(?P<plus>(?<=\+)[0-9]{1,3}(?:[ .-]?\(0\))?[ .-]?(?:\([0-9]{1,5}\)[ .-]?)?"
    r"[0-9]{1,8}(?:[ .-][0-9]{1,8}){0,5})"
    # 01 23 45 67 89, (030) 12345678, 07700 900123: national numbers with a trunk 0
    r"|(?P<trunk>(?<=\()0[1-9][0-9]{0,3}\)?(?:[ .-][0-9]{2,8}){1,4}"
    r"|(?<=0)[1-9][0-9]{0,3}\)?(?:[ .-][0-9]{2,8}){1,4})"
    # +15558675309 (E.164), or 5558675309 right after a label such as "Tel:"
    r"|(?P<bare>(?<=\+)[0-9]{7,15}|(?<=[0-9])[0-9]{6,14})"
    r")(?![\w-])(?![ .-][0-9])"
)
_PHONE_LABEL = BoundedPattern(
    r"\b(?:tel(?:ephone)?|phone|ph|mobile|mob|cell(?:phone)?|fax|whats ?app|contact"
    r"|call(?: {1,3}(?:me|us))?(?: {1,3}(?:at|on))?)\.?"
    r" {0,3}(?:no\.?|number|num\.?|#)? {0,3}[:#=.-]? {0,3}\Z",
    re.IGNORECASE,
)
_CARD = BoundedPattern(
    r"[2-6](?:(?<![0-9-].)[ -]?(?:[0-9][ -]?){11,17}[0-9](?![0-9-])"
    # 4111.1111.1111.1111 and 3782.822463.10005: dots only in the usual groups
    r"|(?<![0-9.-].)(?:[0-9]{3}(?:\.[0-9]{4}){2,3}(?:\.[0-9]{1,3})?|[0-9]{3}\.[0-9]{6}\.[0-9]{4,5})"
    r"(?![0-9-]|\.[0-9]))"
)
# Matches start at the check digits (a class of digits is fast to find); the country code
# is checked by the lookbehind and added back by detect_ibans.
_IBAN = BoundedPattern(
    r"[0-9]{2}(?<=\b[A-Za-z]{2}[0-9]{2})(?:[ -]?[A-Za-z0-9]{4}){2,7}(?:[ -]?[A-Za-z0-9]{1,3})?\b"
)
_IBAN_COUNTRY = 2
_SSN = BoundedPattern(
    r"[0-8](?<!\w.)(?<![0-9][ .-].)[0-9]{2}(?<!000)(?<!666)[ -]?(?!00)[0-9]{2}[ -]?(?!0000)[0-9]{4}"
    r"\b(?![ -][0-9])"
)
_SSN_SHAPE = BoundedPattern(r"[0-9]{3}[ -][0-9]{2}[ -][0-9]{4}")
_SSN_LABEL = BoundedPattern(
    r"\b(?:ssn|s\.s\.n\.?|ss ?#|ss ?no\.?|social {1,3}security(?: {1,3}(?:number|no\.?|num\.?|#))?"
    r"|soc\.? {0,2}sec\.?)\.? {0,3}(?:no\.?|number|#)? {0,3}[:#=.-]? {0,3}\Z",
    re.IGNORECASE,
)
# Currency codes an amount may follow (the money detector's, and the classifier's layout's).
CURRENCY_CODES = ("USD", "EUR", "GBP", "RM", "MYR", "SGD", "AUD", "CAD", "CHF", "JPY", "INR")
_CURRENCY_CODES = f"(?:{'|'.join(CURRENCY_CODES)})"
_CODE_INITIALS = "".join(dict.fromkeys(c[0] for c in CURRENCY_CODES))  # where a code can start
# Amounts never restart inside a number (the lookbehinds) and never give digits back
# (possessive ``{0,12}+``): a 200 KB run of "1,000,000,…" is one linear scan.
_MONEY = BoundedPattern(
    rf"(?=[$€£¥{_CODE_INITIALS}\d])"
    rf"(?:(?:[$€£¥]|\b{_CURRENCY_CODES}(?![A-Za-z]))\s?-?\d{{1,3}}(?:[,.\s]\d{{3}}){{0,12}}+"
    r"(?:[.,]\d{2})?"
    r"|(?<![\d,.])\b\d{1,3}(?:,\d{3}){0,12}+(?:\.\d{2})?\s?(?:USD|EUR|GBP|dollars|euros|pounds)\b)",
    re.IGNORECASE,
)
_MONTHS = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_DATE = BoundedPattern(
    r"(?=[\dJFMASOND])\b(?:\d{4}-\d{2}-\d{2}"
    r"|\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s{{1,16}}{_MONTHS}\.?,?\s{{1,16}}\d{{4}}"
    rf"|{_MONTHS}\.?\s{{1,16}}\d{{1,2}}(?:st|nd|rd|th)?,?\s{{1,16}}\d{{4}})\b",
    re.IGNORECASE,
)
_LABEL_LOOKBACK = 48


def _label_start(view: str, start: int, label: BoundedPattern) -> int | None:
    """Where a label such as "SSN:" that ends right at ``start`` begins, or None."""
    low = max(0, start - _LABEL_LOOKBACK)
    hit = label.search(view[low:start])
    return None if hit is None else low + hit.start()


def _digits(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit())


def detect_emails(text: str) -> list[Span]:
    view = pii_view(text)
    return [Span(h.start(), h.end(), mask_email(h.group())) for h in _EMAIL.finditer(view)]


# Digits a phone number may have, by how it is written (the E.164 maximum is 15).
_PHONE_DIGITS = {"area": (7, 15), "plus": (8, 15), "trunk": (9, 13), "bare": (8, 15)}


def detect_phones(text: str) -> list[Span]:
    """Phone numbers with separators, after a "+", or (digits only) after a label."""
    view = pii_view(text)
    out = []
    for h in _PHONE.finditer(view):
        value = h.group()
        shape = h.lastgroup or "area"
        start = h.start()
        if shape == "bare" and not value.startswith("+"):
            label = _label_start(view, start, _PHONE_LABEL)
            if label is None:  # a bare run of digits is an order number as often as a phone
                continue
            start = label
        else:
            low, high = _PHONE_DIGITS[shape]
            if not low <= len(_digits(value)) <= high:
                continue
            if shape == "trunk" and _SSN_SHAPE.fullmatch(value):  # 3-2-4 is how SSNs are grouped
                continue
        if not _DATE.match(value):  # 05-06-2018, or a date and a time
            out.append(Span(start, h.end(), view[start : h.start()] + _keep_last(value)))
    return out


def detect_payment_cards(text: str) -> list[Span]:
    view = pii_view(text)
    out = []
    ibans: Iterator[Hit] | None = None
    iban = (-1, -1)  # the first IBAN-shaped span that does not end before this card
    for h in _CARD.finditer(view):
        digits = _digits(h.group())
        if not (13 <= len(digits) <= 19 and luhn_ok(digits)):
            continue
        # Digits inside IBAN-shaped text are not a card, whatever Luhn says. Both come in
        # text order, so one pass over the IBAN shapes serves every card.
        if ibans is None:
            ibans = _IBAN.finditer(view)
        while iban[1] <= h.start():
            found = next(ibans, None)
            if found is None:
                iban = (len(view) + 1, len(view) + 1)
                break
            iban = (found.start() - _IBAN_COUNTRY, found.end())
        if iban[0] < h.end() and h.start() < iban[1]:
            continue
        out.append(Span(h.start(), h.end(), _keep_last(h.group())))
    return out


def detect_ibans(text: str) -> list[Span]:
    """IBANs in any case, grouped by spaces or dashes, that pass the mod-97 check."""
    view = pii_view(text)
    out = []
    for h in _IBAN.finditer(view):
        start = h.start() - _IBAN_COUNTRY
        value = view[start : h.end()]
        want = _IBAN_LENGTHS.get(value[:2].upper())
        if want is None:
            continue
        # Exactly the country's length: a word after the IBAN may have been read as a group.
        alnum = [i for i, ch in enumerate(value) if ch.isalnum()]
        if len(alnum) < want:
            continue
        cut = alnum[want - 1] + 1
        if cut < len(value) and value[cut].isalnum():  # the cut falls inside a group
            continue
        compact = "".join(value[i] for i in alnum[:want]).upper()
        if iban_ok(compact):
            out.append(Span(start, start + cut, compact[:2] + _keep_last(compact[2:])))
    return out


def detect_ssns(text: str) -> list[Span]:
    """123-45-6789 and 123 45 6789 anywhere; 123456789 and other spellings after "SSN"."""
    view = pii_view(text)
    out = []
    for h in _SSN.finditer(view):
        value = h.group()
        start = h.start()
        if value[3:4] + value[6:7] not in ("--", "  "):
            label = _label_start(view, start, _SSN_LABEL)
            if label is None:
                continue
            start = label
        out.append(Span(start, h.end(), view[start : h.start()] + _keep_last(value)))
    return out


def detect_money(text: str) -> list[Span]:
    return [Span(h.start(), h.end(), h.group().strip()) for h in _MONEY.finditer(text)]


def detect_dates(text: str) -> list[Span]:
    return [Span(h.start(), h.end(), h.group()) for h in _DATE.finditer(text)]
