"""``LocalClassifier``: one document at a time, or a whole batch with self-training.

``classify_batch`` adds what only a batch can give: the confident answers (plus examples)
train a model over TF-IDF fitted on the batch itself, which re-scores every document, twice.

Only the head of a document (``HEAD_CHARS``) is read: the opening carries its type, and it
keeps one ``classify`` call around a millisecond.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from docclass.classifiers.base import Classification
from docclass.classifiers.embedding.cotrain import co_train
from docclass.classifiers.linear import fit_least_squares
from docclass.classifiers.local import calibration
from docclass.classifiers.local.explain import rationale, top_terms
from docclass.classifiers.local.layout import lead, pack_layout, structure, unpack_layout
from docclass.classifiers.local.meaning import Meaning, reads_topics, shared_embedder
from docclass.classifiers.local.supervised import (
    SVM_C,
    SVM_TEMPERATURE,
    TRUSTED_PER_CLASS,
    _Supervised,
    blend,
)
from docclass.classifiers.local.tokens import _Doc, analyze
from docclass.classifiers.local.zero_shot import (
    OTHER_EVIDENCE,
    W_KEYWORDS,
    _Evidence,
    _ZeroShot,
    softmax,
)
from docclass.classifiers.tfidf import fit_counted
from docclass.detectors import DetectorResult
from docclass.taxonomy import Taxonomy

HEAD_CHARS = 2000
# The batch policy, by batch size (measured on every shared dev set with
# ``bench/classify_eval.py``: no size may do worse than one document at a time).
# From CENTRE_MIN documents, each category's median evidence over the batch is subtracted:
# a category whose words every document of this batch uses (a topic's "theory" among physics
# abstracts) stops winning everything. Below it the medians are noise. This is the meaning
# reader's: every document has some cosine to every category, and a category whose words are
# generic for the batch has a high one. The lexicon's evidence is sparse (cues and category
# words that most documents lack), its medians sit near zero, and centring them alone moved
# answers at random: 50-document batches lost 0.4 and 1.7 points on the two type sets. So the
# lexicon's batch pass starts where self-training does.
CENTRE_MIN = 50
# From SELF_TRAIN_MIN documents the batch also trains a class-balanced linear model on its
# own TF-IDF, seeded with the most confident share of each predicted class, in rounds. The
# model is a least-squares classifier (linear.fit_least_squares): one factorisation gives
# every class's model, where the examples' SVM solves one problem per class. On the four dev
# sets (lexicon on all) 3 of 1,054 answers differ from the SVM's (accuracy the same but one
# complaint), in a quarter to a third of the SVM's time (the larger part of a re-score).
SELF_TRAIN_MIN = 100
SELF_TRAIN_SHARES = (0.5, 0.7, 0.9)
SELF_TRAIN_WEIGHT = 1.0
SELF_TRAIN_C = SVM_C  # the examples' SVM's: the least-squares model was compared at it
# At most this many of the batch's documents train a round (each class keeping its share):
# the fit holds an n × n matrix (docclass.classifiers.linear), and an analyst's
# re-score may cover a job of 10,000 documents. Jobs' own batch passes stay below it.
SELF_TRAIN_ROWS = 2000
# How a rationale says why the batch pass moved an answer (after "chosen over <category>").
BY_MODEL = "by a model of this job's own most confident answers"
BY_CENTRING = "as it leans to this category more than the rest of this job does"


def _head(text: str) -> str:
    return text[:HEAD_CHARS]


def classifier_input(text: str, page_starts: Sequence[int] | None = None) -> str:
    """The head the classifier reads, with a form feed where each page starts.

    Page breaks are layout the text alone does not show: a head spanning five pages is a
    slide deck far more often than a paper (see ``layout.structure``'s ``sparse_pages``).
    """
    starts = [s for s in (page_starts or ()) if 0 < s < HEAD_CHARS]
    if not starts:
        return text[:HEAD_CHARS]
    parts, previous = [], 0
    for start in starts:
        parts.append(text[previous:start])
        previous = start
    parts.append(text[previous:HEAD_CHARS])
    return "\f".join(parts)[:HEAD_CHARS]


@dataclass
class _Read:
    """What the zero-shot readers made of documents (rows), before any batch step."""

    ev: _Evidence  # the lexicon's evidence (its keyword hits serve both readers)
    logits: np.ndarray  # per category, at the zero-shot temperature
    fits_none: np.ndarray  # per document: no real category is close
    sims: np.ndarray | None = None  # the meaning reader's cosines
    vectors: np.ndarray | None = None  # and the documents' embeddings


class LocalClassifier:
    """Offline classifier: zero-shot from the taxonomy text, supervised once examples exist.

    Two zero-shot readers: the lexicon of kinds of document (:mod:`.concepts`), and for a
    taxonomy of topics, when the optional embedding backend is installed, sentence meaning
    (:mod:`.meaning`). The rest (examples, batch steps, calibration) is shared.
    """

    name = "local"

    def __init__(
        self,
        taxonomy: Taxonomy,
        examples: Sequence[tuple[str, str]] = (),
        *,
        meaning: bool = True,
    ) -> None:
        """``meaning=False`` keeps every taxonomy with the lexicon (as without the backend)."""
        self.taxonomy = taxonomy
        self._names = taxonomy.names
        self._zero = _ZeroShot(taxonomy)
        self._meaning: Meaning | None = None
        self._embedder = (
            shared_embedder() if meaning and reads_topics(taxonomy, self._zero) else None
        )
        self._others: dict[tuple[str, ...], LocalClassifier] = {}
        self._supervised: _Supervised | None = None
        self.refit(examples)

    @property
    def reader(self) -> str:
        """Which zero-shot reader this taxonomy gets: ``lexicon`` or ``meaning``."""
        return "lexicon" if self._embedder is None else "meaning"

    @property
    def batch_min(self) -> int:
        """The smallest batch whose batch pass may change answers (see CENTRE_MIN)."""
        return CENTRE_MIN if self.reader == "meaning" else SELF_TRAIN_MIN

    @property
    def n_examples(self) -> int:
        if self._meaning is not None:
            return self._meaning.n_examples
        return 0 if self._supervised is None else len(self._supervised.labels)

    # -- fitting --

    def refit(self, examples: Sequence[tuple[str, str]]) -> None:
        """(Re)fit the supervised part on (text, category) pairs; unknown categories are ignored.

        Fits on document heads only, so a few hundred examples take a fraction of a second.
        The new model replaces the old in one assignment, so concurrent ``classify`` calls
        see either the old or the new model, never half of each.
        """
        kept = [(_head(t), c) for t, c in examples if c in self._names and t and t.strip()]
        if self._embedder is not None:
            # The meaning reader learns from examples in its own space (see .meaning); the
            # word model joins once every category has plenty: with a few corrections it
            # only echoed their words (10 suggested corrections cost complaints 7 points).
            self._meaning = Meaning(self.taxonomy, self._embedder, self._zero.catch_all, kept)
            counts = Counter(c for _, c in kept)
            if not counts or np.median(list(counts.values())) < TRUSTED_PER_CLASS:
                self._supervised = None
                return
        if not kept:
            self._supervised = None
            return
        self._supervised = _Supervised([h for h, _ in kept], [c for _, c in kept])

    # -- scoring --

    def classify(
        self,
        text: str,
        detectors: Sequence[DetectorResult] = (),
        taxonomy: Taxonomy | None = None,
    ) -> Classification:
        """Classify one document (what the runner calls as documents stream through)."""
        if taxonomy is not None and not self._same_taxonomy(taxonomy):
            return self._other_taxonomy(taxonomy).classify(text, detectors)
        head = _head(text)
        s = structure(head)
        read, docs = self._read([head], [s])
        sup = self._supervised  # one read: refit may swap it meanwhile
        sup_docs = [] if sup is None else [sup.vectorizer.one(head)]
        probs = self._scores(read.logits, sup, None if sup is None else sup.proba(sup_docs))
        found = [detectors]
        return self._results(probs, [head], [s], read, docs, sup, sup_docs, found, "single")[0]

    def _scores(
        self, logits: np.ndarray, sup: _Supervised | None, sup_probs: np.ndarray | None
    ) -> np.ndarray:
        """The readers' scores, blended with the examples' model where there is one: one
        document's answer (``classify``), and a batch's starting point (centred logits)."""
        probs = softmax(logits)
        if sup is None or sup_probs is None:
            return probs
        return blend(self._names, sup, probs, sup_probs)

    def _read(
        self,
        heads: list[str],
        structures: list[dict[str, float]],
        counts: list[Counter[str]] | None = None,
    ) -> tuple[_Read, list[_Doc]]:
        """Both readers' evidence: the lexicon's always, the meaning reader's where it reads.

        The meaning reader keeps the taxonomy's explicit keywords: a keyword an analyst wrote
        is the strongest cue there is, whichever reader scores the rest.
        """
        ev, docs = self._zero.evidence(heads, structures, counts)
        catch_all = self._zero.catch_all
        meaning = self._meaning  # one read: refit may swap it meanwhile
        if meaning is None:
            logits = ev.total(catch_all)
            real = logits[:, ~catch_all]
            fits_none = (
                real.max(axis=1) < OTHER_EVIDENCE if real.shape[1] else np.zeros(len(heads), bool)
            )
            return _Read(ev, logits, fits_none), docs
        vectors = meaning.vectors(heads)
        sims = meaning.cosines(vectors)
        logits = sims + W_KEYWORDS * ev.keywords
        fits_none = Meaning.fits_none(sims, catch_all)
        return _Read(ev, logits, fits_none, sims, vectors), docs

    def classify_batch(
        self,
        texts: Sequence[str],
        detectors: Sequence[Sequence[DetectorResult]] | None = None,
        embeddings: Sequence[bytes | None] | None = None,
        layouts: Sequence[bytes | None] | None = None,
    ) -> list[Classification]:
        """Classify a whole batch at once, using the batch itself as unlabelled data.

        What a batch may add depends on its size (see ``CENTRE_MIN`` and ``SELF_TRAIN_MIN``):
        nothing below ``batch_min`` documents; for the meaning reader the per-category
        centring of the evidence from CENTRE_MIN; centring and self-training over TF-IDF
        fitted on the batch from SELF_TRAIN_MIN on.
        The answers depend only on the batch's contents and order. ``embeddings``: the
        documents' vectors where the first answers stored them (``Classification.embedding``),
        so the meaning reader need not embed those texts again; ``layouts`` likewise, their
        layout measurements (``Classification.layout``).
        """
        detectors = detectors if detectors is not None else [() for _ in texts]
        if len(texts) < self.batch_min:
            return [self.classify(t, d) for t, d in zip(texts, detectors, strict=True)]
        heads = [_head(t) for t in texts]
        if embeddings is not None and self._embedder is not None:
            self._embedder.remember(heads, embeddings)
        stored = layouts if layouts is not None else [None] * len(heads)
        structures = [
            unpack_layout(packed) or structure(h) for h, packed in zip(heads, stored, strict=True)
        ]
        # Each head analysed and counted once, for every vectorizer below (three otherwise).
        counts = [Counter(analyze(h)) for h in heads]
        read, docs = self._read(heads, structures, counts)
        centre = np.median(read.logits, axis=0)
        centre[self._zero.catch_all] = 0.0
        sup = self._supervised
        sup_docs: list[_Doc] = []
        sup_probs = None
        if sup is not None:
            sup_docs = [sup.vectorizer.one(h, c) for h, c in zip(heads, counts, strict=True)]
            sup_probs = sup.proba(sup_docs)
        prior = self._scores(read.logits - centre, sup, sup_probs)
        alone = self._scores(read.logits, sup, sup_probs)  # each answer as classify gives it
        probs = prior
        if len(texts) >= SELF_TRAIN_MIN and read.vectors is not None:
            probs = co_train(heads, read.vectors, prior, shares=SELF_TRAIN_SHARES)
        elif len(texts) >= SELF_TRAIN_MIN:
            x, x_examples, y_examples = self._batch_features(counts, sup)
            for share in SELF_TRAIN_SHARES:
                probs = self._self_train(x, prior, probs, share, x_examples, y_examples)
        how = BY_MODEL if len(texts) >= SELF_TRAIN_MIN else BY_CENTRING
        best, first = probs.argmax(axis=1), alone.argmax(axis=1)
        notes = [
            None if b == f else f"chosen over {self._names[f]} {how}"
            for b, f in zip(best, first, strict=True)
        ]
        stage = "batch"
        return self._results(
            probs, heads, structures, read, docs, sup, sup_docs, detectors, stage, notes
        )

    def _batch_features(
        self, counts: Sequence[Counter[str]], sup: _Supervised | None
    ) -> tuple[sparse.csr_matrix, sparse.csr_matrix | None, np.ndarray]:
        """TF-IDF fitted on the batch (its heads' counted terms) plus any examples: IDF from
        the documents at hand."""
        # The examples (at most EXAMPLES_MAX) are analysed again: keeping their counts would
        # hold about 11 MiB per 900 examples in each of a process's cached classifiers.
        ex_counts = [Counter(analyze(h)) for h in sup.heads] if sup is not None else []
        x = fit_counted([*counts, *ex_counts])[0]
        n = len(counts)
        if sup is None:
            return x, None, np.zeros(0, dtype=int)
        return x[:n], x[n:], np.array([self._names.index(c) for c in sup.labels])

    def _self_train(
        self,
        x: sparse.csr_matrix,
        prior: np.ndarray,
        probs: np.ndarray,
        share: float,
        x_examples: sparse.csr_matrix | None,
        y_examples: np.ndarray,
    ) -> np.ndarray:
        """Fit on the examples and the most confident share of each predicted class, re-score.

        Classes are weighted to balance (a category the prior favours must not crowd out
        the others' few seeds); the fitted model's probabilities multiply the prior, so a
        batch sharpens the prior rather than replacing it.
        """
        pred = probs.argmax(axis=1)
        conf = probs.max(axis=1)
        ranked: list[np.ndarray] = []  # per class, its most confident share, best first
        for c in np.unique(pred):
            if self._zero.catch_all[c]:
                continue  # "other" is no coherent class to learn from
            members = np.flatnonzero(pred == c)
            if len(members) < 2:
                continue
            order = members[np.argsort(-conf[members])]
            ranked.append(order[: max(2, round(len(members) * share))])
        scale = min(1.0, SELF_TRAIN_ROWS / max(1, sum(len(r) for r in ranked)))
        chosen = [int(i) for r in ranked for i in r[: max(2, int(len(r) * scale))]]
        train_x = x[chosen]
        train_y = pred[chosen]
        if x_examples is not None and len(y_examples):
            train_x = sparse.vstack([train_x, x_examples], format="csr")
            train_y = np.concatenate([train_y, y_examples])
        classes = np.unique(train_y)
        if len(classes) < 2 or x.shape[1] == 0:
            return probs
        model = fit_least_squares(train_x, train_y, c=SELF_TRAIN_C, balanced=True)
        fitted = softmax(model.decision_function(x), SVM_TEMPERATURE)
        log_fit = np.full(prior.shape, math.log(1.0 / len(classes)))
        log_fit[:, model.classes] = np.log(np.clip(fitted, 1e-9, 1.0))
        return softmax(np.log(np.clip(prior, 1e-9, 1.0)) + SELF_TRAIN_WEIGHT * log_fit, 1.0)

    # -- explanation --

    def _results(
        self,
        probs: np.ndarray,
        heads: Sequence[str],
        structures: Sequence[dict[str, float]],
        read: _Read,
        docs: Sequence[_Doc],
        sup: _Supervised | None,
        sup_docs: Sequence[_Doc],
        detectors: Sequence[Sequence[DetectorResult]],
        stage: str,
        notes: Sequence[str | None] | None = None,
    ) -> list[Classification]:
        """The answers, with calibrated scores (see .calibration), one product for the nearest
        examples of all, then each one's rationale and meta. ``notes``: a batch's word on
        each answer it changed (see ``rationale``'s ``batch_note``)."""
        gaps = calibration.log_gaps(probs)
        shown = calibration.calibrated(probs, self.reader, stage, gaps)
        nearest = sup.nearest(sup_docs) if sup is not None and sup_docs else None
        return [
            self._result(
                int(np.argmax(probs[i])), shown[i], float(gaps[i]), heads[i], structures[i],
                read, i, docs[i], sup, sup_docs[i] if sup_docs else None,
                None if nearest is None else int(nearest[i]), detectors[i], stage,
                None if notes is None else notes[i],
            )
            for i in range(len(heads))
        ]  # fmt: skip

    def _result(
        self,
        best: int,
        probs: np.ndarray,
        gap: float,
        head: str,
        s: dict[str, float],
        read: _Read,
        row: int,
        doc: _Doc,
        sup: _Supervised | None,
        sup_doc: _Doc | None,
        nearest: int | None,
        detectors: Sequence[DetectorResult],
        stage: str,
        batch_note: str | None = None,
    ) -> Classification:
        """One answer (``probs``: its calibrated scores), its rationale and meta."""
        category = self._names[best]
        terms = top_terms(self._names, self._zero, head, best, doc, sup, sup_doc)
        first = lead(head)
        explained = ((c.explain(s, first), w) for c, w in self._zero.links[best])
        cue = max(((w * value, words) for (value, words), w in explained), default=(0.0, ""))
        meaning = None
        if read.sims is not None:
            meaning = self._closest(read.sims[row])
        why = rationale(
            category, terms, read.ev.keyword_hits[row][best], cue, head, detectors, sup, nearest,
            meaning=meaning, fits_none=bool(read.fits_none[row]), batch_note=batch_note,
        )  # fmt: skip
        return Classification(
            final_category=category,
            confidence=float(probs[best]),
            scores={n: float(p) for n, p in zip(self._names, probs, strict=True)},
            rationale=why,
            classifier=self.name,
            meta={
                "stage": stage,
                "reader": self.reader,
                "gap": round(gap, 4),
                # Where a catch-all exists it is the answer; without one, review says so.
                "fits_none": bool(read.fits_none[row]) and not self._zero.catch_all.any(),
                "examples": self.n_examples,
                "matched_terms": terms,
            },
            layout=pack_layout(s),
            embedding=(
                None
                if read.vectors is None
                else np.asarray(read.vectors[row], dtype=np.float32).tobytes()
            ),
        )

    def _closest(self, sims: np.ndarray) -> list[tuple[str, float]]:
        """The two real categories closest in meaning, with their cosines."""
        real = [i for i in np.argsort(-sims, kind="stable") if not self._zero.catch_all[i]]
        return [(self._names[i], float(sims[i])) for i in real[:2]]

    # -- other taxonomies --

    def _same_taxonomy(self, taxonomy: Taxonomy) -> bool:
        return taxonomy is self.taxonomy or (
            taxonomy.names == self._names and taxonomy.source_text == self.taxonomy.source_text
        )

    def _other_taxonomy(self, taxonomy: Taxonomy) -> LocalClassifier:
        """A zero-shot classifier for a taxonomy other than the one this was built for."""
        key = (taxonomy.source_text, *taxonomy.names)
        cached = self._others.get(key)
        if cached is None:
            cached = LocalClassifier(taxonomy)
            if len(self._others) >= 8:
                self._others.clear()
            self._others[key] = cached
        return cached
