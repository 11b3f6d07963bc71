"""The labelled sets ``bench/embedding_eval.py`` reads, and its caches (texts, vectors).

Sets (read in place from ``../shared/eval``, never copied): the two topic sets with their own
``taxonomy.toml``, ``doctype-dev2`` (PDF/DOCX/text, 16 default types, 112 sources) and
``doctype-dev`` (text, six types) under the default taxonomy. PDF and DOCX go through
docclass's own extraction; the texts and the embeddings are cached under the system's
temporary folder (keyed by file size and mtime, and by text hash and model settings), so a
second run only re-scores. Nothing in the caches is ever committed.
"""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from docclass.extraction import DocumentError, extract_file
from docclass.taxonomy import Taxonomy, load_taxonomy

CACHE = Path(tempfile.gettempdir()) / "docclass-embedding-eval"


@dataclass(frozen=True)
class Doc:
    text: str
    label: str
    path: str  # "<folder>/<file>" inside the set
    source: str  # the source repository (doctype-dev2) or the set's name


@dataclass(frozen=True)
class EvalSet:
    name: str
    taxonomy: Taxonomy
    docs: list[Doc]


def _label(folder: str, taxonomy: Taxonomy) -> str:
    """Folder name to category name (``news_article`` → ``news article`` where needed)."""
    if folder in taxonomy.names:
        return folder
    spaced = folder.replace("_", " ")
    if spaced in taxonomy.names:
        return spaced
    raise SystemExit(f"folder {folder!r} matches no category of {taxonomy.name}")


def _sources(readme: Path) -> dict[str, str]:
    """``category/file`` → source repository, from the appendix of README-dev2.md."""
    if not readme.is_file():
        return {}
    rows = re.findall(r"^\| ([a-z_]+/\d{4}\.\w+) \| ([^|]+?) \|", readme.read_text("utf-8"), re.M)
    return dict(rows)


def _text_cache() -> dict[str, str]:
    path = CACHE / "texts.json"
    return json.loads(path.read_text("utf-8")) if path.is_file() else {}


def _read(path: Path, cache: dict[str, str]) -> str:
    stat = path.stat()
    key = f"{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}"
    if key not in cache:
        try:
            cache[key] = extract_file(path).text  # as a job reads it (encoding sniffed)
        except DocumentError as exc:
            print(f"  {path}: {exc} (scored as an empty text)")
            cache[key] = ""
    return cache[key]


def load_set(root: Path, name: str, taxonomy: Taxonomy | None = None) -> EvalSet:
    folder = root / name
    if not folder.is_dir():
        raise SystemExit(f"no evaluation set at {folder}")
    toml = folder / "taxonomy.toml"
    taxonomy = taxonomy or (load_taxonomy(toml) if toml.is_file() else load_taxonomy("default"))
    sources = _sources(root / "README-dev2.md") if name == "doctype-dev2" else {}
    cache = _text_cache()
    docs = []
    for path in sorted(p for p in folder.glob("*/*") if p.is_file()):
        rel = f"{path.parent.name}/{path.name}"
        text = _read(path, cache)
        label = _label(path.parent.name, taxonomy)
        docs.append(Doc(text, label, rel, sources.get(rel, name)))
    CACHE.mkdir(parents=True, exist_ok=True)
    (CACHE / "texts.json").write_text(json.dumps(cache), "utf-8")
    return EvalSet(name, taxonomy, docs)


def cached_vectors(
    texts: list[str], settings: str, embed: Callable[[list[str]], np.ndarray]
) -> np.ndarray:
    """Embeddings of ``texts``, computing only those not cached for these model settings."""
    path = CACHE / f"vectors-{hashlib.sha1(settings.encode()).hexdigest()[:12]}.npz"
    stored: dict[str, np.ndarray] = dict(np.load(path)) if path.is_file() else {}
    keys = [hashlib.sha1(t.encode("utf-8", "replace")).hexdigest() for t in texts]
    missing = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in stored}.items())
    if missing:
        vectors = embed([t for _, t in missing])
        stored.update({k: v for (k, _), v in zip(missing, vectors, strict=True)})
        CACHE.mkdir(parents=True, exist_ok=True)
        np.savez(path, **stored)
    return np.asarray([stored[k] for k in keys], dtype=np.float32)
