"""Plain text: strict UTF-8 first, then charset-normalizer.

The charset helpers also serve :mod:`docclass.extraction.sniffing`, which must tell text from
binary data before deciding how to read a file.
"""

from __future__ import annotations

import codecs

from charset_normalizer import CharsetMatch, from_bytes

from docclass.extraction.errors import EmptyDocument, UnsupportedFormat
from docclass.extraction.source import HEAD_BYTES, Extracted, _normalise, _Source
from docclass.settings import Limits

TEXT_BYTES_PER_CHAR = 8  # bytes read per character kept: UTF-8 needs at most 4, CRLF 2

_BOMS: list[tuple[bytes, str]] = [  # longest first: UTF-32-LE starts like UTF-16-LE
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
]


def _bom_codec(data: bytes) -> str | None:
    return next((codec for bom, codec in _BOMS if data.startswith(bom)), None)


def _best_charset(data: bytes) -> CharsetMatch | None:
    """charset-normalizer's best guess, but cp1252 wins a tie.

    French text in cp1252 scores exactly like cp1250 (which turns "crème" into "crčme"), and
    charset-normalizer then picks whichever it tried first; cp1252 is far more common.
    """
    matches = from_bytes(data)
    best = matches.best()
    if best is None or best.encoding == "cp1252":
        return best
    for match in matches:
        if (
            match.encoding == "cp1252"
            and abs(match.chaos - best.chaos) < 0.005
            and abs(match.coherence - best.coherence) < 0.005
        ):
            return match
    return best


def _utf16_guess(data: bytes) -> str | None:
    """'utf-16-le'/'-be' for BOM-less UTF-16 of mostly Latin text (zeros on one parity only)."""
    sample = data[: HEAD_BYTES - HEAD_BYTES % 2]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    zeros_even, zeros_odd = even.count(0) / len(even), odd.count(0) / len(odd)
    if zeros_odd > 0.6 and zeros_even < 0.02:
        return "utf-16-le"
    if zeros_even > 0.6 and zeros_odd < 0.02:
        return "utf-16-be"
    return None


def _decode(data: bytes, partial: bool = False) -> tuple[str, str]:
    """(text, codec name): BOM, then strict UTF-8, then BOM-less UTF-16, then charset-normalizer.

    ``partial`` says ``data`` is the start of a longer file, so it may end inside a character:
    it is cut back to a line end (or whole code units) before anything judges its encoding.
    """
    codec = _bom_codec(data)
    if codec is None and b"\x00" in data[:HEAD_BYTES]:
        codec = _utf16_guess(data)
    if codec is not None:
        if partial:
            unit = 4 if "32" in codec else 2
            data = data[: len(data) - len(data) % unit]
        return data.decode(codec, errors="replace"), codec  # these codecs drop the BOM
    if partial:
        line_end = data.rfind(b"\n", max(0, len(data) - 65536))
        if line_end > 0:
            data = data[: line_end + 1]
    for cut in range(4 if partial else 1):  # a partial read may end inside a UTF-8 sequence
        try:
            text = data[: len(data) - cut].decode("utf-8")
            return text, ("ascii" if data.isascii() else "utf-8")
        except UnicodeDecodeError:
            pass
    best = _best_charset(data)
    if best is None:
        raise UnsupportedFormat("file does not decode as text in any known encoding")
    return str(best).lstrip("\ufeff"), codecs.lookup(best.encoding).name


def _read_enough(src: _Source, limits: Limits) -> tuple[bytes, bool]:
    """(bytes, partial): the start of the file that can fill ``max_chars``, or all of it.

    Text past ``max_chars`` is thrown away, so a 50 MB log need not be decoded (and copied
    by each normalising pass) in full: that cost ~300 MB of memory for 200,000 characters.
    """
    budget = limits.max_chars * TEXT_BYTES_PER_CHAR + HEAD_BYTES
    if src.size() <= budget:
        return src.read(), False
    return src.head(budget), True


def _extract_text(src: _Source, limits: Limits, warnings: list[str]) -> Extracted:
    data, partial = _read_enough(src, limits)
    raw, encoding = _decode(data, partial)
    text = _normalise(raw)
    if partial and len(text) < limits.max_chars:
        # Mostly blank lines or control codes: the start did not fill max_chars, read it all.
        data, partial = src.read(), False
        raw, encoding = _decode(data)
        text = _normalise(raw)
    if not text:
        raise EmptyDocument("the text file contains only whitespace")
    truncated = partial or len(text) > limits.max_chars
    return Extracted(
        text=text[: limits.max_chars],
        kind="text",
        engine="text",
        pages=1,
        pages_read=1,
        page_starts=[0],
        truncated=truncated,
        encoding=encoding,
        warnings=warnings,
    )
