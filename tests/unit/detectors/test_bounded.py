"""Detectors stay bounded on hostile text: a bound in size, not in wall time.

Every pattern is wrapped here in a recorder that notes the length of each string the regex
engine is given. On 200 KB of pathological text no pattern may ever see more than its window
plus its reach, and all its slices together may not add up to much more than the text: a
regex's cost on a string of bounded length is bounded, so the cost is linear in the text.
On the 240 dev texts the windowed results must equal plain ``finditer`` over the whole text.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from docclass import detectors, redaction
from docclass.detectors import (
    WINDOW,
    BoundedPattern,
    bounded,
    finders,
    pattern_reach,
    run,
    run_detectors,
    view,
)
from docclass.redaction import redact
from docclass.taxonomy import load_taxonomy
from tests.paths import EVAL

SIZE = 200_000
KEYWORDS = [load_taxonomy(name).keywords() for name in ("default", "sensitivity")]


def _fill(unit: str) -> str:
    return (unit * (SIZE // len(unit) + 1))[:SIZE]


PATHOLOGICAL = {
    "money groups": "1" + ",000" * 50_000,
    "digits and spaces": _fill("1 "),
    "digits and dashes": _fill("1-"),
    "digits and dots": _fill("1."),
    "long digit run": _fill("4"),
    "card-like groups": _fill("4111 "),
    "phone-like groups": _fill("+1 (55) "),
    "trunk-like groups": _fill("01 23 "),
    "ssn-like groups": _fill("123 45 "),
    "email domain labels": "a@" + "a." * 100_000,
    "email local runs": _fill("a.b%c+d-"),
    "many at signs": _fill("ab@cd."),
    "letters": _fill("a"),
    "spaces": _fill(" "),
    "dashes": _fill("-"),
    "iban-like": _fill("de89 "),
    "labels": _fill("SSN: Tel: "),
    "no-break spaces and digits": _fill("1\u00a0"),
    "arabic digits": _fill("\u0664\u2013"),
    "keyword prefixes": _fill("confidentia "),
    "month runs": _fill("12 March "),
    "currency": _fill("$1 000 "),
}


def _patterns() -> dict[str, BoundedPattern]:
    """Every pattern the detectors and redaction run, keyword patterns included."""
    found = {
        f"{module.__name__}.{name}": value
        for module in (finders, view, redaction)
        for name, value in vars(module).items()
        if isinstance(value, BoundedPattern)
    }
    for i, keywords in enumerate(KEYWORDS):
        frozen = tuple((c, tuple(w)) for c, w in keywords.items())
        plain, folded, _owners = run._keyword_index(frozen)
        assert plain is not None and folded is not None
        found[f"keywords{i}"], found[f"keywords{i}.folded"] = plain, folded
    return found


@dataclass
class Recorder:
    """Stands in for a compiled pattern and notes the length of every string it is run on."""

    compiled: re.Pattern[str]
    lengths: list[int] = field(default_factory=list)

    def finditer(self, string: str, pos: int = 0) -> Iterator[re.Match[str]]:
        self.lengths.append(len(string))
        return self.compiled.finditer(string, pos)

    def match(self, string: str) -> re.Match[str] | None:
        self.lengths.append(len(string))
        return self.compiled.match(string)

    def fullmatch(self, string: str) -> re.Match[str] | None:
        self.lengths.append(len(string))
        return self.compiled.fullmatch(string)


@pytest.fixture
def recorders(monkeypatch: pytest.MonkeyPatch) -> dict[str, tuple[BoundedPattern, Recorder]]:
    out = {}
    for name, pattern in _patterns().items():
        recorder = Recorder(pattern.compiled)
        monkeypatch.setattr(pattern, "compiled", recorder)
        out[name] = (pattern, recorder)
    return out


def _everything(text: str) -> None:
    """Every stage that runs patterns over a document's text."""
    for keywords in KEYWORDS:
        run_detectors(text, keywords)
    run_detectors(text.replace("a", "\u0130"), KEYWORDS[1])  # lowering changes its length
    redact(text)


def test_every_pattern_has_a_finite_reach_and_none_runs_unwrapped() -> None:
    for name, pattern in _patterns().items():
        assert 0 < pattern.reach <= 1024, name
        assert pattern.behind <= 8, name
    for module in (detectors, redaction):
        raw = [n for n, v in vars(module).items() if isinstance(v, re.Pattern)]
        assert raw == [], f"{module.__name__} runs patterns outside BoundedPattern: {raw}"


@pytest.mark.parametrize(
    "pattern",
    [r"a+", r"[0-9]*x", r"(?:ab){2,}", r"(a)\1", r"(?=.*@)a", r"a?", r"(?<=a+)b"],
)
def test_unbounded_patterns_are_refused(pattern: str) -> None:
    with pytest.raises((ValueError, re.error)):
        pattern_reach(re.compile(pattern))
    with pytest.raises((ValueError, re.error)):
        BoundedPattern(pattern)


def test_reach_covers_lookarounds_and_boundaries() -> None:
    # 3 digits, a lookahead 2 further, a lookbehind 2 back
    assert pattern_reach(re.compile(r"(?<![a-z]{2})[0-9]{3}(?![ -][0-9])")) == (2, 5)
    assert pattern_reach(re.compile(r"\b[a-z]{1,4}\b")) == (1, 5)


@pytest.mark.parametrize("kind", sorted(PATHOLOGICAL))
def test_pathological_text_never_reaches_a_pattern_whole(
    kind: str, recorders: dict[str, tuple[BoundedPattern, Recorder]]
) -> None:
    text = PATHOLOGICAL[kind]
    assert len(text) >= SIZE
    _everything(text)
    ran = 0
    for name, (pattern, recorder) in recorders.items():
        if not recorder.lengths:
            continue
        ran += 1
        longest = WINDOW + pattern.behind + pattern.reach
        assert max(recorder.lengths) <= longest, (name, max(recorder.lengths))
        # Per pass over the text, the slices overlap by behind + reach only: a small
        # constant factor on the text's length.
        passes = 4  # two taxonomies' run_detectors, the "İ" variant, redact
        bound = passes * (len(text) * (1 + (pattern.behind + pattern.reach) / WINDOW) + WINDOW)
        assert sum(recorder.lengths) <= bound, (name, sum(recorder.lengths), bound)
    assert ran >= 8  # the detectors' own patterns did run: the check is not vacuous


def test_pathological_text_is_not_matched_as_a_whole_before_windowing(
    recorders: dict[str, tuple[BoundedPattern, Recorder]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The recorder does see whole texts when windows are as large as the text."""
    monkeypatch.setattr(bounded, "WINDOW", 10 * SIZE)
    _everything(PATHOLOGICAL["money groups"])
    _pattern, money = recorders["docclass.detectors.finders._MONEY"]
    assert max(money.lengths) > SIZE


def _dev_texts() -> list[str]:
    paths = sorted(EVAL.glob("*/*.txt"))
    assert len(paths) == 240, f"expected the 240 dev texts under {EVAL}"
    return [p.read_text("utf-8") for p in paths]


def _dense_pii(seed: int = 3) -> str:
    """Text packed with hits of every kind, so that many matches straddle window edges."""
    rng = random.Random(seed)
    values = [
        "jane.roe@example.org", "józef@münchen.de", "+1 (555) 867-5309", "+15558675309",
        "Tel: 5558675309", "020 7946 0958", "4111 1111 1111 1111", "4111.1111.1111.1111",
        "5555\u00a05555\u00a05555\u00a04444", "123-45-6789", "SSN 123456789",
        "de89 3704 0044 0532 0130 00", "GB82-WEST-1234-5698-7654-32", "$1,234.56",
        "5 March 2024", "2024-03-01", "confidential", "invoice",
    ]  # fmt: skip
    return "".join(
        rng.choice(values) + rng.choice([" ", ", ", "\n", "; ", " - "]) for _ in range(3000)
    )


def _all_results(texts: list[str]) -> list[object]:
    out: list[object] = []
    for text in texts:
        for keywords in KEYWORDS:
            out.append([r.to_dict() for r in run_detectors(text, keywords)])
        out.append(redact(text))
    return out


def test_windowed_matching_equals_whole_text_matching(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = [*_dev_texts(), _dense_pii()]
    monkeypatch.setattr(bounded, "WINDOW", 10 * max(map(len, texts)))
    whole = _all_results(texts)
    for window in (8 * 1024, 97):
        monkeypatch.setattr(bounded, "WINDOW", window)
        assert _all_results(texts) == whole, window
    dense = {r.name: r.count for r in run_detectors(texts[-1])}
    assert min(dense[name] for name in detectors.PII_DETECTORS) > 100  # many window edges
