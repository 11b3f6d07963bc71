"""Zero-shot scores: cosine similarity of a document to each category's own words.

all-MiniLM-L6-v2 is a symmetric model (no query/passage prefixes), so a category is embedded
from plain text made of its name, description and keywords. Two ways are offered because
they measure differently (``bench/embedding_eval.py``): ``joined`` embeds one sentence of
all three; ``parts`` embeds name, description and the keywords separately and averages the
unit vectors (each part then weighs the same, however long the description).
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from docclass.taxonomy import Category, Taxonomy

STYLES = ("joined", "parts")


class TextEmbedder(Protocol):
    def embed(self, texts: list[str]) -> np.ndarray: ...


def readable_name(name: str) -> str:
    """``payday_personal_loan`` → ``payday personal loan`` (what the model can read)."""
    return " ".join(name.replace("_", " ").replace("-", " ").split())


def category_parts(category: Category) -> list[str]:
    """Name, description and (if any) keywords of a category, as the model reads them."""
    parts = [readable_name(category.name), category.description]
    if category.keywords:
        parts.append(", ".join(category.keywords))
    return parts


def category_text(category: Category) -> str:
    name, description, *keywords = category_parts(category)
    text = f"{name}: {description}"
    return f"{text} Keywords: {keywords[0]}." if keywords else text


def category_vectors(
    embedder: TextEmbedder, taxonomy: Taxonomy, style: str = "joined"
) -> np.ndarray:
    """One unit-length row per category, in taxonomy order."""
    if style == "joined":
        return embedder.embed([category_text(c) for c in taxonomy.categories])
    if style != "parts":
        raise ValueError(f"unknown style {style!r}; choose one of {', '.join(STYLES)}")
    rows = []
    for category in taxonomy.categories:
        mean = embedder.embed(category_parts(category)).mean(axis=0)
        rows.append(mean / max(float(np.linalg.norm(mean)), 1e-12))
    return np.asarray(rows, dtype=np.float32)


def zero_shot_scores(
    embedder: TextEmbedder,
    texts: list[str],
    taxonomy: Taxonomy,
    *,
    style: str = "joined",
    doc_vectors: np.ndarray | None = None,
) -> np.ndarray:
    """Cosine similarities, shape (len(texts), len(categories)); pass ``doc_vectors`` to reuse."""
    docs = embedder.embed(texts) if doc_vectors is None else doc_vectors
    return cosines(docs, category_vectors(embedder, taxonomy, style))


def cosines(doc_vectors: np.ndarray, cat_vectors: np.ndarray) -> np.ndarray:
    """Row by row, in float64: a document's scores do not depend on the batch it came in
    (one matrix product takes other BLAS paths for other shapes, changing the last bits)."""
    cats = np.asarray(cat_vectors, dtype=np.float64)
    rows = [cats @ v for v in np.asarray(doc_vectors, dtype=np.float64)]
    return np.asarray(rows).reshape(len(rows), len(cats))


def softmax(scores: np.ndarray, temperature: float) -> np.ndarray:
    """Probabilities from similarities (cosines differ by hundredths, hence a small temperature)."""
    z = scores / temperature
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)
