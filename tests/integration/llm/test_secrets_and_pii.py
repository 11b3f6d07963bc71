"""Personal data and the API key never leave the process where they should not.

Detected PII is redacted before it reaches a prompt and checked again once the prompt is
assembled (the taxonomy could carry some too); the key goes to the API and nowhere else: not
to logs, results, reprs or error messages. The checks read the raw bodies the server
received and everything logged, so they are about what actually left.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pytest

from docclass.classifiers.llm import LLMError, build_prompt
from docclass.redaction import redact
from tests.integration.llm.helpers import EMAIL_TEXT, KEY, classifier, run
from tests.openai_server import Behaviour, FakeOpenAI
from tests.paths import EVAL

PII = {
    "email": "maria.lopez@example.com",
    "card": "4111 1111 1111 1111",
    "ssn": "123-45-6789",
    "iban": "DE89 3704 0044 0532 0130 00",
    "phone": "+1 (555) 867-5309",
}


def _raw_forms(value: str) -> set[str]:
    return {value, re.sub(r"[^0-9A-Za-z@.]", "", value)}


def _pii_document() -> str:
    path = EVAL / "email" / "0000.txt"
    if not path.is_file():
        pytest.fail(f"shared eval data not found at {path}")
    original = path.read_text("utf-8")
    lines = original.splitlines()
    planted = [
        f"please reply to {PII['email']} or call {PII['phone']} today .",
        f"card on file : {PII['card']} , ssn {PII['ssn']} .",
        f"wire to iban {PII['iban']} ; cc {PII['email']} again .",
    ]
    return "\n".join(lines[:3] + planted[:2] + lines[3:9] + planted[2:] + lines[9:])


def test_redact_types_repeats_and_overlaps() -> None:
    text = _pii_document()
    redacted, counts = redact(text)
    assert counts == {"email": 2, "phone": 1, "payment_card": 1, "ssn": 1, "iban": 1}
    assert redacted.count("[EMAIL_1]") == 2 and "[EMAIL_2]" not in redacted
    for tag in ("[PHONE_1]", "[CARD_1]", "[SSN_1]", "[IBAN_1]"):
        assert tag in redacted
    # A card number also matches the phone pattern in places: longest hit wins.
    assert redact("4111-1111-1111-1111")[0] == "[CARD_1]"
    assert redact("a@b.io A@B.IO c@d.io")[0] == "[EMAIL_1] [EMAIL_1] [EMAIL_2]"


def test_no_raw_pii_leaves_the_process(server: FakeOpenAI, tmp_path: Path) -> None:
    document = _pii_document()
    long_document = "\n".join([document] * 80)  # PII on both sides of the excerpt cuts
    with classifier(server, tmp_path) as clf:
        result = run(clf, document)
        long_result = run(clf, long_document)
    assert result.meta["redactions"] == {
        "email": 2, "phone": 1, "payment_card": 1, "ssn": 1, "iban": 1,
    }  # fmt: skip
    assert long_result.meta["redactions"]["payment_card"] == 80
    bodies = [r.raw for r in server.requests]
    assert len(bodies) == 2
    for body in bodies:
        for value in PII.values():
            for form in _raw_forms(value):
                assert form not in body, form
        assert not re.search(r"4111[ -]?1111", body)
        assert "5309" not in body and "6789" not in body
        assert "[CARD_1]" in body
    assert "allocation exceptions" in server.requests[0].user_message  # the real text went


def test_prompt_is_checked_after_assembly() -> None:
    # PII in the taxonomy itself would otherwise reach the system message.
    toml = (
        '[[category]]\nname = "a"\ndescription = "Mail help@corp.example about it."\n'
        '[[category]]\nname = "b"\ndescription = "Other."\n'
    )
    from docclass.taxonomy import parse_taxonomy

    prompt = build_prompt("hello", [], parse_taxonomy(toml))
    assert "help@corp.example" not in prompt.messages[0]["content"]
    assert prompt.redactions == {"email": 1}


def test_api_key_never_leaks(
    server: FakeOpenAI, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("openai", "httpx", "httpx2", "httpcore", "httpcore2", "docclass"):
        caplog.set_level(logging.DEBUG, logger=name)
    server.script("429", "ok")
    messages: list[str] = []
    with classifier(server, tmp_path, openai_max_retries=1) as clf:
        result = run(clf, EMAIL_TEXT)
        for behaviour in (
            Behaviour("401", message=f"key {KEY} rejected; Authorization: Bearer {KEY}"),
            Behaviour("500"),
        ):
            server.script(behaviour, behaviour)
            with pytest.raises(LLMError) as err:
                run(clf, EMAIL_TEXT)
            exc = err.value
            assert exc.__cause__ is None and exc.__context__ is None  # no request objects
            messages += [str(exc), repr(exc), repr(exc.args)]
        assert KEY not in repr(clf)
    # The key did go to the server, so the checks below are not vacuous.
    assert server.requests[0].headers["authorization"] == f"Bearer {KEY}"
    assert any(r.name.startswith("openai") for r in caplog.records)
    assert KEY not in json.dumps(result.to_dict())
    assert KEY not in repr(result)
    assert KEY not in caplog.text
    assert all(KEY not in m for m in messages)
    assert KEY[-12:] not in caplog.text + " ".join(messages)
