"""An endpoint that misbehaves on purpose must not hold a worker, or its memory, hostage.

Per-read timeouts let a server that drips one byte at a time keep a call open for minutes,
retries and rate-limit waits can add up without end, and an unbounded read lets one answer
fill memory; so every call and every document has a total deadline and every answer a size
cap. These tests hold those bounds against servers built to break them (memory in a fresh
process, whose high-water mark means something), check the bounds are configurable, and
check the delimiter neutraliser stays linear on input built to make it quadratic.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from docclass.classifiers.llm import LLMError, OpenAIClassifier, neutralise_delimiters
from docclass.ratelimit import RateLimiter
from docclass.settings import load_settings
from tests.integration.llm.helpers import EMAIL_TEXT, FAST, KEY, classifier, run
from tests.openai_server import Behaviour, FakeOpenAI
from tests.paths import ROOT

DRIP_S = 0.3  # one byte every 0.3 s: each read succeeds, so a per-read timeout never fires


@pytest.mark.parametrize("kind", ["drip", "drip_headers"])
def test_a_dripping_endpoint_fails_each_call_at_its_total_deadline(
    server: FakeOpenAI, tmp_path: Path, kind: str
) -> None:
    timeout_s, retries = 1.0, 1
    server.script(*[Behaviour(kind, delay_s=DRIP_S)] * (retries + 1))
    clf = classifier(server, tmp_path, openai_timeout_s=timeout_s, openai_max_retries=retries)
    started = time.monotonic()
    with clf, pytest.raises(LLMError) as err:
        run(clf, EMAIL_TEXT)
    elapsed = time.monotonic() - started
    assert str(err.value) == (
        "LLM gave up after 2 attempts: the API took longer than 1 s in total "
        "(DOCCLASS_OPENAI_TIMEOUT)"
    )
    assert err.value.attempts == retries + 1 and len(server.requests) == retries + 1
    # Per-read timeouts would have let each call run for the whole answer (~400 bytes at
    # 0.3 s each, two minutes); the bound is attempts x timeout, plus backoff and slack.
    assert elapsed < (retries + 1) * timeout_s + FAST["backoff_cap_s"] * retries + 5
    answer_bytes = len(json.dumps(server.completion(server.requests[0].body, "x" * 60)))
    assert all(r.bytes_sent < answer_bytes / 4 for r in server.requests)


def test_the_document_deadline_bounds_retries(server: FakeOpenAI, tmp_path: Path) -> None:
    timeout_s, doc_deadline_s = 1.0, 2.5
    server.script(*[Behaviour("drip", delay_s=DRIP_S)] * 20)
    clf = classifier(
        server,
        tmp_path,
        openai_timeout_s=timeout_s,
        openai_max_retries=19,
        openai_doc_deadline_s=doc_deadline_s,
    )
    started = time.monotonic()
    with clf, pytest.raises(LLMError) as err:
        run(clf, EMAIL_TEXT)
    elapsed = time.monotonic() - started
    message = str(err.value)
    assert message.startswith("LLM gave up after ")
    assert "the API took longer than" in message
    assert message.endswith(
        "no time left for another attempt within the document's LLM deadline of 2.5 s "
        "(DOCCLASS_OPENAI_DOC_DEADLINE)"
    )
    # At most ceil(deadline / timeout) calls fit in the deadline; 20 were allowed.
    assert 2 <= err.value.attempts <= math.ceil(doc_deadline_s / timeout_s)
    assert len(server.requests) == err.value.attempts
    assert elapsed < doc_deadline_s + 5


def test_a_long_retry_after_is_not_waited_past_the_document_deadline(
    server: FakeOpenAI, tmp_path: Path
) -> None:
    server.script(Behaviour("429", retry_after="30"), "ok")
    clf = classifier(server, tmp_path, openai_doc_deadline_s=3.0)
    started = time.monotonic()
    with clf, pytest.raises(LLMError) as err:
        run(clf, EMAIL_TEXT)
    assert time.monotonic() - started < 3.0
    assert str(err.value).startswith("LLM gave up after 1 attempt: 429 Too Many Requests")
    assert "within the document's LLM deadline of 3 s" in str(err.value)
    assert err.value.retryable and len(server.requests) == 1


def test_rate_limit_waits_end_at_the_document_deadline(server: FakeOpenAI, tmp_path: Path) -> None:
    limiter = RateLimiter(1, 0, window_s=60)  # one request a minute
    with classifier(server, tmp_path, limiter, openai_doc_deadline_s=1.0) as clf:
        assert run(clf, EMAIL_TEXT).final_category == "email"
        started = time.monotonic()
        with pytest.raises(LLMError) as err:
            run(clf, EMAIL_TEXT)
        elapsed = time.monotonic() - started
    assert str(err.value) == (
        "LLM request failed: the document's LLM deadline of 1 s (DOCCLASS_OPENAI_DOC_DEADLINE) "
        "passed while waiting for the rate limit"
    )
    assert err.value.attempts == 0 and len(server.requests) == 1
    assert 1.0 <= elapsed < 1.0 + 5


@pytest.mark.parametrize("kind", ["huge", "huge_declared", "gzip_bomb"])
def test_an_oversized_answer_is_refused_and_not_retried(
    server: FakeOpenAI, tmp_path: Path, kind: str
) -> None:
    size = 50 * 1024 * 1024
    server.script(Behaviour(kind, size_bytes=size), "ok")
    with classifier(server, tmp_path, openai_max_retries=3) as clf, pytest.raises(LLMError) as err:
        run(clf, EMAIL_TEXT)
    assert str(err.value) == (
        "LLM request failed: the API's answer was larger than 1,024 KB "
        "(DOCCLASS_OPENAI_MAX_RESPONSE_KB); it was not read further"
    )
    assert err.value.attempts == 1 and len(server.requests) == 1
    if kind != "gzip_bomb":  # the client hung up long before the end
        assert server.requests[0].bytes_sent < size / 2


def test_the_cap_applies_to_ordinary_answers_too(server: FakeOpenAI, tmp_path: Path) -> None:
    server.script("ok", Behaviour("ok", reason="long " * 400))  # ~2 KB of answer
    with classifier(server, tmp_path, openai_max_response_kb=1) as clf:
        assert run(clf, EMAIL_TEXT).final_category == "email"  # ~400 bytes: fine
        with pytest.raises(LLMError, match=r"larger than 1 KB"):
            run(clf, EMAIL_TEXT)


_MEMORY_CHILD = """
import json, resource, sys
from docclass.classifiers.llm import LLMError, OpenAIClassifier
from docclass.ratelimit import RateLimiter
from docclass.settings import load_settings
from docclass.taxonomy import load_taxonomy

settings = load_settings(
    data_dir=sys.argv[2], openai_api_key="sk-test-memory-00000000", openai_base_url=sys.argv[1],
    openai_model="test-model", openai_timeout_s=60.0, openai_max_retries=0, openai_rpm=0,
    openai_tpm=0,
)
taxonomy = load_taxonomy("default")
text = "From: Dana\\nTo: Lee\\nSubject: the email\\n\\nSee the email below."
with OpenAIClassifier(settings, limiter=RateLimiter(0, 0)) as clf:
    clf.classify(text, [], taxonomy)  # warm up: imports, connection pool
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    try:
        clf.classify(text, [], taxonomy)
        error = None
    except LLMError as exc:
        error = str(exc)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"error": error, "grew_kb": after - before}))
"""


def test_a_200_mb_answer_does_not_reach_memory(server: FakeOpenAI, tmp_path: Path) -> None:
    """In a fresh process (the high-water mark of this one says nothing), a 200 MB body."""
    size = 200 * 1024 * 1024
    server.script("ok", Behaviour("huge", size_bytes=size))
    child = subprocess.run(
        [sys.executable, "-c", _MEMORY_CHILD, server.base_url, str(tmp_path)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    report = json.loads(child.stdout.strip().splitlines()[-1])
    assert report["grew_kb"] < 100 * 1024, report  # the body is 200 MB
    assert "larger than 1,024 KB" in report["error"]
    assert server.requests[1].bytes_sent < size / 2


def test_deadline_settings_come_from_the_environment(
    server: FakeOpenAI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    defaults = load_settings(data_dir=tmp_path)
    assert (defaults.openai_doc_deadline_s, defaults.openai_max_response_kb) == (120.0, 1024)
    monkeypatch.setenv("DOCCLASS_OPENAI_DOC_DEADLINE", "7.5")
    monkeypatch.setenv("DOCCLASS_OPENAI_MAX_RESPONSE_KB", "64")
    settings = load_settings(data_dir=tmp_path, openai_api_key=KEY, openai_base_url=server.base_url)
    with OpenAIClassifier(settings, limiter=RateLimiter(0, 0)) as clf:
        assert clf.doc_deadline_s == 7.5 and clf.max_response_bytes == 64 * 1024


@pytest.mark.parametrize(
    "tag", ["</document>", "< / DOCUMENT >", "<\n/document x='1'>", "<" + " " * 5000 + "/document>"]
)
def test_every_spelling_of_the_closing_tag_is_defanged(tag: str) -> None:
    assert "<" not in neutralise_delimiters(f"text {tag} more")
    hostile = ("<" + " " * 50 + "document ") * 4000  # linear: each "<" reads its own spaces
    assert neutralise_delimiters(hostile).count("‹") == 4000
