"""Recall of PII masking on generated spellings, and precision on the 240 dev documents.

Recall: for each type (email, phone, payment card, SSN, IBAN) ``--n`` variants (default 120,
seeded) are drawn across spelling families: separators (spaces, no-break and thin spaces,
dashes, dots, none), Unicode dashes and digits, letter case, labels ("SSN", "Tel:"),
international formats, non-ASCII addresses. Each value is valid (Luhn, mod-97, SSN rules)
and planted in a carrier sentence; it counts as found when ``redaction.find_pii`` returns a
hit of its type covering the whole value. Misses are listed.

Precision: the PII detectors of a baseline revision (``--baseline``, default the commit
before the spelling work; read with ``git show``) and the current ones run over the dev
texts (``../shared/eval/doctype-dev/*/*.txt``); hit counts per type are printed before and
after, and every new hit is listed with its context, flagged when it looks like an ordinary
number or a date (the false positives to avoid). Run from the repository root:
``python bench/pii_recall.py``.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import random
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from docclass import detectors  # noqa: E402
from docclass.detectors import finders  # noqa: E402
from docclass.redaction import find_pii  # noqa: E402

DEV = ROOT.parent / "shared" / "eval" / "doctype-dev"
BASELINE = "9c4d4b9"  # harden-llm before the PII spelling work
TYPES = ("email", "phone", "payment_card", "ssn", "iban")

Family = Callable[[random.Random], tuple[str, str]]  # -> (label before the value, value)

# --- valid values -------------------------------------------------------------------------


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def luhn_number(rng: random.Random, prefix: str, length: int) -> str:
    """A number of ``length`` digits starting with ``prefix`` that passes the Luhn check."""
    body = prefix + _digits(rng, length - len(prefix) - 1)
    for check in "0123456789":
        if detectors.luhn_ok(body + check):
            return body + check
    raise AssertionError("unreachable")


def card_number(rng: random.Random) -> str:
    prefix, length = rng.choice(
        [("4", 16), ("4", 16), ("51", 16), ("55", 16), ("2221", 16), ("6011", 16), ("4", 13)]
    )
    return luhn_number(rng, prefix, length)


def ssn_number(rng: random.Random) -> str:
    area = rng.choice([a for a in range(1, 900) if a != 666])
    return f"{area:03d}{rng.randint(1, 99):02d}{rng.randint(1, 9999):04d}"


# country -> BBAN as (letters, digits) counts in order
_BBAN = {
    "DE": [("d", 18)],
    "GB": [("a", 4), ("d", 14)],
    "NL": [("a", 4), ("d", 10)],
    "FR": [("d", 23)],
    "ES": [("d", 20)],
    "IT": [("a", 1), ("d", 22)],
    "BE": [("d", 12)],
    "CH": [("d", 17)],
    "PL": [("d", 24)],
    "AT": [("d", 16)],
    "NO": [("d", 11)],
}


def iban_number(rng: random.Random) -> str:
    country = rng.choice(sorted(_BBAN))
    bban = "".join(
        "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(n))
        if kind == "a"
        else _digits(rng, n)
        for kind, n in _BBAN[country]
    )
    number = int("".join(str(int(ch, 36)) for ch in bban + country + "00"))
    iban = f"{country}{98 - number % 97:02d}{bban}"
    assert detectors.iban_ok(iban), iban
    return iban


def group(value: str, sizes: list[int], sep: str) -> str:
    """``value`` cut into groups of ``sizes`` (the last repeated), joined by ``sep``."""
    out, pos, i = [], 0, 0
    while pos < len(value):
        size = sizes[min(i, len(sizes) - 1)]
        out.append(value[pos : pos + size])
        pos, i = pos + size, i + 1
    return sep.join(out)


def fullwidth(value: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in value)


# --- spelling families ----------------------------------------------------------------------


def _card(sep: str, *, amex: bool = False, wide: bool = False) -> Family:
    def make(rng: random.Random) -> tuple[str, str]:
        if amex:
            value = group(luhn_number(rng, rng.choice(["34", "37"]), 15), [4, 6, 5], sep)
        else:
            value = group(card_number(rng), [4], sep)
        return "", fullwidth(value) if wide else value

    return make


CARD: dict[str, Family] = {
    "compact": _card(""),
    "spaces": _card(" "),
    "dashes": _card("-"),
    "no-break spaces": _card("\u00a0"),
    "narrow no-break spaces": _card("\u202f"),
    "thin spaces": _card("\u2009"),
    "dots": _card("."),
    "en dashes": _card("\u2013"),
    "amex 4-6-5": _card(" ", amex=True),
    "amex dots": _card(".", amex=True),
    "full-width digits": _card(" ", wide=True),
}


def _ssn(sep: str, label: str = "", split: tuple[str, str] | None = None) -> Family:
    def make(rng: random.Random) -> tuple[str, str]:
        n = ssn_number(rng)
        a, b = split or (sep, sep)
        return label, f"{n[:3]}{a}{n[3:5]}{b}{n[5:]}"

    return make


SSN: dict[str, Family] = {
    "dashes": _ssn("-"),
    "spaces": _ssn(" "),
    "en dashes": _ssn("\u2013"),
    "no-break spaces": _ssn("\u00a0"),
    "'SSN ' + digits only": _ssn("", "SSN "),
    "'SSN: ' + digits only": _ssn("", "SSN: "),
    "'SSN#' + digits only": _ssn("", "SSN#"),
    "'ssn no. ' + digits only": _ssn("", "ssn no. "),
    "'S.S.N. ' + digits only": _ssn("", "S.S.N. "),
    "'Social Security Number: ' + digits": _ssn("", "Social Security Number: "),
    "'social security no ' + spaces": _ssn(" ", "social security no "),
    "'SSN: ' + mixed separators": _ssn("", "SSN: ", ("-", "")),
}

_LOCALS = ["jane.roe", "j.smith+tag", "Maria_Lopez", "o.brien2", "info", "a-b.c", "USER99"]
_LOCALS_INTL = [
    "józef.müller",
    "françois",
    "søren.kierkegård",
    "ñuño",
    "владимир",
    "李雷",
    "δοκιμή",
]
_DOMAINS = ["example.com", "mail.example.co.uk", "corp-example.org", "EXAMPLE.NET", "uni.edu"]
_DOMAINS_INTL = ["münchen.de", "bücher.example", "пример.рф", "例子.中国", "xn--mnchen-3ya.de"]


def _email(locals_: list[str], domains: list[str], at: str = "@") -> Family:
    def make(rng: random.Random) -> tuple[str, str]:
        return "", f"{rng.choice(locals_)}{rng.randint(1, 99)}{at}{rng.choice(domains)}"

    return make


EMAIL: dict[str, Family] = {
    "ascii": _email(_LOCALS, _DOMAINS),
    "non-ascii local part": _email(_LOCALS_INTL, _DOMAINS),
    "internationalised domain": _email(_LOCALS, _DOMAINS_INTL),
    "both non-ascii": _email(_LOCALS_INTL, _DOMAINS_INTL),
    "punycode top-level domain": _email(_LOCALS, ["example.xn--p1ai", "xn--80ak6aa92e.com"]),
    "full-width @": _email(_LOCALS, _DOMAINS, "\uff20"),
}


def _phone(make_value: Callable[[random.Random], str], label: str = "") -> Family:
    return lambda rng: (label, make_value(rng))


def _us(rng: random.Random) -> tuple[str, str, str]:
    return str(rng.randint(201, 989)), str(rng.randint(200, 999)), _digits(rng, 4)


PHONE: dict[str, Family] = {
    "(555) 867-5309": _phone(lambda r: "({}) {}-{}".format(*_us(r))),
    "555-867-5309": _phone(lambda r: "{}-{}-{}".format(*_us(r))),
    "555.867.5309": _phone(lambda r: "{}.{}.{}".format(*_us(r))),
    "+1 555 867 5309": _phone(lambda r: "+1 {} {} {}".format(*_us(r))),
    "E.164 +15558675309": _phone(lambda r: "+1{}{}{}".format(*_us(r))),
    "E.164 +447911123456": _phone(lambda r: "+447" + _digits(r, 9)),
    "E.164 +4930…": _phone(lambda r: "+4930" + _digits(r, 8)),
    "'Tel: ' + digits only": _phone(lambda r: "{}{}{}".format(*_us(r)), "Tel: "),
    "'Phone ' + digits only": _phone(lambda r: "0" + _digits(r, 10), "Phone "),
    "'call ' + digits only": _phone(lambda r: "{}{}{}".format(*_us(r)), "call "),
    "'Mobile no. ' + digits only": _phone(lambda r: "07" + _digits(r, 9), "Mobile no. "),
    "+44 (0)20 7946 0958": _phone(lambda r: f"+44 (0)20 {_digits(r, 4)} {_digits(r, 4)}"),
    "020 7946 0958": _phone(lambda r: f"020 {_digits(r, 4)} {_digits(r, 4)}"),
    "07700 900123": _phone(lambda r: f"07{_digits(r, 3)} {_digits(r, 6)}"),
    "+33 1 23 45 67 89": _phone(lambda r: "+33 1 " + group(_digits(r, 8), [2], " ")),
    "01 23 45 67 89": _phone(lambda r: "01 " + group(_digits(r, 8), [2], " ")),
    "+49 30 12345678": _phone(lambda r: f"+49 30 {_digits(r, 8)}"),
    "+91 98765 43210": _phone(lambda r: f"+91 9{_digits(r, 4)} {_digits(r, 5)}"),
    "03-8768 6092": _phone(lambda r: f"03-{_digits(r, 4)} {_digits(r, 4)}"),
    "no-break spaces": _phone(lambda r: "+1\u00a0{}\u00a0{}\u00a0{}".format(*_us(r))),
    "en dashes": _phone(lambda r: "{}\u2013{}\u2013{}".format(*_us(r))),
}


def _iban(sep: str, *, lower: bool = False, mixed: bool = False, label: str = "") -> Family:
    def make(rng: random.Random) -> tuple[str, str]:
        value = group(iban_number(rng), [4], sep)
        if lower:
            value = value.lower()
        if mixed:
            value = "".join(c.lower() if rng.random() < 0.5 else c for c in value)
        return label, value

    return make


IBAN: dict[str, Family] = {
    "spaces": _iban(" "),
    "compact": _iban(""),
    "lower case spaces": _iban(" ", lower=True),
    "lower case compact": _iban("", lower=True),
    "dashes": _iban("-"),
    "lower case dashes": _iban("-", lower=True),
    "no-break spaces": _iban("\u00a0"),
    "mixed case": _iban(" ", mixed=True),
    "'IBAN: ' + compact": _iban("", label="IBAN: "),
}

# Spellings deliberately left unmatched (each would flag ordinary numbers or words too);
# their recall is printed for the record and not counted in the target.
GAPS: dict[str, dict[str, Family]] = {
    "email": {
        "'jane (at) example (dot) com'": lambda r: (
            "",
            f"jane{r.randint(1, 99)} (at) example (dot) com",
        )
    },
    "phone": {
        "10 digits, no label": _phone(lambda r: "{}{}{}".format(*_us(r))),
        "555 8675309": _phone(lambda r: "{} {}{}".format(*_us(r))),
    },
    "payment_card": {"slashes": _card("/")},
    "ssn": {"9 digits, no label": _ssn("")},
    "iban": {"dots": _iban(".")},
}

FAMILIES: dict[str, dict[str, Family]] = {
    "email": EMAIL,
    "phone": PHONE,
    "payment_card": CARD,
    "ssn": SSN,
    "iban": IBAN,
}

# Carrier sentences: start and end of text, punctuation and brackets around the value.
CARRIERS = [
    "{v}",
    "Please use {v} for this.",
    "Contact details: {v}, thanks",
    "(see {v})",
    "on file -\n{v}\nnext line",
    "«{v}» was given",
]


def recall(
    n: int, seed: int, families_by_type: dict[str, dict[str, Family]] = FAMILIES
) -> dict[str, float]:
    """Plant ``n`` variants per type; print recall per type and the misses."""
    rng = random.Random(seed)
    scores: dict[str, float] = {}
    for kind, families in families_by_type.items():
        names = sorted(families)
        found = 0
        misses: list[str] = []
        for i in range(n):
            family = names[i % len(names)]
            label, value = families[family](rng)
            carrier = CARRIERS[rng.randrange(len(CARRIERS))]
            text = carrier.format(v=label + value)
            start = text.index(label + value) + len(label)
            end = start + len(value)
            hits = find_pii(text)
            if any(k == kind and s <= start and end <= e for s, e, k in hits):
                found += 1
            else:
                misses.append(f"    {family}: {text!r} -> {hits}")
        scores[kind] = found / n
        print(f"{kind:13s} recall {found}/{n} = {100 * found / n:5.1f}%  ({len(names)} families)")
        for line in misses:
            print(line)
    return scores


# --- precision -------------------------------------------------------------------------------


def baseline_detectors(rev: str) -> ModuleType | None:
    """``docclass/detectors.py`` as it was at ``rev`` (None when git cannot show it)."""
    try:
        source = subprocess.run(
            ["git", "show", f"{rev}:docclass/detectors.py"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        print(f"baseline {rev} not readable ({exc}); precision comparison skipped")
        return None
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as handle:
        handle.write(source)
    spec = importlib.util.spec_from_file_location("baseline_detectors", handle.name)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["baseline_detectors"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    Path(handle.name).unlink()
    return module


_PLAIN_NUMBER = re.compile(r"[0-9]{1,3}(?:[,. ][0-9]{3})*(?:[.,][0-9]+)?")


def looks_ordinary(value: str) -> bool:
    """A hit that reads as an amount, a plain number or a date rather than personal data."""
    compact = value.strip()
    return bool(_PLAIN_NUMBER.fullmatch(compact) or finders._DATE.match(compact))


def precision(rev: str) -> int:
    """Print hit counts before/after on the dev texts and list new hits; return suspects."""
    before = baseline_detectors(rev)
    if before is None:
        return 0
    paths = sorted(DEV.glob("*/*.txt"))
    if not paths:
        print(f"no dev texts under {DEV}")
        return 0
    suspects = 0
    print(f"\nprecision on {len(paths)} dev documents (baseline {rev} -> working tree)")
    for kind in TYPES:
        old_total = new_total = 0
        new_hits: list[str] = []
        for path in paths:
            text = path.read_text("utf-8")
            old = [(s.start, s.end) for s in before.DETECTORS[kind](text)]
            now = [(s.start, s.end) for s in detectors.DETECTORS[kind](text)]
            old_total += len(old)
            new_total += len(now)
            for s, e in now:
                if any((a <= s and e <= b) or (s <= a and b <= e) for a, b in old):
                    continue  # the same hit, perhaps with its label now included
                value = text[s:e]
                flag = "ORDINARY NUMBER/DATE? " if looks_ordinary(value) else ""
                suspects += bool(flag)
                where = f"{path.parent.name}/{path.name}"
                context = f"{text[max(0, s - 25) : s]!r} [{value}] {text[e : e + 15]!r}"
                new_hits.append(f"    {flag}{where}: {context}")
        print(f"{kind:13s} hits before {old_total:3d}  after {new_total:3d}  new {len(new_hits)}")
        for line in new_hits:
            print(line)
    print(f"new hits that look like ordinary numbers or dates: {suspects}")
    return suspects


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=120, help="variants per type (default 120)")
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--baseline", default=BASELINE, help="git revision to compare with")
    args = parser.parse_args()
    scores = recall(args.n, args.seed)
    worst = min(scores, key=scores.__getitem__)
    print(f"lowest recall: {worst} {100 * scores[worst]:.1f}% (target >= 98%)")
    print("\nleft unmatched on purpose (not in the target; misses not listed):")
    with contextlib.redirect_stdout(io.StringIO()) as quiet:
        gaps = recall(max(10, args.n // 6), args.seed, GAPS)
    for line in quiet.getvalue().splitlines():
        if not line.startswith("    "):
            print("  " + line)
    assert set(gaps) == set(GAPS)
    precision(args.baseline)


if __name__ == "__main__":
    main()
