"""The ASCII view of a text: Unicode spaces, dashes, digits and full-width forms spelled in
ASCII, one character for one, so that matches' offsets are offsets into the original."""

from __future__ import annotations

import unicodedata

from docclass.detectors.bounded import BoundedPattern

# --- the ASCII view ------------------------------------------------------------------------

_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"


def _ascii_twin(ch: str) -> str:
    """The ASCII character a detector should see for ``ch`` (``ch`` itself if none)."""
    code = ord(ch)
    if 0xFF01 <= code <= 0xFF5E:  # full-width forms: ＠ → @, ４ → 4, Ｄ → D
        return chr(code - 0xFEE0)
    digit = unicodedata.decimal(ch, None)
    if digit is not None:  # any script's digits: ٤ → 4
        return str(digit)
    category = unicodedata.category(ch)
    if category == "Zs" or ch in _INVISIBLE:  # no-break, thin, narrow, zero-width spaces
        return " "
    if category == "Pd" or ch in "\u2212\u00ad":  # hyphens, en/em dashes, minus, soft hyphen
        return "-"
    return ch


class _TwinTable(dict[int, int]):
    """``str.translate`` table that works out each character's twin once."""

    def __missing__(self, code: int) -> int:
        twin = self[code] = ord(_ascii_twin(chr(code)))
        return twin


_TWINS = _TwinTable()
_NON_ASCII = BoundedPattern(r"[^\x00-\x7f]{1,256}")
_last_view: tuple[str, str] = ("", "")


def pii_view(text: str) -> str:
    """``text`` with Unicode spaces, dashes, digits and full-width forms spelled in ASCII.

    One character for one, so a span found in the view is the same span in ``text``. The
    last view is kept: the personal-data detectors run one after another on one text.
    """
    global _last_view
    if text.isascii():
        return text
    cached = _last_view
    if cached[0] is text:
        return cached[1]
    parts: list[str] = []
    pos = 0
    for hit in _NON_ASCII.finditer(text):
        parts.append(text[pos : hit.start()])
        parts.append(hit.group().translate(_TWINS))
        pos = hit.end()
    parts.append(text[pos:])
    view = "".join(parts)
    _last_view = (text, view)
    return view
