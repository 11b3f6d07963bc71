"""The meaning reader: sentence embeddings for taxonomies of topics rather than kinds of document.

The built-in lexicon (:mod:`.concepts`) knows kinds of document (invoices, letters, slides) in
several languages; it is what makes the default taxonomy work. A user's taxonomy of topics
(complaint products, research areas, news desks) links to none of those concepts, and the
lexicon then has only the categories' own few words to go on. There a sentence-embedding
model reads better: one document at a time it scored 61–67% on the two topic sets where the
lexicon scored 40–54% (``bench/embedding_eval.py``), and it needs nothing but the taxonomy.

Which reader a taxonomy gets is decided from the taxonomy alone (:func:`reads_topics`); the
embedding backend is optional, and without it every taxonomy is read by the lexicon.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from functools import lru_cache

import numpy as np

from docclass.classifiers.embedding.model import Embedder, EmbeddingUnavailable, load_embedder
from docclass.classifiers.embedding.zero_shot import category_vectors, cosines
from docclass.classifiers.local.zero_shot import _ZeroShot, softmax
from docclass.taxonomy import Taxonomy

log = logging.getLogger(__name__)

# Cosines to categories differ by hundredths; the softmax temperature fixed with the backend.
TEMPERATURE = 0.05
# "None of these": a document whose best cosine to every category stays below this fits none
# of them. Measured across the two topic taxonomies (``bench/classify_eval.py`` prints the
# share of the other sets' documents this flags): 1–5% of a taxonomy's own documents fall
# below it, and about half of unrelated documents (other sets' documents) do; the rest of
# those are caught by the review flag's low confidence.
FITS_NONE_COSINE = 0.12
# A catch-all category ("other") has no meaning of its own to embed: it scores this floor.
CATCH_ALL_COSINE = FITS_NONE_COSINE
# Document vectors kept per classifier (1.5 kB each): a job's batch pass then reuses what its
# documents' first answers computed in this process instead of embedding them again.
VECTOR_CACHE = 20_000


def reads_topics(taxonomy: Taxonomy, zero: _ZeroShot) -> bool:
    """True when most real categories link to no built-in kind of document (a topic taxonomy).

    A category "links" when a concept of the lexicon matches its name or description fully
    (weight 1); catch-all categories do not count either way. An ordered taxonomy is a scale
    (Public < Confidential), not topics: its detectors and keywords decide, and a public news
    story is no less public for being far in meaning from the word "public".
    """
    if taxonomy.ordered:
        return False
    real = [links for links, catch in zip(zero.links, zero.catch_all, strict=True) if not catch]
    linked = sum(any(w >= 1.0 for _, w in links) for links in real)
    return bool(real) and linked * 2 < len(real)


@lru_cache(maxsize=1)
def shared_embedder() -> Embedder | None:
    """This process's model, or None when the optional backend is not installed (said once)."""
    try:
        return load_embedder()
    except EmbeddingUnavailable as exc:
        log.warning("topic taxonomies are read by the lexicon only: %s", exc)
        return None


class Meaning:
    """A taxonomy's categories as embedded sentences, and documents' cosines to them."""

    def __init__(self, taxonomy: Taxonomy, embedder: Embedder, catch_all: np.ndarray) -> None:
        self._embedder = embedder
        self._categories = category_vectors(embedder, taxonomy, "joined")
        self._catch_all = catch_all
        self._cache: OrderedDict[bytes, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def vectors(self, heads: list[str]) -> np.ndarray:
        """One embedding per head; the same head always gives the same vector, cached or not."""
        keys = [
            hashlib.blake2b(h.encode("utf-8", "replace"), digest_size=16).digest() for h in heads
        ]
        with self._lock:
            found = {k: self._cache[k] for k in keys if k in self._cache}
        missing = list(dict.fromkeys(k for k in keys if k not in found))
        if missing:
            text_of = dict(zip(keys, heads, strict=True))
            fresh = self._embedder.embed([text_of[k] for k in missing])
            found.update(zip(missing, fresh, strict=True))
            with self._lock:
                for k, v in zip(missing, fresh, strict=True):
                    self._cache[k] = v
                while len(self._cache) > VECTOR_CACHE:
                    self._cache.popitem(last=False)
        return (
            np.vstack([found[k] for k in keys])
            if keys
            else np.zeros((0, self._embedder.dim), np.float32)
        )

    def cosines(self, vectors: np.ndarray) -> np.ndarray:
        """Cosines per document and category; catch-all categories score the fixed floor."""
        sims = cosines(vectors, self._categories)
        sims[:, self._catch_all] = CATCH_ALL_COSINE
        return sims

    @staticmethod
    def probabilities(sims: np.ndarray) -> np.ndarray:
        return softmax(sims, TEMPERATURE)

    @staticmethod
    def fits_none(sims: np.ndarray, catch_all: np.ndarray) -> np.ndarray:
        """Per document: no real category reaches ``FITS_NONE_COSINE``."""
        real = sims[:, ~catch_all]
        if real.shape[1] == 0:
            return np.zeros(len(sims), dtype=bool)
        return real.max(axis=1) < FITS_NONE_COSINE
