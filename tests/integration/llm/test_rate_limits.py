"""Worker threads share one rate limiter, so the configured limits hold for the whole process.

Requests and tokens per minute are the provider's limits on the key, not on a thread; these
tests time the limiter's own admissions (not when a thread next ran), so a busy machine's
scheduling jitter can neither hide a breach nor fail a correct limiter.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from docclass.ratelimit import RateLimiter
from tests.integration.llm.helpers import EMAIL_TEXT, classifier, run
from tests.openai_server import FakeOpenAI


def test_rate_limit_holds_across_threads(server: FakeOpenAI, tmp_path: Path) -> None:
    rpm, window, docs = 5, 1.0, 12
    limiter = RateLimiter(rpm, 0, window_s=window)
    granted: list[float] = []  # when the limiter let each request go (its guarantee)
    acquire = limiter.acquire

    def recorded(*args: object, **kwargs: object):
        ticket = acquire(*args, **kwargs)  # type: ignore[arg-type]
        granted.append(ticket.at)
        return ticket

    limiter.acquire = recorded  # type: ignore[method-assign]
    with classifier(server, tmp_path, limiter=limiter) as clf, ThreadPoolExecutor(6) as pool:
        results = list(pool.map(lambda i: run(clf, f"{EMAIL_TEXT}\n#{i}"), range(docs)))
    assert all(r.final_category == "email" for r in results)
    assert len(server.requests) == docs == len(granted)
    # Any rpm + 1 consecutive grants span at least one window, whichever threads asked
    # (send times, not arrival times: those add the machine's scheduling jitter).
    stamps = sorted(granted)
    spans = [stamps[i + rpm] - stamps[i] for i in range(docs - rpm)]
    assert min(spans) >= window, spans


def test_rate_limiter_requests_and_tokens_exactly() -> None:
    limiter = RateLimiter(rpm=3, tpm=100, window_s=0.4)
    times: list[float] = []
    lock = threading.Lock()

    def go() -> None:
        ticket = limiter.acquire(10)
        with lock:  # the admission time, not when this thread next ran (a busy machine)
            times.append(ticket.at)

    threads = [threading.Thread(target=go) for _ in range(7)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    times.sort()
    assert all(times[i + 3] - times[i] >= 0.4 for i in range(len(times) - 3))

    tokens = RateLimiter(rpm=0, tpm=100, window_s=0.4)
    ticket = tokens.acquire(80)
    started = time.monotonic()
    tokens.acquire(80)  # must wait for the first to leave the window
    assert time.monotonic() - started >= 0.35
    tokens = RateLimiter(rpm=0, tpm=100, window_s=5)
    ticket = tokens.acquire(80)
    tokens.reconcile(ticket, 10)  # real usage was lower: capacity comes back at once
    tokens.acquire(80, timeout=0)  # raises TimeoutError if it would have to wait at all
    assert tokens.usage() == (2, 90)
    with pytest.raises(TimeoutError):
        tokens.acquire(50, timeout=0.05)
