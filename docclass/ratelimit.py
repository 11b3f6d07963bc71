"""Client-side rate limiting for the LLM: requests and tokens per window, across threads.

Provider limits are per API key, not per worker, so every thread of the process must draw
from one budget: :func:`shared_limiter` hands out one :class:`RateLimiter` per configuration.
A sliding-window log (one entry per request) gives the exact guarantee we test: at most
``rpm`` requests, and at most ``tpm`` estimated-then-reconciled tokens, start in any window
of ``window_s`` seconds. Times come from ``time.monotonic`` so clock changes cannot burst.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass

CHARS_PER_TOKEN = 4


def estimate_tokens(text: str) -> int:
    """Rough token count (~4 characters per token) used before the real usage is known."""
    return max(1, (len(text) + CHARS_PER_TOKEN - 1) // CHARS_PER_TOKEN)


@dataclass
class Ticket:
    """One admitted request; hand it back to :meth:`RateLimiter.reconcile` with real usage."""

    at: float
    tokens: int


class RateLimiter:
    """Blocking limiter on requests and tokens per sliding window; safe to share by threads.

    ``rpm`` / ``tpm`` of 0 or less disable that dimension. A single request estimated above
    ``tpm`` is clamped to ``tpm`` so that it can still run, alone, in an empty window.
    """

    def __init__(self, rpm: int, tpm: int = 0, *, window_s: float = 60.0) -> None:
        if window_s <= 0:
            raise ValueError("window_s must be positive")
        self.rpm = int(rpm)
        self.tpm = int(tpm)
        self.window_s = float(window_s)
        self._log: deque[Ticket] = deque()
        self._tokens = 0
        self._paused_until = 0.0
        self._cond = threading.Condition()

    def _purge(self, now: float) -> None:
        horizon = now - self.window_s
        while self._log and self._log[0].at <= horizon:
            self._tokens -= self._log.popleft().tokens

    def _wait_needed(self, now: float, tokens: int) -> float:
        """Seconds until a request of ``tokens`` may start; 0 when it may start now."""
        wait = max(0.0, self._paused_until - now)
        if self.rpm > 0 and len(self._log) >= self.rpm:
            oldest = self._log[len(self._log) - self.rpm]
            wait = max(wait, oldest.at + self.window_s - now)
        if self.tpm > 0 and self._tokens + tokens > self.tpm:
            # Walk the log until enough tokens would have left the window.
            freed = 0
            excess = self._tokens + tokens - self.tpm
            for entry in self._log:
                freed += entry.tokens
                if freed >= excess:
                    wait = max(wait, entry.at + self.window_s - now)
                    break
        return wait

    def acquire(self, tokens: int = 1, timeout: float | None = None) -> Ticket:
        """Block until one request of ``tokens`` fits in the window, then record it.

        Raises ``TimeoutError`` if ``timeout`` seconds pass first.
        """
        tokens = max(0, int(tokens))
        if self.tpm > 0:
            tokens = min(tokens, self.tpm)
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while True:
                now = time.monotonic()
                self._purge(now)
                wait = self._wait_needed(now, tokens)
                if wait <= 0:
                    ticket = Ticket(at=now, tokens=tokens)
                    self._log.append(ticket)
                    self._tokens += tokens
                    return ticket
                if deadline is not None:
                    if now >= deadline:
                        raise TimeoutError("rate limiter: no capacity before the timeout")
                    wait = min(wait, deadline - now)
                # Woken early by reconcile()/pause(); otherwise sleep until capacity frees.
                self._cond.wait(wait)

    def reconcile(self, ticket: Ticket, actual_tokens: int) -> None:
        """Replace a request's estimate with its real token usage (may free capacity)."""
        actual = max(0, int(actual_tokens))
        with self._cond:
            if any(entry is ticket for entry in self._log):
                self._tokens += actual - ticket.tokens
            ticket.tokens = actual
            self._cond.notify_all()

    def pause(self, seconds: float) -> None:
        """Hold every thread back for ``seconds`` (the provider said 429 + Retry-After)."""
        with self._cond:
            self._paused_until = max(self._paused_until, time.monotonic() + max(0.0, seconds))
            self._cond.notify_all()

    def usage(self) -> tuple[int, int]:
        """(requests, tokens) currently counted in the window; for status displays and tests."""
        with self._cond:
            self._purge(time.monotonic())
            return len(self._log), self._tokens


_SHARED: dict[tuple[int, int, float], RateLimiter] = {}
_SHARED_LOCK = threading.Lock()


def shared_limiter(rpm: int, tpm: int, window_s: float = 60.0) -> RateLimiter:
    """The process-wide limiter for this configuration (one budget for all worker threads)."""
    key = (int(rpm), int(tpm), float(window_s))
    with _SHARED_LOCK:
        limiter = _SHARED.get(key)
        if limiter is None:
            limiter = _SHARED[key] = RateLimiter(rpm, tpm, window_s=window_s)
        return limiter
