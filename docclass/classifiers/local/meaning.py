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
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from docclass.classifiers.embedding.model import Embedder, EmbeddingUnavailable, load_embedder
from docclass.classifiers.embedding.zero_shot import category_vectors, cosines
from docclass.classifiers.local.zero_shot import _ZeroShot
from docclass.taxonomy import Taxonomy

log = logging.getLogger(__name__)

# "None of these": a document whose best cosine to every category stays below this fits none
# of them. Measured across the two topic taxonomies (``bench/classify_eval.py`` prints the
# share of the other sets' documents this flags): 1–5% of a taxonomy's own documents fall
# below it, and about half of unrelated documents (other sets' documents) do; the rest of
# those are caught by the review flag's low confidence.
FITS_NONE_COSINE = 0.12
# A catch-all category ("other") has no meaning of its own to embed: it scores this floor.
CATCH_ALL_COSINE = FITS_NONE_COSINE
# Document vectors a process keeps (1.5 kB each), see CachedEmbedder.
VECTOR_CACHE = 20_000
# Weight of a document's cosine to a category's examples (their centred prototype) next to
# its cosine to the category's words; fixed from 0.2 and 0.4, which measured alike.
EXAMPLE_WEIGHT = 0.3


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


class CachedEmbedder:
    """The model with a bounded memory of the vectors it made, shared by a process's classifiers.

    A job's batch pass, and a re-score after corrections (a new classifier), read the same
    documents the job's first answers did: they reuse those vectors instead of embedding
    again. The same text always gives the same vector, cached or not.
    """

    def __init__(self, embedder: Embedder, size: int = VECTOR_CACHE) -> None:
        self._embedder = embedder
        self._size = size
        self._cache: OrderedDict[bytes, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def dim(self) -> int:
        return self._embedder.dim

    @staticmethod
    def _key(text: str) -> bytes:
        return hashlib.blake2b(text.encode("utf-8", "replace"), digest_size=16).digest()

    def remember(self, texts: Sequence[str], vectors: Sequence[bytes | None]) -> None:
        """Vectors made elsewhere (another reader process, stored with the document) for
        these texts: the next ``embed`` of them finds them instead of running the model."""
        known = [
            (self._key(t), np.frombuffer(v, dtype=np.float32))
            for t, v in zip(texts, vectors, strict=True)
            if v is not None and len(v) == 4 * self.dim
        ]
        with self._lock:
            for key, vector in known:
                self._cache[key] = vector
                self._cache.move_to_end(key)
            while len(self._cache) > self._size:
                self._cache.popitem(last=False)

    def embed(self, texts: list[str]) -> np.ndarray:
        keys = [self._key(t) for t in texts]
        with self._lock:
            found = {k: self._cache[k] for k in keys if k in self._cache}
        missing = list(dict.fromkeys(k for k in keys if k not in found))
        if missing:
            text_of = dict(zip(keys, texts, strict=True))
            fresh = self._embedder.embed([text_of[k] for k in missing])
            found.update(zip(missing, fresh, strict=True))
            with self._lock:
                for k, v in zip(missing, fresh, strict=True):
                    self._cache[k] = v
                while len(self._cache) > self._size:
                    self._cache.popitem(last=False)
        if not keys:
            return np.zeros((0, self.dim), np.float32)
        return np.vstack([found[k] for k in keys])


@lru_cache(maxsize=1)
def shared_embedder() -> CachedEmbedder | None:
    """This process's model, or None when the optional backend is not installed (said once)."""
    try:
        return CachedEmbedder(load_embedder())
    except EmbeddingUnavailable as exc:
        log.warning("topic taxonomies are read by the lexicon only: %s", exc)
        return None


class Meaning:
    """A taxonomy's categories as embedded sentences, and documents' cosines to them.

    Examples (example folders, analysts' corrections) teach in the same space: each category
    with examples gets a prototype, the mean of its examples' vectors, and a document's
    cosine to it is added to its cosine to the category's own words. Vectors are centred on
    the examples' mean first, so that what every document shares (being a complaint, being
    an abstract) does not make the categories with examples closer to everything. Measured
    on the topic sets with 10–40 corrections: +1–5 points on complaints, +3–10 on arXiv
    areas, where the word-count model the lexicon uses lost up to 17 points.
    """

    def __init__(
        self,
        taxonomy: Taxonomy,
        embedder: CachedEmbedder,
        catch_all: np.ndarray,
        examples: Sequence[tuple[str, str]] = (),
    ) -> None:
        self._embedder = embedder
        self._categories = category_vectors(embedder, taxonomy, "joined")
        self._catch_all = catch_all
        self.n_examples = 0
        self._prototypes: np.ndarray | None = None  # categories × dim, zero rows: no examples
        self._weights = np.zeros(len(taxonomy.names))
        self._centre = np.zeros(embedder.dim)
        names = taxonomy.names
        kept = [(t, names.index(c)) for t, c in examples if c in names and t and t.strip()]
        if kept:
            vectors = embedder.embed([t for t, _ in kept]).astype(np.float64)
            labels = np.array([c for _, c in kept])
            self._centre = vectors.mean(axis=0)
            prototypes = np.zeros((len(names), embedder.dim))
            for c in np.unique(labels):
                members = labels == c
                mean = vectors[members].mean(axis=0) - self._centre
                norm = float(np.linalg.norm(mean))
                if norm > 0:
                    prototypes[c] = mean / norm
                    self._weights[c] = members.sum() / (members.sum() + 1)
            self._prototypes = prototypes
            self.n_examples = len(kept)

    def vectors(self, heads: list[str]) -> np.ndarray:
        return self._embedder.embed(heads)

    def cosines(self, vectors: np.ndarray) -> np.ndarray:
        """Cosines per document and category (plus the examples' pull, where there are any);
        catch-all categories score the fixed floor."""
        sims = cosines(vectors, self._categories)
        if self._prototypes is not None:
            centred = np.asarray(vectors, dtype=np.float64) - self._centre
            centred /= np.maximum(np.linalg.norm(centred, axis=1, keepdims=True), 1e-12)
            pull = np.vstack([self._prototypes @ row for row in centred])  # row by row: stable
            sims = sims + EXAMPLE_WEIGHT * self._weights * pull
        sims[:, self._catch_all] = CATCH_ALL_COSINE
        return sims

    @staticmethod
    def fits_none(sims: np.ndarray, catch_all: np.ndarray) -> np.ndarray:
        """Per document: no real category reaches ``FITS_NONE_COSINE``."""
        real = sims[:, ~catch_all]
        if real.shape[1] == 0:
            return np.zeros(len(sims), dtype=bool)
        return real.max(axis=1) < FITS_NONE_COSINE
