"""The LLM path end to end: the real ``openai`` client against a real local HTTP server.

Nothing is mocked: ``tests/openai_server.py`` speaks the chat-completions API over HTTP on
127.0.0.1 and records what it receives, so the assertions are about what actually leaves
the process (bodies, headers, timing). This file holds the fixtures; the plain constants and
helpers the test files share are in ``tests/integration/llm/helpers.py``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.openai_server import FakeOpenAI


@pytest.fixture
def server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake
