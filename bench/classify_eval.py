"""Accuracy and calibration of the offline classifier on every labelled development set.

For each set of ``../shared/eval`` (see :mod:`evalsets`) prints: single-document and
whole-job accuracy and macro-F1, both halves of a split by source (constants may be tuned on
half A only; B is held out), per-category accuracy, expected calibration error (ECE, 10 bins),
the share of all errors found among the 20% least-confident answers, the ``other`` decision
(recall, and how many documents of real categories it swallows), a batch-size table
(25/50/100/200/all, mean over disjoint batches of a seeded shuffle), the classifier's time,
a supervised reference (the batch model's own features and logistic regression, trained on the
true labels by 10-fold cross-validation: how far these features can go with every label given,
where the job has none), and learning from corrections: after the job, ``CORRECTIONS``
documents are corrected (the ones suggested, or as many drawn at random) and the job is
re-scored; it prints the accuracy on the other documents before and after, and the
re-scoring time.

A "job" answer is what a job's finishing step gives: ``classify_batch`` over the job's
documents, which applies the batch-size policy itself. Run from the repository root:
``python bench/classify_eval.py [--sets doctype-dev2 arxiv-areas] [--no-sizes]``.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from docclass.jobs.processes import THREAD_ENV  # noqa: E402

# Timed as the product runs it: in a reader process, with one BLAS thread (two threads on
# two cores made the batch pass's thin matrix products slower, not faster).
for _name in THREAD_ENV:
    os.environ.setdefault(_name, "1")

import numpy as np  # noqa: E402
from evalsets import SETS, EvalDoc, load_set  # noqa: E402
from sklearn.metrics import f1_score  # noqa: E402
from sklearn.model_selection import StratifiedKFold  # noqa: E402

from docclass.classifiers.base import Classification  # noqa: E402
from docclass.classifiers.embedding.cotrain import C as BATCH_C  # noqa: E402
from docclass.classifiers.embedding.cotrain import batch_features  # noqa: E402
from docclass.classifiers.linear import fit_logistic  # noqa: E402
from docclass.classifiers.local import LocalClassifier  # noqa: E402
from docclass.classifiers.local.suggest import features, worth_correcting  # noqa: E402
from docclass.settings import load_settings  # noqa: E402
from docclass.taxonomy import Taxonomy  # noqa: E402

SIZES = (25, 50, 100, 200)
CORRECTIONS = 10


def accuracy(docs: Sequence[EvalDoc], results: Sequence[Classification]) -> float:
    if not docs:
        return float("nan")
    return sum(r.final_category == d.label for d, r in zip(docs, results, strict=True)) / len(docs)


def macro_f1(docs: Sequence[EvalDoc], results: Sequence[Classification]) -> float:
    labels = sorted({d.label for d in docs})
    return float(
        f1_score(
            [d.label for d in docs],
            [r.final_category for r in results],
            labels=labels,
            average="macro",
            zero_division=0,
        )
    )


def ece(docs: Sequence[EvalDoc], results: Sequence[Classification], bins: int = 10) -> float:
    """Expected calibration error: |accuracy − confidence| per confidence bin, weighted."""
    conf = np.array([r.confidence for r in results])
    right = np.array([r.final_category == d.label for d, r in zip(docs, results, strict=True)])
    edges = np.linspace(0.0, 1.0, bins + 1)
    index = np.clip(np.digitize(conf, edges[1:-1]), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        members = index == b
        if members.any():
            total += members.sum() * abs(right[members].mean() - conf[members].mean())
    return float(total / len(conf))


def error_share(confidence: np.ndarray, wrong: np.ndarray) -> float:
    """Share of all errors among the 20% least-confident answers (random: 20%)."""
    if not wrong.any():
        return float("nan")
    order = np.argsort(confidence, kind="stable")
    return float(wrong[order][: max(1, round(0.2 * len(order)))].sum() / wrong.sum())


def low_share(docs: Sequence[EvalDoc], results: Sequence[Classification]) -> float:
    return error_share(
        np.array([r.confidence for r in results]),
        np.array([r.final_category != d.label for d, r in zip(docs, results, strict=True)]),
    )


def below(docs: Sequence[EvalDoc], results: Sequence[Classification], threshold: float) -> str:
    """What a confidence threshold sets apart: its share of the answers, how many of those
    are wrong, and the share of all errors it catches."""
    low = [r.confidence < threshold for r in results]
    wrong = [r.final_category != d.label for d, r in zip(docs, results, strict=True)]
    n_low = sum(low)
    low_wrong = sum(lo and w for lo, w in zip(low, wrong, strict=True))
    return (
        f"{100 * n_low / len(results):.0f}% of answers ({100 * low_wrong / max(1, n_low):.0f}% "
        f"of them wrong, {100 * low_wrong / max(1, sum(wrong)):.0f}% of all errors)"
    )


def per_category(docs: Sequence[EvalDoc], results: Sequence[Classification]) -> str:
    hits: dict[str, list[bool]] = defaultdict(list)
    for d, r in zip(docs, results, strict=True):
        hits[d.label].append(r.final_category == d.label)
    return ", ".join(f"{k} {100 * sum(v) / len(v):.0f}" for k, v in sorted(hits.items()))


def other_line(docs: Sequence[EvalDoc], results: Sequence[Classification]) -> str | None:
    if not any(d.label == "other" for d in docs):
        return None
    others = [(d, r) for d, r in zip(docs, results, strict=True) if d.label == "other"]
    real = [(d, r) for d, r in zip(docs, results, strict=True) if d.label != "other"]
    recall = sum(r.final_category == "other" for _, r in others) / len(others)
    swallowed = sum(r.final_category == "other" for _, r in real) / len(real)
    return f"other: recall {100 * recall:.0f}%, real documents sent to other {100 * swallowed:.1f}%"


def confusions(docs: Sequence[EvalDoc], results: Sequence[Classification], n: int = 8) -> str:
    pairs = Counter(
        (d.label, r.final_category)
        for d, r in zip(docs, results, strict=True)
        if r.final_category != d.label
    )
    return ", ".join(f"{t}→{p} ×{c}" for (t, p), c in pairs.most_common(n)) or "none"


def halves(docs: Sequence[EvalDoc], results: Sequence[Classification]) -> str:
    cells = []
    for half in ("A", "B"):
        pairs = [(d, r) for d, r in zip(docs, results, strict=True) if d.half == half]
        cells.append(f"{half} {100 * accuracy([p[0] for p in pairs], [p[1] for p in pairs]):.1f}")
    return " / ".join(cells)


def job(
    clf: LocalClassifier, docs: Sequence[EvalDoc], first: Sequence[Classification]
) -> list[Classification]:
    """The batch pass as a job runs it: with what the first answers (``first``) stored."""
    return clf.classify_batch(
        [d.text for d in docs],
        [d.detectors for d in docs],
        [r.embedding for r in first],
        [r.layout for r in first],
    )


def batch_sizes(
    clf: LocalClassifier, docs: Sequence[EvalDoc], first: Sequence[Classification]
) -> str:
    shuffled = list(range(len(docs)))
    random.Random(0).shuffle(shuffled)
    cells = []
    for size in SIZES:
        if size >= len(docs):
            continue
        chunks = [shuffled[i : i + size] for i in range(0, len(shuffled) - size + 1, size)]
        results = [
            r
            for chunk in chunks
            for r in job(clf, [docs[i] for i in chunk], [first[i] for i in chunk])
        ]
        flat = [docs[i] for chunk in chunks for i in chunk]
        cells.append(f"{size}: {100 * accuracy(flat, results):.1f}")
    return " | ".join(cells)


def learning(docs: Sequence[EvalDoc], results: Sequence[Classification], taxonomy: Taxonomy) -> str:
    """Accuracy on the uncorrected documents after CORRECTIONS corrections and a re-score
    (the job's batch pass again, its classifier rebuilt with the corrections as examples)."""
    names = taxonomy.names
    truth = [d.label for d in docs]
    prior = np.array([[r.scores[n] for n in names] for r in results])
    t0 = time.perf_counter()
    picks = {"suggested": worth_correcting(features([d.text for d in docs]), prior, k=CORRECTIONS)}
    t_suggest = time.perf_counter() - t0
    picks["random"] = random.Random(0).sample(range(len(docs)), CORRECTIONS)
    cells = []
    for title, rows in picks.items():
        t0 = time.perf_counter()
        clf = LocalClassifier(taxonomy, [(docs[i].text, truth[i]) for i in rows])
        again = job(clf, docs, results)
        seconds = time.perf_counter() - t0
        rest = [i for i in range(len(docs)) if i not in set(rows)]
        was = np.mean([results[i].final_category == truth[i] for i in rest])
        now = np.mean([again[i].final_category == truth[i] for i in rest])
        wrong = np.mean([results[i].final_category != truth[i] for i in rows])
        cells.append(
            f"{title} ({100 * wrong:.0f}% of them wrong): {100 * was:.1f} → {100 * now:.1f}% "
            f"(re-score {1000 * seconds / len(docs):.2f} s per 1,000)"
        )
    return (
        f"{CORRECTIONS} corrections, the others' accuracy: "
        + " | ".join(cells)
        + f"; suggesting took {1000 * t_suggest / len(docs):.2f} s per 1,000"
    )


def supervised(docs: Sequence[EvalDoc], results: Sequence[Classification]) -> str:
    """The co-training's features and model ([batch TF-IDF | embedding], class-balanced
    logistic regression) fitted on the true labels, 10-fold: an upper reference for what a
    job's self-training, which sees no label, can reach from the same features. A taxonomy
    read by the lexicon has no vectors: the words alone, which shows what its built-in
    knowledge of document kinds adds over labels."""
    y = np.array([d.label for d in docs])
    vectors = [r.embedding for r in results]
    dense = None
    if all(v is not None for v in vectors):
        dense = np.vstack([np.frombuffer(v, dtype=np.float32) for v in vectors if v is not None])
    x = batch_features([d.text for d in docs], dense)
    folds = min(10, int(min(Counter(y.tolist()).values())))
    if folds < 2:
        return "supervised reference: a category has a single document"
    classes = np.unique(y)
    probs = np.zeros((len(docs), len(classes)))
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=0).split(x, y):
        model = fit_logistic(x[train], y[train], c=BATCH_C, balanced=True, max_iter=2000)
        probs[np.ix_(test, np.searchsorted(classes, model.classes))] = model.predict_proba(x[test])
    wrong = classes[probs.argmax(axis=1)] != y
    low = error_share(probs.max(axis=1), wrong)
    view = "TF-IDF and embeddings" if dense is not None else "TF-IDF alone"
    return (
        f"supervised reference ({view}, true labels, {folds}-fold): accuracy "
        f"{100 * (1 - wrong.mean()):.1f}%, errors in least-confident 20%: {100 * low:.0f}%"
    )


def report(name: str, sizes: bool) -> dict[str, float]:
    docs, taxonomy = load_set(name)
    clf = LocalClassifier(taxonomy)
    t0 = time.perf_counter()
    single = [clf.classify(d.text, d.detectors) for d in docs]
    t_single = time.perf_counter() - t0
    t0 = time.perf_counter()
    whole = job(clf, docs, single)
    t_job = time.perf_counter() - t0
    print(f"\n== {name}: {len(docs)} documents, {len(taxonomy.names)} categories ==")
    for title, results in (("single", single), ("job", whole)):
        print(
            f"{title:<6}: accuracy {100 * accuracy(docs, results):5.1f}% "
            f"(halves {halves(docs, results)}), macro-F1 {macro_f1(docs, results):.3f}, "
            f"ECE {ece(docs, results):.3f}, errors in least-confident 20%: "
            f"{100 * low_share(docs, results):.0f}%"
        )
    settings = load_settings()
    for title, results in (("single", single), ("job", whole)):
        print(
            f"{title:<6}: under the review threshold ({settings.review_threshold}) "
            f"{below(docs, results, settings.review_threshold)}; under the cascade's "
            f"({settings.cascade_threshold}) {below(docs, results, settings.cascade_threshold)}"
        )
    print(f"per category (job): {per_category(docs, whole)}")
    line = other_line(docs, whole)
    if line:
        print(line + f" (single: {other_line(docs, single)})")
    print(f"confusions (job): {confusions(docs, whole)}")
    print(supervised(docs, single))
    print(learning(docs, whole, taxonomy))
    if sizes:
        print(f"batch sizes (job accuracy): {batch_sizes(clf, docs, single)} | all: "
              f"{100 * accuracy(docs, whole):.1f}")  # fmt: skip
    print(
        f"time: classify {1000 * t_single / len(docs):.2f} ms/doc; "
        f"job pass {1000 * t_job / len(docs):.2f} ms/doc "
        f"({1000 * t_job / len(docs):.2f} s per 1,000)"
    )
    return {"single": accuracy(docs, single), "job": accuracy(docs, whole)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="+", default=list(SETS), choices=SETS)
    parser.add_argument("--no-sizes", action="store_true", help="skip the batch-size table")
    args = parser.parse_args()
    summary = {name: report(name, not args.no_sizes) for name in args.sets}
    print("\n== summary (accuracy %: single / job) ==")
    for name, row in summary.items():
        print(f"{name:<20} {100 * row['single']:5.1f} / {100 * row['job']:5.1f}")


if __name__ == "__main__":
    main()
