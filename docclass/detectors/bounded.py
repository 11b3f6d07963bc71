"""Bounded patterns: capped repeats, run on windows, so no text costs more than linear time."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from re import _constants as _sre  # type: ignore[attr-defined]
from re import _parser as _sre_parse  # type: ignore[attr-defined]

# Patterns run on slices of WINDOW characters plus the few they can look at around a match.
WINDOW = 8 * 1024
# Longest string a pattern may be matched against whole (another pattern's match, a label).
SHORT = 1024


# --- bounded patterns ------------------------------------------------------------------

_CHAR_OPS = (_sre.LITERAL, _sre.NOT_LITERAL, _sre.ANY, _sre.IN)
_REPEATS = (_sre.MAX_REPEAT, _sre.MIN_REPEAT, _sre.POSSESSIVE_REPEAT)


def _extent(items: Iterable[tuple[object, object]]) -> tuple[int, int, int, int]:
    """(fewest, most characters matched, reach ahead of, reach behind the start) of a parse.

    The reach is every character the matcher may look at while trying one start position,
    lookarounds and word boundaries included; it is finite only if every repeat is capped.
    """
    lo = hi = ahead = behind = 0
    for op, av in items:
        if op in _CHAR_OPS:
            i_lo, i_hi, i_ahead, i_behind = 1, 1, 1, 0
        elif op is _sre.AT:  # \b, ^, $ look at the characters on both sides
            i_lo, i_hi, i_ahead, i_behind = 0, 0, 1, 1
        elif op in _REPEATS:
            low, high, sub = av  # type: ignore[misc]
            if high >= _sre.MAXREPEAT:
                raise ValueError("unbounded repeat (*, + or {n,}): cap it, e.g. {1,64}")
            s_lo, s_hi, s_ahead, s_behind = _extent(sub)
            i_lo, i_hi = s_lo * low, s_hi * high
            i_ahead = s_hi * (high - 1) + s_ahead if high else 0
            i_behind = s_behind if high else 0
        elif op is _sre.SUBPATTERN:
            i_lo, i_hi, i_ahead, i_behind = _extent(av[-1])  # type: ignore[index]
        elif op is _sre.ATOMIC_GROUP:
            i_lo, i_hi, i_ahead, i_behind = _extent(av)  # type: ignore[arg-type]
        elif op is _sre.BRANCH:
            parts = [_extent(branch) for branch in av[1]]  # type: ignore[index]
            i_lo = min(p[0] for p in parts)
            i_hi, i_ahead, i_behind = (max(p[k] for p in parts) for k in (1, 2, 3))
        elif op in (_sre.ASSERT, _sre.ASSERT_NOT):
            direction, sub = av  # type: ignore[misc]
            s_lo, s_hi, s_ahead, s_behind = _extent(sub)
            i_lo = i_hi = 0
            if direction == 1:
                i_ahead, i_behind = s_ahead, s_behind
            else:  # a lookbehind of fixed width s_hi starts that far back
                i_ahead, i_behind = max(0, s_ahead - s_hi), s_hi + s_behind
        else:
            raise ValueError(f"regex construct {op} is not supported in a detector pattern")
        ahead = max(ahead, hi + i_ahead)
        behind = max(behind, i_behind - lo)
        lo += i_lo
        hi += i_hi
    return lo, hi, ahead, behind


def pattern_reach(pattern: re.Pattern[str]) -> tuple[int, int]:
    """(characters before, characters from) a match's start that ``pattern`` may look at.

    Raises ``ValueError`` for a pattern that can look arbitrarily far (an uncapped repeat,
    a backreference) or can match the empty string: windowed matching needs neither.
    """
    lo, _hi, ahead, behind = _extent(_sre_parse.parse(pattern.pattern, pattern.flags))
    if lo < 1:
        raise ValueError("a detector pattern must not match the empty string")
    return behind, ahead


class Hit:
    """One match of a :class:`BoundedPattern`, with offsets into the whole text."""

    __slots__ = ("_base", "_match")

    def __init__(self, match: re.Match[str], base: int) -> None:
        self._match = match
        self._base = base

    def start(self, group: int | str = 0) -> int:
        at = self._match.start(group)
        return at + self._base if at >= 0 else at

    def end(self, group: int | str = 0) -> int:
        at = self._match.end(group)
        return at + self._base if at >= 0 else at

    def span(self, group: int | str = 0) -> tuple[int, int]:
        return self.start(group), self.end(group)

    def group(self, group: int | str = 0) -> str:
        return self._match.group(group)

    @property
    def lastgroup(self) -> str | None:
        return self._match.lastgroup


class BoundedPattern:
    """A pattern that only ever runs on slices of at most ``WINDOW`` + its reach characters.

    Why: a regex's worst case grows with the string it runs on, faster than linearly for
    some patterns. Run on slices of bounded length, each slice costs at most a constant
    that depends on the pattern, never on the text, so a whole text costs linear time.
    Every repeat must be capped (checked here): then no match, and nothing the matcher
    looks at, reaches further than ``reach`` from where a match starts, and the matches
    found slice by slice are exactly those of ``compiled.finditer(text)``.

    ``required`` is a character every match contains: slices without it are skipped.
    """

    __slots__ = ("behind", "compiled", "reach", "required")

    def __init__(self, pattern: str, flags: int = 0, *, required: str | None = None) -> None:
        self.compiled = re.compile(pattern, flags)
        self.behind, self.reach = pattern_reach(self.compiled)
        self.required = required

    def finditer(self, text: str) -> Iterator[Hit]:
        """The matches of ``compiled.finditer(text)``, found window by window.

        A window owns the matches that start inside it; its slice extends ``reach`` past
        its end (so such a match, and whatever decides it, is inside the slice) and
        ``behind`` before its start (for lookbehinds and word boundaries). The next
        window's search resumes where the last match ended, as ``finditer`` does.
        """
        window = WINDOW
        resume = start = 0
        size = len(text)
        while start < size:
            stop = start + window
            base = max(0, start - self.behind)
            chunk = text[base : stop + self.reach]
            if self.required is None or self.required in chunk:
                for match in self.compiled.finditer(chunk, max(resume, start) - base):
                    if match.start() + base >= stop:
                        break
                    resume = match.end() + base
                    yield Hit(match, base)
            start = stop

    def search(self, text: str) -> Hit | None:
        """The first match, as ``compiled.search(text)`` would find it."""
        return next(self.finditer(text), None)

    def match(self, text: str) -> re.Match[str] | None:
        """``compiled.match`` on a short string (a match found by another pattern)."""
        if len(text) > SHORT:
            raise ValueError("match is for short strings only")
        return self.compiled.match(text)

    def fullmatch(self, text: str) -> re.Match[str] | None:
        """``compiled.fullmatch`` on a short string (a match found by another pattern)."""
        if len(text) > SHORT:
            raise ValueError("fullmatch is for short strings only")
        return self.compiled.fullmatch(text)
