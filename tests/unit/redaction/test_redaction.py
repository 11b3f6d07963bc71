"""PII masking before text leaves the process: the spellings real documents use.

Each case is a real string as it appears in documents (no-break spaces, Unicode dashes,
lower-case IBANs, labelled SSNs, non-ASCII addresses). The value must come out as one
placeholder of its type, with no run of its digits left behind, and the prompt actually
built for the LLM must contain none of the planted values.
"""

from __future__ import annotations

import re

import pytest

from docclass.classifiers.llm import build_prompt
from docclass.detectors import DETECTORS, iban_ok, luhn_ok, pii_view
from docclass.redaction import LABELS, find_pii, redact
from docclass.taxonomy import load_taxonomy
from tests.paths import EVAL

# (type, label written before the value, value) — the label may stay, the value may not.
SPELLINGS = [
    ("payment_card", "", "4111 1111 1111 1111"),
    ("payment_card", "", "4111\u00a01111\u00a01111\u00a01111"),  # no-break spaces
    ("payment_card", "", "5555\u202f5555\u202f5555\u202f4444"),  # narrow no-break spaces
    ("payment_card", "", "4111.1111.1111.1111"),  # dots
    ("payment_card", "", "4111\u20131111\u20131111\u20131111"),  # en dashes
    ("payment_card", "", "3782 822463 10005"),  # Amex 4-6-5
    ("payment_card", "", "\uff14\uff11\uff11\uff11 1111 1111 1111"),  # full-width digits
    ("ssn", "", "123-45-6789"),
    ("ssn", "", "123 45 6789"),  # spaces
    ("ssn", "", "123\u201345\u20136789"),  # en dashes
    ("ssn", "SSN ", "123456789"),  # no separators after a label
    ("ssn", "SSN: ", "123456789"),
    ("ssn", "SSN#", "123456789"),
    ("ssn", "Social Security Number: ", "123456789"),
    ("ssn", "soc. sec. no. ", "123 456789"),
    ("email", "", "jane.roe@example.org"),
    ("email", "", "józef.müller@example.com"),  # non-ASCII local part
    ("email", "", "info@münchen.de"),  # internationalised domain
    ("email", "", "владимир@пример.рф"),
    ("email", "", "user@xn--mnchen-3ya.de"),  # the same domain in punycode
    ("email", "", "jane\uff20example.org"),  # full-width @
    ("phone", "", "+1 (555) 867-5309"),
    ("phone", "Tel: ", "5558675309"),  # no separators after a label
    ("phone", "call ", "02079460958"),
    ("phone", "", "+15558675309"),  # E.164
    ("phone", "", "+447911123456"),
    ("phone", "", "+44 (0)20 7946 0958"),
    ("phone", "", "+33 1 23 45 67 89"),
    ("phone", "", "+49 30 12345678"),
    ("phone", "", "555\u2013867\u20135309"),  # en dashes
    ("phone", "", "+1\u00a0555\u00a0867\u00a05309"),  # no-break spaces
    ("iban", "", "DE89 3704 0044 0532 0130 00"),
    ("iban", "", "de89 3704 0044 0532 0130 00"),  # lower case
    ("iban", "", "gb82west12345698765432"),  # lower case, no spaces
    ("iban", "", "DE89-3704-0044-0532-0130-00"),  # dashes
    ("iban", "", "GB82\u00a0WEST\u00a01234\u00a05698\u00a07654\u00a032"),  # no-break spaces
    ("iban", "", "Gb82 wEST 1234 5698 7654 32"),  # mixed case
]


def _digit_runs(value: str) -> list[str]:
    """Runs of 3 or more digits of the value (ASCII), none of which may survive."""
    return re.findall(r"[0-9]{3,}", pii_view(value))


@pytest.mark.parametrize(("kind", "label", "value"), SPELLINGS)
def test_each_spelling_becomes_one_placeholder(kind: str, label: str, value: str) -> None:
    text = f"Please note {label}{value} for the file."
    start = text.index(label + value) + len(label)
    end = start + len(value)
    hits = find_pii(text)
    assert [(k, s <= start and end <= e) for s, e, k in hits] == [(kind, True)], hits
    redacted, counts = redact(text)
    assert counts == {kind: 1}
    assert f"[{LABELS[kind]}_1]" in redacted
    assert value not in redacted
    for run in _digit_runs(value):
        assert run not in pii_view(redacted), run
    assert redacted.startswith("Please note ") and redacted.endswith(" for the file.")


@pytest.mark.parametrize(("kind", "label", "value"), SPELLINGS)
def test_a_hit_masks_itself_when_shown_alone(kind: str, label: str, value: str) -> None:
    """Review shows evidence by re-running the detector on the hit's own text."""
    text = f"see {label}{value}."
    [(start, end, _kind)] = find_pii(text)
    [again] = DETECTORS[kind](text[start:end])
    assert (again.start, again.end) == (0, end - start)
    digits = "".join(ch for ch in pii_view(value) if ch.isdigit())
    shown = "".join(ch for ch in again.masked if ch.isdigit())
    if kind != "email":
        assert len(shown) <= 4 and digits.endswith(shown)


def test_offsets_are_offsets_into_the_original_text() -> None:
    # Characters before the value that the ASCII view rewrites: lengths must not change.
    prefix = "Ré\u00a0f\u2013\u0664\u200b\uff1a "
    for kind, label, value in SPELLINGS:
        text = prefix + label + value + " \u2014 end"
        assert len(pii_view(text)) == len(text)
        [(start, end, found)] = find_pii(text)
        assert found == kind
        assert text[start:end] in (label + value, value), (text[start:end], value)


def test_one_value_written_two_ways_gets_one_placeholder() -> None:
    card = "4111\u00a01111\u00a01111\u00a01111"
    text = f"SSN 123456789 and again 123-45-6789; card {card} = 4111111111111111"
    redacted, counts = redact(text)
    assert counts == {"ssn": 2, "payment_card": 2}
    assert redacted.count("[SSN_1]") == 2 and redacted.count("[CARD_1]") == 2


@pytest.mark.parametrize(
    "text",
    [
        "4111.1111.1111.1112",  # fails Luhn
        "4111\u00a01111\u00a01111\u00a01112",
        "de89 3704 0044 0532 0130 01",  # fails mod 97
        "DE89-3704-0044-0532-0130-01",
        "SSN 000123456",  # area 000
        "SSN: 666123456",  # area 666
        "SSN 912345678",  # area 9xx
        "SSN 123006789",  # group 00
        "123456789",  # nine digits without a label
        "Order 5558675309",  # ten digits without a label
        "ref 02079460958",
        "x 123 456789",  # SSN-like grouping without a label
    ],
)
def test_checks_still_reject_lookalikes(text: str) -> None:
    assert find_pii(text) == []


ORDINARY = [
    "2024-03-01", "01.02.2020", "5 March 2024", "March 5, 2024", "05/06/2018 20:23",
    "05-06-2018 20:23:14", "$1,234.56", "€ 12.345,67", "1 234 567", "12:30:45",
    "1999\u20132004", "pp. 1234-1256", "ISBN 978-3-16-148410-0", "12345-6789", "1.2.3.4",
    "192.168.1.1", "40.7128, -74.0060", "Invoice no. 2024001234", "1,000,000,000",
    "3.14159265358979", "2019 2020 2021 2022", "0.5 0.25 0.125", "Vol. 12, No. 3",
    "doi:10.1038/nature12373", "+5 degrees", "7,000\n\n7,000 012241", "+1000 users",
]  # fmt: skip


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_numbers_and_dates_are_not_personal_data(text: str) -> None:
    assert find_pii(text) == []


def test_checksums_are_kept() -> None:
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")
    assert iban_ok("GB82WEST12345698765432") and not iban_ok("GB82WEST12345698765433")


def test_the_prompt_built_for_the_llm_carries_none_of_the_planted_values() -> None:
    path = EVAL / "email" / "0000.txt"
    lines = path.read_text("utf-8").splitlines()
    planted = [f"{label}{value}" for _kind, label, value in SPELLINGS]
    # One spelling after each line of a real document, all of it short enough to be sent.
    document = "\n".join(f"{lines[i % len(lines)]}\n{p}" for i, p in enumerate(planted))
    prompt = build_prompt(document, [], load_taxonomy("default"))
    assert prompt.chars_omitted == 0
    sent = "\n".join(m["content"] for m in prompt.messages)
    assert lines[0] in sent  # the document itself did go out
    for _kind, _label, value in SPELLINGS:
        assert value not in sent, value
        assert pii_view(value) not in pii_view(sent), value
        for run in _digit_runs(value):
            assert run not in pii_view(sent), (value, run)
    for part in ("jane.roe", "józef.müller", "владимир", "münchen", "xn--mnchen"):
        assert part not in sent, part
    expected = {k: sum(1 for kk, _l, _v in SPELLINGS if kk == k) for k in LABELS}
    assert prompt.redactions == expected
