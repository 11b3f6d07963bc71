"""What comes back: answers parsed and checked, errors described without secrets."""

from __future__ import annotations

import email.utils
import json
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import openai

from docclass.classifiers.base import ClassificationError
from docclass.classifiers.llm.prompt import BEARER, DETAIL_CHARS, SK_KEY
from docclass.classifiers.llm.transport import ResponseRefused


class LLMError(ClassificationError):
    """The LLM gave no usable answer. The message is safe to show: no key, no headers."""

    def __init__(
        self,
        message: str,
        *,
        attempts: int,
        status_code: int | None = None,
        retryable: bool = False,
    ) -> None:
        super().__init__(message)
        self.attempts = attempts
        self.status_code = status_code
        self.retryable = retryable


class MalformedAnswer(ValueError):
    """The model's answer broke the contract (not JSON, category outside the enum, ...)."""


@dataclass(frozen=True)
class Answer:
    category: str
    confidence: float
    reason: str


@dataclass(frozen=True)
class Failure:
    """What went wrong in one attempt, as plain data (never the ``openai`` exception)."""

    text: str
    retryable: bool
    status_code: int | None = None
    retry_after: float | None = None


def scrub(text: str, secret: str | None = None) -> str:
    """Remove anything key-like from text that came from a server or an exception."""
    if secret:
        text = text.replace(secret, "[redacted]")
    text = BEARER.sub("Bearer [redacted]", text)
    return SK_KEY.sub("sk-[redacted]", text)


def parse_answer(content: str | None, names: Sequence[str]) -> Answer:
    """Validate the model's JSON against the contract; raise :class:`MalformedAnswer`."""
    if not content or not content.strip():
        raise MalformedAnswer("malformed answer: empty content")
    try:
        data = json.loads(content)
    except ValueError:
        raise MalformedAnswer("malformed answer: not JSON") from None
    if not isinstance(data, dict):
        raise MalformedAnswer("malformed answer: not a JSON object")
    category = data.get("category")
    if not isinstance(category, str) or category not in names:
        shown = repr(category)[:40]
        raise MalformedAnswer(f"malformed answer: category {shown} is not in the taxonomy")
    confidence = data.get("confidence")
    if isinstance(confidence, bool) or not isinstance(confidence, int | float):
        raise MalformedAnswer("malformed answer: confidence is not a number")
    if not math.isfinite(confidence):
        raise MalformedAnswer("malformed answer: confidence is not finite")
    reason = data.get("reason")
    reason = reason.strip() if isinstance(reason, str) else ""
    return Answer(category, min(1.0, max(0.0, float(confidence))), reason)


def parse_retry_after(headers: Any) -> float | None:
    """Seconds the server asked us to wait: ``retry-after-ms``, then ``Retry-After``."""
    if headers is None:
        return None
    for name, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        raw = headers.get(name)
        if raw is None:
            continue
        try:
            value = float(raw) / divisor
        except ValueError:
            if name == "retry-after":
                parsed = email.utils.parsedate_tz(raw)
                if parsed is not None:
                    return max(0.0, email.utils.mktime_tz(parsed) - time.time())
            continue
        if math.isfinite(value) and value >= 0:
            return value
    return None


def _status_text(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"HTTP {status}"


def describe_error(
    exc: openai.OpenAIError,
    *,
    timeout_s: float,
    secret: str | None,
    doc_deadline_s: float | None = None,
) -> Failure:
    """Turn an ``openai`` exception into a short, header-free, key-free description.

    ``doc_deadline_s`` is given when the call's time was cut to what was left of the
    document's deadline, so that a timeout names the limit that actually applied.
    """
    if isinstance(exc, openai.APITimeoutError):
        limit = (
            f"what was left of the document's {doc_deadline_s:g} s LLM deadline"
            if doc_deadline_s is not None
            else "DOCCLASS_OPENAI_TIMEOUT"
        )
        return Failure(f"the API took longer than {timeout_s:.3g} s in total ({limit})", True)
    if isinstance(exc, openai.APIConnectionError):
        if isinstance(exc.__cause__, ResponseRefused):
            return Failure(exc.__cause__.reason, False)
        cause = type(exc.__cause__).__name__ if exc.__cause__ is not None else "unknown"
        return Failure(f"connection error ({cause})", True)
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        text = _status_text(status)
        body = exc.body
        detail = body.get("message") if isinstance(body, dict) else None
        if isinstance(detail, str) and detail.strip():
            text += f": {scrub(detail.strip(), secret)[:DETAIL_CHARS]}"
        retryable = status in (408, 409, 429) or status >= 500
        retry_after = parse_retry_after(exc.response.headers)
        return Failure(text, retryable, status, retry_after)
    if isinstance(exc, openai.APIResponseValidationError):
        return Failure("malformed response from the API", True, exc.status_code)
    return Failure(scrub(f"{type(exc).__name__}: {exc}", secret)[:DETAIL_CHARS], False)


def attempts_text(n: int) -> str:
    return f"{n} attempt" if n == 1 else f"{n} attempts"


def token_usage(completion: Any) -> tuple[int, int] | None:
    """(prompt_tokens, completion_tokens) of a completion, or None when it reports none."""
    usage = getattr(completion, "usage", None)
    if usage is None:
        return None
    return int(usage.prompt_tokens or 0), int(usage.completion_tokens or 0)


def spread_scores(names: Sequence[str], category: str, confidence: float) -> dict[str, float]:
    """The chosen category gets the model's confidence; the others share the rest evenly.

    The model gives one confidence, not a distribution, so this is the least-assuming
    spread that sums to 1. Note that for confidence below ``1/len(names)`` the chosen
    category is not the highest score; ``final_category`` is what counts.
    """
    others = [n for n in names if n != category]
    rest = (1.0 - confidence) / len(others) if others else 0.0
    return {n: (confidence if n == category else rest) for n in names}
