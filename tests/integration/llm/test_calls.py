"""One document, one call: what the request carries and how a failing API is retried.

A flaky API should cost time, never a wrong or silent result: the answer must be one of the
taxonomy's names with its tokens, model and attempts recorded, the prompt bounded however long
the document, transient failures (429 with its Retry-After, 5xx, timeouts, malformed or
non-completion bodies) retried with backoff, client errors not retried, and an API that never
recovers must end in one clear error that names the cause.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from docclass.classifiers.base import ClassificationError
from docclass.classifiers.llm import LLMError, parse_answer
from tests.integration.llm.helpers import DEFAULT, EMAIL_TEXT, KEY, classifier, run
from tests.openai_server import Behaviour, FakeOpenAI

# --- happy path and prompt -------------------------------------------------------------------


def test_happy_path_records_category_confidence_tokens_and_model(
    server: FakeOpenAI, tmp_path: Path
) -> None:
    with classifier(server, tmp_path) as clf:
        result = run(clf, EMAIL_TEXT)
    assert result.final_category == "email"
    assert result.confidence == pytest.approx(0.9)
    assert result.classifier == "openai"
    assert result.scores["email"] == pytest.approx(0.9)
    assert sum(result.scores.values()) == pytest.approx(1.0)
    assert set(result.scores) == set(DEFAULT.names)
    assert "email" in result.rationale and len(result.rationale) <= 300
    [request] = server.requests
    assert server.violations == []
    usage = json.loads(request.raw)  # what was sent; the server's usage is derived from it
    assert usage["temperature"] == 0 and usage["model"] == "test-model"
    assert request.enum == DEFAULT.names
    meta = result.meta
    assert meta["model"] == "test-model" and meta["attempts"] == 1
    assert meta["tokens_in"] > 0 and meta["tokens_out"] > 0
    assert meta["latency_ms"] >= 0 and meta["redactions"] == {}
    json.dumps(result.to_dict())  # the runner stores it as JSON


def test_confidence_is_clamped_and_rationale_truncated(server: FakeOpenAI, tmp_path: Path) -> None:
    answer = parse_answer('{"category": "memo", "confidence": 7, "reason": "x"}', ["memo"])
    assert answer.confidence == 1.0
    answer = parse_answer('{"category": "memo", "confidence": -2, "reason": ""}', ["memo"])
    assert answer.confidence == 0.0
    with pytest.raises(ValueError, match="confidence is not a number"):
        parse_answer('{"category": "memo", "confidence": "high", "reason": ""}', ["memo"])
    server.script(Behaviour("ok", confidence=1.5, reason="because " * 100))
    with classifier(server, tmp_path) as clf:
        result = run(clf, EMAIL_TEXT)
    assert result.confidence == 1.0 and result.scores["email"] == 1.0
    assert len(result.rationale) == 300 and result.rationale.endswith("…")


def test_long_document_is_bounded_head_and_tail(server: FakeOpenAI, tmp_path: Path) -> None:
    text = "HEADMARK " + "lorem ipsum dolor sit amet " * 3000 + " TAILMARK"
    with classifier(server, tmp_path) as clf:
        result = run(clf, text)
    user = server.requests[0].user_message
    assert "HEADMARK" in user and "TAILMARK" in user
    assert re.search(r"\[… [\d,]+ characters omitted …\]", user)
    assert len(user) < 3_000 * 4 + 1_500
    assert result.meta["chars_omitted"] > 60_000


# --- retries, give-up, timeouts, malformed ----------------------------------------------------


def test_retry_on_429_honours_retry_after(server: FakeOpenAI, tmp_path: Path) -> None:
    server.script("429", "ok")
    with classifier(server, tmp_path) as clf:
        started = time.monotonic()
        result = run(clf, EMAIL_TEXT)
        elapsed = time.monotonic() - started
    assert result.final_category == "email" and result.meta["attempts"] == 2
    first, second = server.requests
    assert elapsed >= 1.0 and second.at - first.at >= 1.0  # Retry-After: 1


def test_retry_after_ms_is_preferred(server: FakeOpenAI, tmp_path: Path) -> None:
    server.script(Behaviour("429", retry_after="30", retry_after_ms="250"), "ok")
    with classifier(server, tmp_path) as clf:
        result = run(clf, EMAIL_TEXT)
    first, second = server.requests
    assert 0.25 <= second.at - first.at < 5
    assert result.meta["attempts"] == 2


def test_retry_on_500_then_success(server: FakeOpenAI, tmp_path: Path) -> None:
    server.script("500", "500", "ok")
    with classifier(server, tmp_path) as clf:
        result = run(clf, EMAIL_TEXT)
    assert result.meta["attempts"] == 3 and result.final_category == "email"
    assert [r.behaviour for r in server.requests] == ["500", "500", "ok"]


def test_gives_up_after_max_retries_with_a_clear_error(server: FakeOpenAI, tmp_path: Path) -> None:
    server.script(*[Behaviour("429", retry_after=None, retry_after_ms="20")] * 5)
    with classifier(server, tmp_path, openai_max_retries=3) as clf, pytest.raises(LLMError) as err:
        run(clf, EMAIL_TEXT)
    assert str(err.value).startswith("LLM gave up after 4 attempts: 429 Too Many Requests")
    assert err.value.attempts == 4 and err.value.status_code == 429
    assert isinstance(err.value, ClassificationError)
    assert len(server.requests) == 4


def test_client_errors_are_not_retried(server: FakeOpenAI, tmp_path: Path) -> None:
    server.script(Behaviour("401", message=f"Bad key; you sent Authorization: Bearer {KEY}"))
    with classifier(server, tmp_path) as clf, pytest.raises(LLMError) as err:
        run(clf, EMAIL_TEXT)
    assert "401 Unauthorized" in str(err.value) and KEY not in str(err.value)
    assert len(server.requests) == 1


def test_timeout_is_retried_then_succeeds(server: FakeOpenAI, tmp_path: Path) -> None:
    server.script(Behaviour("slow", delay_s=1.5), "ok")
    with classifier(server, tmp_path, openai_timeout_s=0.3) as clf:
        result = run(clf, EMAIL_TEXT)
    assert result.meta["attempts"] == 2


def test_timeout_gives_up(server: FakeOpenAI, tmp_path: Path) -> None:
    server.script(*[Behaviour("slow", delay_s=1.5)] * 2)
    clf = classifier(server, tmp_path, openai_timeout_s=0.3, openai_max_retries=1)
    started = time.monotonic()
    expected = r"gave up after 2 attempts: the API took longer than 0.3 s in total"
    with clf, pytest.raises(LLMError, match=expected):
        run(clf, EMAIL_TEXT)
    assert time.monotonic() - started < 1.5


@pytest.mark.parametrize(
    ("behaviour", "error"),
    [("malformed", "malformed answer: not JSON"), ("garbage", "malformed response")],
    ids=["answer-not-json", "body-not-a-completion"],
)
def test_a_malformed_reply_is_retried_then_refused(
    server: FakeOpenAI, tmp_path: Path, behaviour: str, error: str
) -> None:
    server.script(behaviour, "ok")
    with classifier(server, tmp_path) as clf:
        assert run(clf, EMAIL_TEXT).meta["attempts"] == 2
        server.script(behaviour, behaviour, behaviour)
        with pytest.raises(LLMError, match=f"gave up after 3 attempts: {error}"):
            run(clf, EMAIL_TEXT)
