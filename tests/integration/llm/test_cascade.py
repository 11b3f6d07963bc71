"""The cascade and the factory: API calls only where the local classifier is unsure.

The LLM costs money and time, so the cascade must ask it only below the threshold, record
both answers when it does, and fall back to the local answer when the API fails; the factory
must pick the kind a job asks for and refuse an LLM without a key. ``TinyLocal`` stands in for
the local classifier so each test decides exactly which documents are sure.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from docclass.classifiers.base import Classification
from docclass.classifiers.llm import CascadeClassifier, OpenAIClassifier, build_classifier
from docclass.detectors import DetectorResult
from docclass.ratelimit import RateLimiter
from docclass.taxonomy import Taxonomy
from tests.integration.llm.helpers import EMAIL_TEXT, FAST, KEY, run, settings_for
from tests.openai_server import FakeOpenAI


class TinyLocal:
    """A deterministic local classifier: the first line of the text picks its answer."""

    name = "tiny"

    def __init__(self, answers: dict[str, tuple[str, float]]) -> None:
        self.answers = answers
        self.calls = 0

    def classify(
        self, text: str, detectors: Sequence[DetectorResult], taxonomy: Taxonomy
    ) -> Classification:
        self.calls += 1
        category, confidence = self.answers[text.splitlines()[0]]
        scores = {n: (confidence if n == category else 0.0) for n in taxonomy.names}
        return Classification(category, confidence, scores, "tiny rule", self.name, {"k": 1})


def test_cascade_asks_the_llm_only_when_local_is_unsure(server: FakeOpenAI, tmp_path: Path) -> None:
    local = TinyLocal({"sure": ("invoice", 0.95), "unsure": ("memo", 0.3), "agree": ("email", 0.1)})
    settings = settings_for(server, tmp_path, cascade_threshold=0.6)
    llm = OpenAIClassifier(settings, limiter=RateLimiter(0, 0), **FAST)
    cascade = CascadeClassifier(local, llm, settings.cascade_threshold)
    sure = run(cascade, "sure\nplain text")
    assert sure.classifier == "local" and sure.final_category == "invoice"
    assert sure.meta["cascade"]["local_confidence"] == 0.95
    assert "llm_category" not in sure.meta["cascade"] and not sure.meta["disagreement"]
    assert server.requests == []

    unsure = run(cascade, "unsure\n" + EMAIL_TEXT)
    assert unsure.classifier == "openai" and unsure.final_category == "email"
    assert unsure.meta["cascade"] == {
        "local_category": "memo",
        "local_confidence": 0.3,
        "threshold": 0.6,
        "llm_category": "email",
        "llm_confidence": 0.9,
    }
    assert unsure.meta["disagreement"] is True and unsure.meta["tokens_in"] > 0

    agree = run(cascade, "agree\n" + EMAIL_TEXT)
    assert agree.classifier == "openai" and agree.meta["disagreement"] is False
    assert len(server.requests) == 2  # only the two unsure documents went out

    server.script("500", "500", "500")
    fallback = run(cascade, "unsure\n" + EMAIL_TEXT)
    assert fallback.classifier == "local" and fallback.final_category == "memo"
    assert "gave up after 3 attempts" in fallback.meta["cascade"]["llm_error"]
    llm.close()


def test_build_classifier_kinds(server: FakeOpenAI, tmp_path: Path) -> None:
    local = TinyLocal({})
    keyless = settings_for(server, tmp_path, openai_api_key=None)
    assert build_classifier("local", keyless, local) is local
    assert build_classifier("auto", keyless, local) is local
    with pytest.raises(ValueError, match="needs an API key"):
        build_classifier("openai", keyless, local)
    with pytest.raises(ValueError, match="unknown classifier"):
        build_classifier("gpt", keyless, local)
    keyed = settings_for(server, tmp_path)
    auto = build_classifier("auto", keyed, local)
    assert isinstance(auto, CascadeClassifier) and auto.name == "auto"
    assert auto.threshold == keyed.cascade_threshold
    only = build_classifier("openai", keyed, local)
    assert isinstance(only, OpenAIClassifier) and only.name == "openai"
    assert KEY not in repr(auto) and KEY not in repr(only)
    only.close()
    auto.llm.close()
