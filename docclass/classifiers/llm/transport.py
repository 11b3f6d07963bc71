"""Bounded HTTP for the ``openai`` client: one deadline per call, a cap on the answer's size."""

from __future__ import annotations

import threading
import time
import zlib
from collections.abc import Iterable, Iterator
from typing import Any

import httpcore2
import httpx2
import openai

#
# httpx's timeouts are per operation: an endpoint that sends one byte every few seconds never
# trips a 5 s read timeout, and nothing limits how much it sends. Three layers bound a call:
#
# * a deadline per thread (:class:`_Deadline`): the classifier sets it for the whole call
#   (redirects included), and the transport for each request from its timeout;
# * a network backend under httpcore whose every connect, TLS handshake, read and write gets
#   at most the time left before that deadline, so the header phase (which httpx reads before
#   handing any response back) is bounded as well as the body;
# * a response stream that counts the bytes of the body (decompressed, so a small gzip bomb
#   cannot get round the cap) and checks the deadline on every chunk.
#
# Left unbounded: the DNS lookup inside ``socket.create_connection`` (the OS resolver's own
# timeouts apply).


class _Deadline(threading.local):
    """Monotonic times the current thread's HTTP work must finish by (None: no limit)."""

    call: float | None = None  # set by the caller for one whole call
    request: float | None = None  # what reads and writes must finish by, per request


_DEADLINE = _Deadline()


def _time_left(timeout: float | None, error: type[Exception]) -> float | None:
    """``timeout`` cut to the time left before the deadline; ``error`` once it has passed."""
    deadline = _DEADLINE.request
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise error("the call's total deadline has passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore2.NetworkStream):
    """A connection whose every operation ends by the thread's deadline."""

    def __init__(self, inner: httpcore2.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _time_left(timeout, httpcore2.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _time_left(timeout, httpcore2.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore2.NetworkStream:
        left = _time_left(timeout, httpcore2.ConnectTimeout)
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, left))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore2.NetworkBackend):
    """Opens :class:`_DeadlineStream` connections."""

    def __init__(self, inner: httpcore2.NetworkBackend) -> None:
        self._inner = inner

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore2.NetworkStream:
        left = _time_left(timeout, httpcore2.ConnectTimeout)
        return _DeadlineStream(
            self._inner.connect_tcp(host, port, left, local_address, socket_options)
        )

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore2.NetworkStream:
        left = _time_left(timeout, httpcore2.ConnectTimeout)
        return _DeadlineStream(self._inner.connect_unix_socket(path, left, socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class ResponseRefused(httpx2.ReadError):
    """The API's answer was refused before it was all read; ``reason`` says why, plainly."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _too_large(cap_bytes: int) -> ResponseRefused:
    return ResponseRefused(
        f"the API's answer was larger than {cap_bytes // 1024:,} KB "
        "(DOCCLASS_OPENAI_MAX_RESPONSE_KB); it was not read further"
    )


class _CappedStream(httpx2.SyncByteStream):
    """A response body read up to ``cap_bytes`` (after decompression) and by the deadline."""

    def __init__(
        self, inner: httpx2.SyncByteStream, cap_bytes: int, decoder: Any | None = None
    ) -> None:
        self._inner = inner
        self._cap = cap_bytes
        self._decoder = decoder
        self._total = 0

    def _pieces(self, chunk: bytes) -> Iterator[bytes]:
        if self._decoder is None:
            yield chunk
            return
        while chunk:
            # Never more than one byte over the cap in memory, whatever the ratio.
            piece = self._decoder.decompress(chunk, self._cap - self._total + 1)
            chunk = self._decoder.unconsumed_tail
            if not piece:
                return
            yield piece

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._inner:
            deadline = _DEADLINE.request
            if deadline is not None and time.monotonic() > deadline:
                raise httpx2.ReadTimeout("the call's total deadline has passed")
            for piece in self._pieces(chunk):
                self._total += len(piece)
                if self._total > self._cap:
                    raise _too_large(self._cap)
                yield piece

    def close(self) -> None:
        self._inner.close()


_DECODERS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}


class _BoundedTransport(httpx2.BaseTransport):
    """Wraps httpx's transport: the deadline on every network operation, a capped body."""

    def __init__(self, inner: httpx2.BaseTransport, cap_bytes: int) -> None:
        pool = getattr(inner, "_pool", None)
        if pool is None or not hasattr(pool, "_network_backend"):
            # httpx2/httpcore2 moved their internals: fail loudly rather than run unbounded.
            raise RuntimeError(
                "cannot bound LLM calls with this httpx2/httpcore2 version "
                "(no connection pool to put the deadline under)"
            )
        pool._network_backend = _DeadlineBackend(pool._network_backend)
        self._inner = inner
        self._cap = cap_bytes

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        timeouts = [t for t in (request.extensions.get("timeout") or {}).values() if t is not None]
        deadline = _DEADLINE.call
        if timeouts:
            own = time.monotonic() + max(timeouts)
            deadline = own if deadline is None else min(deadline, own)
        _DEADLINE.request = deadline
        # Ask for no compression; decompress (bounded) if a server compresses anyway.
        request.headers["Accept-Encoding"] = "identity"
        response = self._inner.handle_request(request)
        headers = [(k, v) for k, v in response.headers.raw]
        encoding = response.headers.get("content-encoding", "identity").strip().lower()
        decoder = None
        if encoding not in ("", "identity"):
            if encoding not in _DECODERS:
                response.close()
                raise ResponseRefused(f"the API's answer used an unsupported encoding ({encoding})")
            decoder = zlib.decompressobj(_DECODERS[encoding])
            skip = (b"content-encoding", b"content-length")
            headers = [(k, v) for k, v in headers if k.lower() not in skip]
        declared = response.headers.get("content-length", "")
        if decoder is None and declared.isdigit() and int(declared) > self._cap:
            response.close()
            raise _too_large(self._cap)
        assert isinstance(response.stream, httpx2.SyncByteStream)
        return httpx2.Response(
            status_code=response.status_code,
            headers=headers,
            stream=_CappedStream(response.stream, self._cap, decoder),
            extensions=response.extensions,
        )

    def close(self) -> None:
        self._inner.close()


class BoundedHttpClient(openai.DefaultHttpxClient):
    """The ``openai`` SDK's default HTTP client with every transport bounded.

    Wrapping the transports the client builds (rather than passing one) keeps its proxy
    handling: ``HTTPS_PROXY`` and friends still apply, through a bounded transport.
    """

    def __init__(self, *, cap_bytes: int, **kwargs: Any) -> None:
        self._cap_bytes = cap_bytes
        super().__init__(**kwargs)

    def _init_transport(self, *args: Any, **kwargs: Any) -> httpx2.BaseTransport:
        return _BoundedTransport(super()._init_transport(*args, **kwargs), self._cap_bytes)

    def _init_proxy_transport(self, *args: Any, **kwargs: Any) -> httpx2.BaseTransport:
        return _BoundedTransport(super()._init_proxy_transport(*args, **kwargs), self._cap_bytes)


class CallDeadline:
    """``with CallDeadline(seconds):`` bounds every request made inside, in total."""

    def __init__(self, seconds: float) -> None:
        self._seconds = seconds

    def __enter__(self) -> None:
        self._saved = _DEADLINE.call
        _DEADLINE.call = time.monotonic() + self._seconds

    def __exit__(self, *exc: object) -> None:
        _DEADLINE.call = self._saved
        _DEADLINE.request = None
