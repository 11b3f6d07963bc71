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
import struct

from docclass.classifiers.local.tokens import _TOKEN
from docclass.detectors import detect_emails
from docclass.detectors.finders import CURRENCY_CODES

_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]{0,6}"
_DATE = re.compile(
    rf"\b\d{{1,4}}[/.-]\d{{1,2}}[/.-]\d{{2,4}}\b|\b{_MONTH}\.?\s+\d{{1,2}}\b"
    rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH}\b"
)
# Money: a currency sign or code before a digit, and amounts with two decimals ("1,234.50").
# Each is written to start with a literal or a digit (the code's word boundary and the
# amount's "nothing numeric before it" checked just after its first character), so the
# regex engine scans for where a match can start instead of trying every position: the
# same matches as r"[$€£¥₹]\s?\d|\b(?:USD|…)\s?\d" and r"(?<![\d.,/:-])\d{1,3}…" in a
# fifth and under a third of the time. Every head's layout and every rationale runs both.
_CURRENCY = re.compile(
    "|".join(
        [*(rf"{re.escape(sign)}\s?\d" for sign in "$€£¥₹")]
        + [rf"{c[0]}(?<!\w{c[0]}){c[1:]}\s?\d" for c in CURRENCY_CODES]
    )
)
_AMOUNT = re.compile(r"\d(?<![\d.,/:-]\d)\d{0,2}(?:[,.' ]\d{3})*[.,]\d{2}(?![\d.,/:-]|\s?%)")
_NUMBER = re.compile(r"\d+(?:[.,:/-]\d+)*")  # a number like 1,234.50 counts once
_TOTAL = re.compile(r"\b(?:sub\s?-?total|total|amount due|balance due|amount payable|net amount)\b")
# Header labels of emails and memos: the English ones, and their equivalents in the major
# European languages counted as the English label they translate ("Von:" is "from:").
_HEADER_ROLES = {
    **{w: w for w in ("from", "to", "cc", "bcc", "subject", "sent", "date", "re", "fw", "fwd")},
    "von": "from", "de": "from", "van": "from", "da": "from",
    "an": "to", "à": "to", "a": "to", "para": "to", "aan": "to",
    "betreff": "subject", "objet": "subject", "asunto": "subject", "oggetto": "subject",
    "onderwerp": "subject",
    "gesendet": "sent", "envoyé": "sent", "enviado": "sent", "inviato": "sent",
    "verzonden": "sent",
    "datum": "date", "fecha": "date",
}  # fmt: skip
_HEADER = re.compile(rf"^({'|'.join(_HEADER_ROLES)})\s?:", re.M)
_FORWARD = re.compile(r"forwarded by|original message|\bwrote\s?:|^(?:re|fw|fwd)\s?:", re.M)
# A letter's salutation and closing formula, in English and the major European languages.
_DEAR_WORDS = (
    r"dear|sehr geehrte[rs]?|liebe[rs]?|madame|monsieur|mesdames|messieurs|ch[eè]re?s?|"
    r"estimad[oa]s?|querid[oa]s?|distinguid[oa]s?|gentile|gentili|egregi[oa]|spettabile|"
    r"geachte|beste"
)
_SALUTATION = re.compile(rf"^(?:{_DEAR_WORDS}|hi|hello|hey|good (?:morning|afternoon))\b", re.M)
_DEAR = re.compile(rf"^(?:{_DEAR_WORDS})\b", re.M)
_CLOSING = re.compile(
    r"\b(?:sincerely|yours faithfully|yours truly|regards|best wishes|respectfully yours|"
    r"mit freundlichen gr(?:ü|ue|u)(?:ß|ss)en|hochachtungsvoll|cordialement|veuillez agr[ée]er|"
    r"salutations distingu[ée]es|atentamente|saludos cordiales|un cordial saludo|"
    r"cordiali saluti|distinti saluti|met vriendelijke groet(?:en)?|hoogachtend)\b"
)
# A salutation this near the start opens the document: a letter (or an email's body).
_TOP_CHARS = 600
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
_MEMO = re.compile(
    r"\b(?:memo(?:randum)?|m[ée]morandum|memor[áa]ndum|aktennotiz|hausmitteilung|"
    r"note de service|nota interna|promemoria)\b"
)
# The header lines a memo opens with; an email's carry addresses or a "Sent:" line too.
_MEMO_BLOCK_LINES = 12
_NOT_MEMO_HEADER = re.compile(
    r"@|^(?:sent|gesendet|envoy[ée]|enviado|inviato|verzonden|received|return-path|"
    r"message-id|mime-version|content-type|delivered-to)\s?:",
    re.M,
)
# A table of contents: its heading (in the major European languages) or dot-leader lines
# ending in a page number. Reports and manuals have one; letters, slides and papers seldom.
_TOC_HEADING = re.compile(
    r"^(?:table of contents|contents|inhaltsverzeichnis|inhalt|table des mati[èe]res|sommaire|"
    r"[íi]ndice|tabla de contenidos?|sommario|inhoud(?:sopgave)?)\s*$",
    re.M,
)
_TOC_LINE = re.compile(r"(?:\.\s?){4,}\s*\d{1,3}\s*$|…{2,}\s*\d{1,3}\s*$", re.M)
# Who a report was written for and by: its cover page says so.
_PREPARED = re.compile(
    r"\b(?:prepared (?:for|by)|submitted (?:to|by)|commissioned by|erstellt (?:für|von)|"
    r"pr[ée]par[ée] (?:pour|par)|preparado (?:para|por)|preparato (?:per|da)|"
    r"opgesteld (?:voor|door))\b"
)
# Electronic bank-statement formats (OFX, ISO 20022 camt.05x, SWIFT MT940/942): their
# standard tags, whichever bank exported them.
_STATEMENT_FORMAT = re.compile(
    r"<(?:stmttrn|banktranlist|ledgerbal|availbal|stmtrs|ccstmtrs|bankacctfrom|trnamt)>|"
    r"<(?:bktocstmrstmt|bktocstmracctrpt|ntry|bal|acct)>|^:(?:20|25|28c|60[fm]|61|62[fm]|86):",
    re.M,
)
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


# A title is among the first few lines, and looks like one: short, capitalised, no sentence
# or label punctuation at its end, not a header line ("Subject: … report" names a topic).
_LEAD_LINES = 5
_TITLE_CHARS = 60
_TITLE_WORDS = 8
_LABEL_START = re.compile(r"^[^\W\d_][\w -]{0,20}:")


_LETTER = re.compile(r"[^\W\d_]")


def _title_like(line: str) -> bool:
    if len(line) > _TITLE_CHARS or line[-1] in ".,;:" or len(line.split()) > _TITLE_WORDS:
        return False
    first = _LETTER.search(line)
    return first is not None and first.group().isupper() and _LABEL_START.match(line) is None


def lead(head: str) -> str:
    """The document's title-like first lines, lower-cased: where it names its own type.

    Only short capitalised lines count: prose wrapped into short lines (a message that
    mentions "the report", "a receipt") is not a title.
    """
    lines = [ln for ln in (raw.strip() for raw in head.splitlines()) if ln][:_LEAD_LINES]
    return "\n".join(ln.lower() for ln in lines if _title_like(ln))


def _memo_block(lines: list[str]) -> float:
    """1 when the first lines are a To/From block with a date or subject and no email
    addresses or transport headers (which an email's have), else 0."""
    top = "\n".join(lines[:_MEMO_BLOCK_LINES]).lower()
    roles = {_HEADER_ROLES[m.group(1)] for m in _HEADER.finditer(top)}
    if not {"to", "from"} <= roles or not roles & {"date", "subject", "re"}:
        return 0.0
    return float(_NOT_MEMO_HEADER.search(top) is None)


# A statement's transaction row is short; a narrative paragraph that names a date and an
# amount ("on 3/5/2024 they charged me 45.00 …") is one long line and no ledger.
_LEDGER_ROW_CHARS = 120


def _ledger_row(line: str) -> bool:
    return (
        len(line) <= _LEDGER_ROW_CHARS
        and _AMOUNT.search(line) is not None
        and _DATE.search(line.lower()) is not None
    )


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
        "headers": _sat(len({_HEADER_ROLES[m.group(1)] for m in _HEADER.finditer(low)}), 1.5),
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
        "memo_block": _memo_block(lines),
        "dear_top": float(_DEAR.search(low[:_TOP_CHARS]) is not None),
        "toc": max(
            float(_TOC_HEADING.search(low) is not None), _sat(len(_TOC_LINE.findall(low)), 2.0)
        ),
        "prepared": float(_PREPARED.search(low) is not None),
        "statement_format": _sat(len(set(_STATEMENT_FORMAT.findall(low))), 2.0),
        # Ledger rows: short lines holding a date and an amount (a statement's transactions).
        "dated_amounts": _sat(sum(1 for ln in lines if _ledger_row(ln)), 3.0),
        "code": _sat(len(_CODE_LINE.findall(body)) / n_lines, 0.4),
        # Pages that hold little text (form feeds mark page starts in the classifier input).
        "sparse_pages": _sat(max(head.count("\f") - 1, 0), 2.0),
        "cv_headings": _sat(len({m.group(1) for m in _CV_HEADING.finditer(low)}), 2.0),
    }


# The measurements in a fixed order, for storing them with the document: a job's batch pass
# and a re-score read them back instead of measuring every head again (the costliest part of
# reading a head). Raise LAYOUT_VERSION when a measurement's definition changes: stored
# layouts of an older version are then measured again.
LAYOUT_VERSION = 1
LAYOUT_KEYS: tuple[str, ...] = tuple(structure("x"))
_PACKED = struct.Struct(f"<I{len(LAYOUT_KEYS)}d")


def pack_layout(measured: dict[str, float]) -> bytes:
    """The measurements as bytes (exact: float64), with their version."""
    return _PACKED.pack(LAYOUT_VERSION, *(measured[k] for k in LAYOUT_KEYS))


def unpack_layout(packed: bytes | None) -> dict[str, float] | None:
    """What :func:`pack_layout` stored, or None when it is missing or of another version."""
    if packed is None or len(packed) != _PACKED.size:
        return None
    version, *values = _PACKED.unpack(packed)
    return dict(zip(LAYOUT_KEYS, values, strict=True)) if version == LAYOUT_VERSION else None
