"""The LLM classifier (OpenAI chat completions) and the local-first cascade.

Design points, each a contract tested in ``tests/integration/llm/``:

* Text is redacted (:func:`docclass.redaction.redact`) before it is put in a prompt, and the
  exact messages sent are checked again, so no detector-found PII leaves the process.
* The document is data, not instructions: it travels inside ``<document>`` delimiters (any
  delimiter inside it is neutralised), the system prompt says so, and the answer is forced
  into a strict JSON schema whose ``category`` is an enum of the taxonomy's names. The answer
  is validated anyway; anything else counts as malformed and is retried, then refused.
* We do our own retries (the client's are off): exponential backoff with jitter, honouring
  ``Retry-After`` / ``retry-after-ms``, for 408/409/429/5xx, timeouts, connection errors and
  malformed answers. A process-wide :class:`~docclass.ratelimit.RateLimiter` keeps all worker
  threads inside the configured requests- and tokens-per-minute.
* Every call has a total deadline (``DOCCLASS_OPENAI_TIMEOUT``: connect, send, headers and
  body together, not per read) and every document one for all its calls, retries and
  rate-limit waits (``DOCCLASS_OPENAI_DOC_DEADLINE``); an answer is read up to
  ``DOCCLASS_OPENAI_MAX_RESPONSE_KB`` and refused beyond it. See :mod:`.transport`.
* The API key only ever lives inside the ``openai`` client. It is never logged, stored in
  results, or put in error messages; errors are rebuilt from status codes and scrubbed text
  and raised without chaining the ``openai`` exception (which holds the request headers).
"""

from docclass.classifiers.llm.answers import LLMError, parse_answer
from docclass.classifiers.llm.cascade import CascadeClassifier, build_classifier, cascade
from docclass.classifiers.llm.classifier import OpenAIClassifier
from docclass.classifiers.llm.prompt import (
    CLOSE_TAG,
    OPEN_TAG,
    build_prompt,
    neutralise_delimiters,
)

__all__ = [
    "CLOSE_TAG",
    "OPEN_TAG",
    "CascadeClassifier",
    "LLMError",
    "OpenAIClassifier",
    "build_classifier",
    "build_prompt",
    "cascade",
    "neutralise_delimiters",
    "parse_answer",
]
