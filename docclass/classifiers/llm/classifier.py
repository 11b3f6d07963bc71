"""``OpenAIClassifier``: one chat completion per document, retried, rate-limited, bounded."""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Sequence
from typing import Any

import openai

from docclass.classifiers.base import Classification
from docclass.classifiers.llm.answers import (
    Answer,
    Failure,
    LLMError,
    MalformedAnswer,
    attempts_text,
    describe_error,
    parse_answer,
    scrub,
    spread_scores,
    token_usage,
)
from docclass.classifiers.llm.prompt import (
    EXCERPT_TOKENS,
    MAX_OUTPUT_TOKENS,
    RATIONALE_CHARS,
    build_prompt,
    response_format,
)
from docclass.classifiers.llm.transport import BoundedHttpClient, CallDeadline
from docclass.detectors import DetectorResult
from docclass.ratelimit import RateLimiter, estimate_tokens, shared_limiter
from docclass.settings import Settings
from docclass.taxonomy import Taxonomy

log = logging.getLogger(__name__)


class OpenAIClassifier:
    """Classify with an OpenAI chat model under a strict, taxonomy-bound JSON schema."""

    name = "openai"

    def __init__(
        self,
        settings: Settings,
        *,
        limiter: RateLimiter | None = None,
        backoff_base_s: float = 0.5,
        backoff_cap_s: float = 20.0,
        max_retry_after_s: float = 60.0,
        excerpt_tokens: int = EXCERPT_TOKENS,
        max_output_tokens: int = MAX_OUTPUT_TOKENS,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not settings.openai_api_key:
            raise ValueError(
                "the OpenAI classifier needs an API key: set OPENAI_API_KEY "
                "(or pass one from the app's secrets)"
            )
        self.model = settings.openai_model
        self.timeout_s = float(settings.openai_timeout_s)
        self.doc_deadline_s = float(settings.openai_doc_deadline_s)
        self.max_response_bytes = max(1, int(settings.openai_max_response_kb)) * 1024
        self.max_retries = max(0, int(settings.openai_max_retries))
        self.limiter = limiter or shared_limiter(settings.openai_rpm, settings.openai_tpm)
        self.backoff_base_s = backoff_base_s
        self.backoff_cap_s = backoff_cap_s
        self.max_retry_after_s = max_retry_after_s
        self.excerpt_tokens = excerpt_tokens
        self.max_output_tokens = max_output_tokens
        self._sleep = sleep
        # The key is handed to the client and kept nowhere else in this object.
        self._client = openai.OpenAI(
            api_key=settings.openai_api_key,
            base_url=settings.openai_base_url,
            timeout=self.timeout_s,
            max_retries=0,
            http_client=BoundedHttpClient(cap_bytes=self.max_response_bytes),
        )

    def __repr__(self) -> str:
        return f"OpenAIClassifier(model={self.model!r}, timeout_s={self.timeout_s:g})"

    def close(self) -> None:
        """Close the HTTP connection pool (the runner rebuilds classifiers after corrections)."""
        self._client.close()

    def __enter__(self) -> OpenAIClassifier:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def backoff(self, attempt: int, retry_after: float | None) -> float:
        """Exponential backoff with jitter; never shorter than the server's Retry-After."""
        delay = min(self.backoff_cap_s, self.backoff_base_s * 2 ** (attempt - 1))
        delay *= 0.5 + random.random() / 2
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.max_retry_after_s))
        return delay

    def classify(
        self, text: str, detectors: Sequence[DetectorResult], taxonomy: Taxonomy
    ) -> Classification:
        """One document → one category of ``taxonomy``, or :class:`LLMError` after retries.

        Everything here, retries, backoff and rate-limit waits included, ends by the
        document's deadline; each call gets the per-call timeout or what is left of it.
        """
        started = time.monotonic()
        doc_deadline = started + self.doc_deadline_s
        prompt = build_prompt(text, detectors, taxonomy, excerpt_tokens=self.excerpt_tokens)
        sent = "".join(m["content"] for m in prompt.messages)
        estimate = estimate_tokens(sent) + self.max_output_tokens
        fmt = response_format(taxonomy)
        attempts_allowed = self.max_retries + 1
        tokens_in = tokens_out = 0
        waited = 0.0
        failure: Failure | None = None
        for attempt in range(1, attempts_allowed + 1):
            t0 = time.monotonic()
            try:
                ticket = self.limiter.acquire(estimate, timeout=max(0.0, doc_deadline - t0))
            except TimeoutError:
                raise self._out_of_time(attempt - 1, failure, "the rate limit") from None
            waited += time.monotonic() - t0
            call_started = time.monotonic()
            call_s = min(self.timeout_s, doc_deadline - call_started)
            if call_s <= 0:
                self.limiter.reconcile(ticket, 0)  # not sent: give its tokens back
                raise self._out_of_time(attempt - 1, failure, "the rate limit")
            failure = None
            used: tuple[int, int] | None = None
            try:
                with CallDeadline(call_s):
                    completion = self._client.chat.completions.create(
                        model=self.model,
                        messages=prompt.messages,  # type: ignore[arg-type]
                        response_format=fmt,  # type: ignore[arg-type]
                        temperature=0,
                        max_completion_tokens=self.max_output_tokens,
                        timeout=call_s,
                    )
            except openai.OpenAIError as exc:
                failure = describe_error(
                    exc,
                    timeout_s=call_s,
                    secret=self._client.api_key or None,
                    doc_deadline_s=self.doc_deadline_s if call_s < self.timeout_s else None,
                )
            except json.JSONDecodeError:  # a 200 whose body is not JSON (a proxy's HTML page)
                failure = Failure("malformed response from the API: not JSON", True)
            else:
                try:
                    used = token_usage(completion)
                    answer = self._answer(completion, taxonomy)
                except MalformedAnswer as exc:
                    failure = Failure(str(exc), True)
                except (AttributeError, TypeError, ValueError):
                    failure = Failure(
                        "malformed response from the API: not a chat completion", True
                    )
                if used is not None:
                    tokens_in += used[0]
                    tokens_out += used[1]
                    self.limiter.reconcile(ticket, used[0] + used[1])
                if failure is None:
                    meta = {
                        "model": str(getattr(completion, "model", "") or self.model),
                        "tokens_in": tokens_in,
                        "tokens_out": tokens_out,
                        "latency_ms": round((time.monotonic() - started) * 1000, 1),
                        "call_ms": round((time.monotonic() - call_started) * 1000, 1),
                        "rate_wait_ms": round(waited * 1000, 1),
                        "attempts": attempt,
                        "redactions": dict(prompt.redactions),
                        "chars_sent": prompt.chars_total - prompt.chars_omitted,
                        "chars_omitted": prompt.chars_omitted,
                    }
                    return self._result(answer, taxonomy, meta)
            assert failure is not None
            log.info("LLM attempt %d/%d failed: %s", attempt, attempts_allowed, failure.text)
            if not failure.retryable:
                raise LLMError(
                    f"LLM request failed: {failure.text}",
                    attempts=attempt,
                    status_code=failure.status_code,
                )
            if attempt == attempts_allowed:
                break
            if failure.status_code == 429 and failure.retry_after:
                # One thread's 429 is every thread's: the budget is per key.
                self.limiter.pause(min(failure.retry_after, self.max_retry_after_s))
            delay = self.backoff(attempt, failure.retry_after)
            if time.monotonic() + delay >= doc_deadline:
                raise self._out_of_time(attempt, failure, "another attempt")
            self._sleep(delay)
        assert failure is not None
        raise LLMError(
            f"LLM gave up after {attempts_text(attempts_allowed)}: {failure.text}",
            attempts=attempts_allowed,
            status_code=failure.status_code,
            retryable=True,
        )

    def _out_of_time(self, attempts: int, failure: Failure | None, waiting_for: str) -> LLMError:
        """The error for a document whose LLM deadline passed (or would, before a retry)."""
        deadline = (
            f"the document's LLM deadline of {self.doc_deadline_s:g} s "
            "(DOCCLASS_OPENAI_DOC_DEADLINE)"
        )
        if failure is None:
            text = f"LLM request failed: {deadline} passed while waiting for {waiting_for}"
        else:
            text = (
                f"LLM gave up after {attempts_text(attempts)}: {failure.text}; "
                f"no time left for {waiting_for} within {deadline}"
            )
        return LLMError(
            text,
            attempts=attempts,
            status_code=failure.status_code if failure else None,
            retryable=True,
        )

    @staticmethod
    def _answer(completion: Any, taxonomy: Taxonomy) -> Answer:
        choices = list(completion.choices or [])
        if not choices:
            raise MalformedAnswer("malformed answer: no choices")
        choice = choices[0]
        if choice.finish_reason == "length":
            raise MalformedAnswer("malformed answer: cut off at the token limit")
        message = choice.message
        if getattr(message, "refusal", None):
            raise MalformedAnswer("malformed answer: the model refused")
        return parse_answer(message.content, taxonomy.names)

    def _result(self, answer: Answer, taxonomy: Taxonomy, meta: dict[str, Any]) -> Classification:
        reason = scrub(answer.reason, self._client.api_key or None)
        if len(reason) > RATIONALE_CHARS:
            reason = reason[: RATIONALE_CHARS - 1].rstrip() + "…"
        return Classification(
            final_category=answer.category,
            confidence=answer.confidence,
            scores=spread_scores(taxonomy.names, answer.category, answer.confidence),
            rationale=reason,
            classifier=self.name,
            meta=meta,
        )
