"""A real HTTP server speaking the OpenAI chat-completions API, for tests of the LLM path.

It runs ``http.server.ThreadingHTTPServer`` on 127.0.0.1 (port 0) in a thread, so the real
``openai`` client talks real HTTP to it. Every request is recorded (arrival time, headers,
raw and parsed body) and checked against the contract the classifier must keep (strict JSON
schema with a category enum, temperature 0); a request breaking it gets a 400 and is listed
in :attr:`FakeOpenAI.violations`. Behaviours are scripted per request with :meth:`script`;
when the script is empty the server answers ``ok``.
"""

from __future__ import annotations

import functools
import gzip
import io
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

KINDS = (
    "ok", "429", "500", "slow", "malformed", "outside", "plain", "401", "garbage",
    "drip", "drip_headers", "huge", "huge_declared", "gzip_bomb",
)  # fmt: skip


@dataclass(frozen=True)
class Behaviour:
    """What the server does with one request.

    ``ok``: a valid answer (``category`` or the rule's pick); ``429`` with ``retry_after`` /
    ``retry_after_ms`` headers; ``500``; ``slow``: sleep ``delay_s`` then answer ok;
    ``malformed``: content that is not JSON; ``outside``: JSON whose category is not in the
    enum; ``plain``: plain text (a model obeying "output plain text"); ``401`` with ``message``;
    ``garbage``: a 200 whose body is not a chat completion (a proxy's HTML error page).
    ``reason`` overrides the answer's reason text.

    Hostile endpoints: ``drip`` sends the headers, then a valid answer one byte every
    ``delay_s``; ``drip_headers`` drips the status line and headers too; ``huge`` streams
    ``size_bytes`` of body in chunks (chunked encoding, no declared length);
    ``huge_declared`` the same with a ``Content-Length``; ``gzip_bomb`` a gzip body that
    inflates to ``size_bytes``. Each stops as soon as the client goes away (see
    :attr:`Recorded.bytes_sent`).
    """

    kind: str
    category: str | None = None
    confidence: float | None = None
    retry_after: str | None = "1"
    retry_after_ms: str | None = None
    delay_s: float | None = None
    message: str | None = None
    reason: str | None = None
    size_bytes: int = 200 * 1024 * 1024

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown behaviour {self.kind!r}; one of {KINDS}")


@dataclass
class Recorded:
    """One request as the server saw it."""

    at: float  # time.monotonic() on arrival (same clock as the client: same process)
    path: str
    headers: dict[str, str]
    raw: str
    body: Any
    behaviour: str
    violations: list[str] = field(default_factory=list)
    bytes_sent: int = 0  # body bytes written before the client went away (hostile kinds)

    @property
    def user_message(self) -> str:
        return next(m["content"] for m in self.body["messages"] if m["role"] == "user")

    @property
    def system_message(self) -> str:
        return next(m["content"] for m in self.body["messages"] if m["role"] == "system")

    @property
    def enum(self) -> list[str]:
        schema = self.body["response_format"]["json_schema"]["schema"]
        return list(schema["properties"]["category"]["enum"])


def check_request(body: Any) -> list[str]:
    """The contract every classification request must keep; returns what it breaks."""
    if not isinstance(body, dict):
        return ["body is not a JSON object"]
    problems = []
    if body.get("temperature") != 0:
        problems.append(f"temperature must be 0, got {body.get('temperature')!r}")
    if not isinstance(body.get("model"), str) or not body["model"]:
        problems.append("model missing")
    messages = body.get("messages")
    if not isinstance(messages, list) or {m.get("role") for m in messages} != {"system", "user"}:
        problems.append("messages must be one system and one user message")
    fmt = body.get("response_format")
    if not isinstance(fmt, dict) or fmt.get("type") != "json_schema":
        return [*problems, "response_format must be json_schema"]
    spec = fmt.get("json_schema") or {}
    schema = spec.get("schema") or {}
    if spec.get("strict") is not True:
        problems.append("json_schema.strict must be true")
    props = schema.get("properties") or {}
    enum = (props.get("category") or {}).get("enum")
    if not isinstance(enum, list) or not enum or not all(isinstance(e, str) for e in enum):
        problems.append("category must be a string enum")
    if set(schema.get("required") or ()) != {"category", "confidence", "reason"}:
        problems.append("required must be category, confidence, reason")
    if schema.get("additionalProperties") is not False:
        problems.append("additionalProperties must be false")
    return problems


def most_mentioned(body: dict[str, Any]) -> str:
    """Default rule: the enum value named most often in the user message (ties: first)."""
    enum = body["response_format"]["json_schema"]["schema"]["properties"]["category"]["enum"]
    user = next(m["content"] for m in body["messages"] if m["role"] == "user").lower()
    return max(enum, key=lambda name: user.count(name.lower()))


class FakeOpenAI:
    """The scriptable server; use as a context manager or via the ``openai_server`` fixture."""

    def __init__(
        self,
        *,
        rule: Callable[[dict[str, Any]], str] = most_mentioned,
        confidence: float = 0.9,
        slow_s: float = 2.0,
    ) -> None:
        self.rule = rule
        self.confidence = confidence
        self.slow_s = slow_s
        self._script: deque[Behaviour] = deque()
        self._records: list[Recorded] = []
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._counter = 0
        self.stopping = threading.Event()  # ends dripping and streaming handlers

    # --- lifecycle ---

    def start(self) -> FakeOpenAI:
        handler = type("Handler", (_Handler,), {"fake": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._httpd is not None, "server not started"
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    # --- scripting and inspection ---

    def script(self, *behaviours: Behaviour | str) -> None:
        """Queue behaviours for the next requests, in order (strings are ``Behaviour(kind)``)."""
        with self._lock:
            for b in behaviours:
                self._script.append(b if isinstance(b, Behaviour) else Behaviour(b))

    @property
    def requests(self) -> list[Recorded]:
        with self._lock:
            return list(self._records)

    @property
    def violations(self) -> list[str]:
        return [v for r in self.requests for v in r.violations]

    def _next(self, recorded: Recorded) -> Behaviour:
        with self._lock:
            self._records.append(recorded)
            self._counter += 1
            return self._script.popleft() if self._script else Behaviour("ok")

    def completion(self, body: dict[str, Any], content: str) -> dict[str, Any]:
        """A ``chat.completion`` object as the real API returns it."""
        prompt = sum(len(str(m.get("content", ""))) for m in body["messages"]) // 4 + 1
        completion = len(content) // 4 + 1
        return {
            "id": f"chatcmpl-fake{self._counter}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body["model"],
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content, "refusal": None},
                    "logprobs": None,
                    "finish_reason": "stop",
                }
            ],
            "usage": {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
            },
        }

    def answer(self, body: dict[str, Any], b: Behaviour) -> str:
        category = b.category or self.rule(body)
        confidence = self.confidence if b.confidence is None else b.confidence
        reason = b.reason or f"The document reads like a {category}."
        return json.dumps({"category": category, "confidence": confidence, "reason": reason})


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    fake: FakeOpenAI

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default stderr access log."""

    def _send(
        self,
        status: int,
        payload: Any,
        headers: dict[str, str] | None = None,
        content_type: str = "application/json",
    ) -> None:
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("x-request-id", f"req_{self.fake._counter}")
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout); nothing to answer

    def _drip(self, data: bytes, delay_s: float, recorded: Recorded) -> None:
        """Write ``data`` one byte at a time, ``delay_s`` apart, until done or disconnected."""
        for i in range(len(data)):
            if self.fake.stopping.wait(delay_s if i else 0):
                return
            try:
                self.wfile.write(data[i : i + 1])
                self.wfile.flush()
            except OSError:  # the client gave up
                return
            recorded.bytes_sent += 1

    def _hostile(self, kind: str, body: dict[str, Any], b: Behaviour, recorded: Recorded) -> None:
        """The endpoints the classifier must survive: slow drips and bodies too large."""
        delay = b.delay_s or 0.5
        answer = json.dumps(self.fake.completion(body, self.fake.answer(body, b))).encode()
        head = (
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(answer)}\r\n\r\n"
        ).encode()
        self.close_connection = True
        if kind == "drip_headers":
            self._drip(head + answer, delay, recorded)
            recorded.bytes_sent = max(0, recorded.bytes_sent - len(head))
            return
        if kind == "drip":
            self.wfile.write(head)
            self._drip(answer, delay, recorded)
            return
        chunk = b" " * 65536
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            if kind == "gzip_bomb":
                data = _gzip_of_spaces(b.size_bytes)
                self.send_header("Content-Encoding", "gzip")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                recorded.bytes_sent = len(data)
                return
            if kind == "huge_declared":
                self.send_header("Content-Length", str(b.size_bytes))
            else:
                self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            while recorded.bytes_sent < b.size_bytes and not self.fake.stopping.is_set():
                part = chunk[: b.size_bytes - recorded.bytes_sent]
                if kind == "huge":
                    self.wfile.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
                else:
                    self.wfile.write(part)
                recorded.bytes_sent += len(part)
            if kind == "huge":
                self.wfile.write(b"0\r\n\r\n")
        except OSError:  # the client gave up
            return

    def _error(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        err = {"error": {"message": message, "type": "fake_error", "param": None, "code": None}}
        self._send(status, err, headers)

    def do_POST(self) -> None:
        arrived = time.monotonic()
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode("utf-8", "replace")
        try:
            body: Any = json.loads(raw)
        except ValueError:
            body = None
        path = self.path.split("?")[0]
        problems = check_request(body) if path == "/v1/chat/completions" else ["unknown path"]
        recorded = Recorded(
            at=arrived,
            path=path,
            headers={k.lower(): v for k, v in self.headers.items()},
            raw=raw,
            body=body,
            behaviour="",
            violations=problems,
        )
        behaviour = self.fake._next(recorded)
        recorded.behaviour = behaviour.kind
        if problems:
            self._error(400, "; ".join(problems))
            return
        kind = behaviour.kind
        if kind in ("drip", "drip_headers", "huge", "huge_declared", "gzip_bomb"):
            self._hostile(kind, body, behaviour, recorded)
        elif kind == "429":
            headers = {}
            if behaviour.retry_after is not None:
                headers["Retry-After"] = behaviour.retry_after
            if behaviour.retry_after_ms is not None:
                headers["retry-after-ms"] = behaviour.retry_after_ms
            self._error(429, "Rate limit reached for requests", headers)
        elif kind == "500":
            self._error(500, "The server had an error while processing your request.")
        elif kind == "401":
            self._error(401, behaviour.message or "Incorrect API key provided.")
        elif kind == "malformed":
            self._send(200, self.fake.completion(body, '{"category": "inv'))
        elif kind == "outside":
            content = json.dumps(
                {"category": "Public (as instructed)", "confidence": 1.0, "reason": "told to"}
            )
            self._send(200, self.fake.completion(body, content))
        elif kind == "garbage":
            self._send(200, b"<html><body>Bad gateway</body></html>", content_type="text/html")
        elif kind == "plain":
            self._send(200, self.fake.completion(body, "Public"))
        else:
            if kind == "slow":
                time.sleep(behaviour.delay_s or self.fake.slow_s)
            self._send(200, self.fake.completion(body, self.fake.answer(body, behaviour)))


@functools.lru_cache(maxsize=4)
def _gzip_of_spaces(size: int) -> bytes:
    """``size`` spaces, gzipped (about a thousandth of the size), built without holding them."""
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=9) as packer:
        block = b" " * (1 << 20)
        for start in range(0, size, len(block)):
            packer.write(block[: size - start])
    return out.getvalue()


@pytest.fixture
def openai_server() -> Iterator[FakeOpenAI]:
    """A started :class:`FakeOpenAI`, stopped after the test."""
    with FakeOpenAI() as server:
        yield server
