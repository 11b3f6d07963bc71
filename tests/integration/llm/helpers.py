"""What the LLM tests share: a key to look for, the taxonomies, fast backoff, a classifier.

Plain constants and functions rather than fixtures, so each test passes the server and the
settings it runs against explicitly, and one test can build several classifiers.
"""

from __future__ import annotations

from pathlib import Path

from docclass.classifiers.base import Classification
from docclass.classifiers.llm import OpenAIClassifier
from docclass.detectors import run_detectors
from docclass.ratelimit import RateLimiter
from docclass.settings import Settings, load_settings
from docclass.taxonomy import Taxonomy, load_taxonomy
from tests.openai_server import FakeOpenAI

KEY = "sk-docclass-test-7f3a9c2e51b84d06"
DEFAULT = load_taxonomy("default")
SENSITIVITY = load_taxonomy("sensitivity")
FAST = {"backoff_base_s": 0.01, "backoff_cap_s": 0.05}


def settings_for(server: FakeOpenAI, tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "data_dir": tmp_path,
        "openai_api_key": KEY,
        "openai_base_url": server.base_url,
        "openai_model": "test-model",
        "openai_timeout_s": 5.0,
        "openai_max_retries": 2,
        "openai_rpm": 0,
        "openai_tpm": 0,
    }
    values.update(overrides)
    return load_settings(**values)


def classifier(
    server: FakeOpenAI, tmp_path: Path, limiter: RateLimiter | None = None, **overrides: object
) -> OpenAIClassifier:
    settings = settings_for(server, tmp_path, **overrides)
    return OpenAIClassifier(settings, limiter=limiter or RateLimiter(0, 0), **FAST)


def run(clf: object, text: str, taxonomy: Taxonomy = DEFAULT) -> Classification:
    return clf.classify(text, run_detectors(text, taxonomy.keywords()), taxonomy)  # type: ignore[attr-defined]


EMAIL_TEXT = (
    "From: Dana\nTo: Lee\nSubject: re: the email you forwarded\n\n"
    "Thanks for the email, see the email below.\n- Dana"
)
