"""The optional embedding backend against the offline classifier, on every shared dev set.

For each set (``topics-dev/consumer-complaints``, ``topics-dev/arxiv-areas`` with their own
taxonomy; ``doctype-dev2`` and ``doctype-dev`` with the default one) it prints accuracy,
macro-F1 and the share of errors among the 20% least-confident answers of:

* ``local``: today's offline classifier, one document at a time (``classify``) and as one
  batch (``classify_batch``);
* ``emb``: embedding zero-shot, one document at a time (cosine to each category's
  name + description + keywords, ``joined`` or ``parts``);
* ``mix``: the mean of the ``local`` and ``emb`` probabilities, one document at a time;
* ``cotrain``: self-training over the whole set on [word TF-IDF | embedding], seeded from
  ``emb``, ``local`` or ``mix`` (and TF-IDF alone seeded from ``emb``);

then per-category accuracy, co-training on random batches of 50 and 100 documents, and the
speed (docs/s with 1 and 2 onnxruntime threads on 2 cores) and memory (RSS) of the model in
a fresh process. Nothing here was tuned on these sets: the temperature, the round shares and
the prompt styles were fixed before the first run, and every variant tried is printed.
Run as ``python bench/embedding_eval.py`` from the repository root (``--help`` for options).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from sklearn.metrics import f1_score  # noqa: E402

from bench.embedding_sets import EvalSet, cached_vectors, load_set  # noqa: E402
from docclass.classifiers.embedding import Embedder, softmax, zero_shot_scores  # noqa: E402
from docclass.classifiers.embedding.cotrain import co_train, margins  # noqa: E402
from docclass.classifiers.embedding.model import MAX_TOKENS, WINDOWS  # noqa: E402
from docclass.classifiers.local import LocalClassifier  # noqa: E402
from docclass.detectors import run_detectors  # noqa: E402
from docclass.taxonomy import load_taxonomy  # noqa: E402

EVAL = ROOT.parent / "shared" / "eval"
SETS = (
    "topics-dev/consumer-complaints",
    "topics-dev/arxiv-areas",
    "doctype-dev2",
    "doctype-dev",
)
TEMPERATURE = 0.05  # cosines to categories differ by hundredths
BATCH_SIZES = (50, 100)
BATCH_DRAWS = 3


# --- metrics ------------------------------------------------------------------------------


def accuracy(labels: Sequence[str], predicted: Sequence[str]) -> float:
    return float(np.mean([a == b for a, b in zip(labels, predicted, strict=True)]))


def macro_f1(labels: Sequence[str], predicted: Sequence[str]) -> float:
    return float(
        f1_score(labels, predicted, labels=sorted(set(labels)), average="macro", zero_division=0)
    )


def low_share(labels: Sequence[str], predicted: Sequence[str], confidence: np.ndarray) -> float:
    """Share of all errors found among the 20% least-confident answers (random: 20%)."""
    wrong = np.array([a != b for a, b in zip(labels, predicted, strict=True)])
    if not wrong.any():
        return float("nan")
    order = np.argsort(confidence, kind="stable")[: max(1, round(0.2 * len(wrong)))]
    return float(wrong[order].sum() / wrong.sum())


class Run:
    """One method's answers on one set: labels, probabilities (or a confidence)."""

    def __init__(self, names: list[str], probs: np.ndarray, confidence: np.ndarray | None = None):
        self.predicted = [names[i] for i in probs.argmax(axis=1)]
        self.probs = probs
        self.confidence = margins(probs) if confidence is None else confidence


def row(title: str, labels: list[str], run: Run) -> str:
    acc, f1 = accuracy(labels, run.predicted), macro_f1(labels, run.predicted)
    low = low_share(labels, run.predicted, run.confidence)
    return (
        f"  {title:<34} {100 * acc:5.1f}%  F1 {f1:.3f}  errors in least-sure 20%: {100 * low:3.0f}%"
    )


# --- methods ------------------------------------------------------------------------------


def local_runs(data: EvalSet) -> tuple[Run, Run]:
    names = data.taxonomy.names
    clf = LocalClassifier(data.taxonomy)
    keywords = data.taxonomy.keywords()
    detectors = [run_detectors(d.text, keywords) for d in data.docs]
    texts = [d.text for d in data.docs]
    one = [clf.classify(t, det) for t, det in zip(texts, detectors, strict=True)]
    whole = clf.classify_batch(texts, detectors)

    def as_run(results: list) -> Run:
        probs = np.array([[r.scores.get(n, 0.0) for n in names] for r in results])
        return Run(names, probs, np.array([r.confidence for r in results]))

    return as_run(one), as_run(whole)


def per_category(labels: list[str], runs: dict[str, Run], names: list[str]) -> None:
    print("  per category (n): " + " | ".join(runs))
    for name in names:
        rows = [i for i, label in enumerate(labels) if label == name]
        if not rows:
            continue
        cells = [
            f"{100 * np.mean([run.predicted[i] == name for i in rows]):5.0f}%"
            for run in runs.values()
        ]
        print(f"    {name:<22} ({len(rows):>3}) " + " ".join(cells))


def batches(
    texts: list[str], vectors: np.ndarray, seeds: dict[str, np.ndarray], labels: list[str],
    names: list[str],
) -> None:  # fmt: skip
    """Co-training on random batches of fixed size (the rest of the set as smaller last batch)."""
    for size in BATCH_SIZES:
        if size >= len(texts):
            continue
        cells = []
        for title, seed in seeds.items():
            accs = []
            for draw in range(BATCH_DRAWS):
                order = list(range(len(texts)))
                random.Random(draw).shuffle(order)
                probs = np.zeros_like(seed)
                for start in range(0, len(order), size):
                    part = order[start : start + size]
                    probs[part] = co_train([texts[i] for i in part], vectors[part], seed[part])
                accs.append(accuracy(labels, [names[i] for i in probs.argmax(axis=1)]))
            cells.append(f"{title} {100 * np.mean(accs):5.1f}±{100 * np.std(accs):.1f}%")
        print(f"  cotrain on batches of {size:>3} ({BATCH_DRAWS} shuffles): " + " | ".join(cells))


def evaluate(data: EvalSet, embedder: Embedder, settings: str) -> dict[str, float]:
    names = data.taxonomy.names
    labels = [d.label for d in data.docs]
    texts = [d.text for d in data.docs]
    sources = len({d.source for d in data.docs})
    print(f"\n== {data.name}: {len(texts)} documents, {len(names)} categories, {sources} sources")
    t0 = time.perf_counter()
    local_one, local_batch = local_runs(data)
    t_local = time.perf_counter() - t0
    t0 = time.perf_counter()
    vectors = cached_vectors(texts, settings, embedder.embed)
    t_embed = time.perf_counter() - t0
    runs: dict[str, Run] = {"local classify": local_one, "local classify_batch": local_batch}
    for style in ("joined", "parts"):
        scores = zero_shot_scores(embedder, texts, data.taxonomy, style=style, doc_vectors=vectors)
        runs[f"emb zero-shot ({style})"] = Run(names, softmax(scores, TEMPERATURE))
    emb = runs["emb zero-shot (joined)"].probs
    mix = (emb + local_one.probs) / 2
    runs["mix local+emb (per doc)"] = Run(names, mix)
    seeds = {"emb": emb, "local": local_one.probs, "mix": mix}
    for title, seed in seeds.items():
        runs[f"cotrain tfidf+emb, seed {title}"] = Run(names, co_train(texts, vectors, seed))
    runs["cotrain tfidf only, seed emb"] = Run(names, co_train(texts, None, emb))
    for title, run in runs.items():
        print(row(title, labels, run))
    print(f"  (local: {t_local:.1f} s for both passes; embeddings: {t_embed:.1f} s, cached or not)")
    shown = ("local classify", "emb zero-shot (joined)", "mix local+emb (per doc)")
    shown += ("cotrain tfidf+emb, seed emb", "cotrain tfidf+emb, seed mix")
    per_category(labels, {k: runs[k] for k in shown}, names)
    if data.name == "doctype-dev2":
        by_source(data, {k: runs[k] for k in shown})
    batches(texts, vectors, {"seed emb": emb, "seed mix": mix}, labels, names)
    return {k: accuracy(labels, r.predicted) for k, r in runs.items()}


def by_source(data: EvalSet, runs: dict[str, Run]) -> None:
    """Accuracy averaged over source repositories (each source weighs the same)."""
    groups: dict[str, list[int]] = {}
    for i, d in enumerate(data.docs):
        groups.setdefault(d.source, []).append(i)
    cells = []
    for title, run in runs.items():
        per = [
            np.mean([run.predicted[i] == data.docs[i].label for i in g]) for g in groups.values()
        ]
        cells.append(f"{title} {100 * np.mean(per):.1f}%")
    print(f"  mean over {len(groups)} sources: " + " | ".join(cells))


# --- speed and memory ---------------------------------------------------------------------


def speed(sample: list[str], args: argparse.Namespace) -> None:
    chars = int(np.mean([len(t) for t in sample]))
    print(f"\n== speed and memory ({len(sample)} documents, mean {chars} characters) ==")
    print(f"   load average now: {os.getloadavg()[0]:.2f} (2 cores shared with other work:")
    print("   wall-clock docs/s drop under load; docs per CPU-second of 1 thread do not)")
    clf = LocalClassifier(load_taxonomy("default"))
    t0, cpu0 = time.perf_counter(), time.process_time()
    for text in sample:
        clf.classify(text)
    rate = len(sample) / (time.perf_counter() - t0)
    per_cpu = len(sample) / (time.process_time() - cpu0)
    print(f"   local classify (no detectors): {rate:6.1f} docs/s ({per_cpu:5.1f} per CPU-second)")
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump(sample, fh)
    try:
        for threads in (1, 2):
            for max_tokens, windows in ((args.max_tokens, args.windows), (256, 1), (256, 4)):
                probe = [sys.executable, __file__, "--probe", fh.name, "--threads", str(threads)]
                probe += ["--max-tokens", str(max_tokens), "--windows", str(windows)]
                out = subprocess.run(probe, capture_output=True, text=True, check=True).stdout
                print("   " + out.strip())
    finally:
        os.unlink(fh.name)


def _rss_mb(field: str = "VmRSS") -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def probe(path: str, args: argparse.Namespace) -> None:
    """In a fresh process: RSS of the loaded model and its docs/s on the sample."""
    texts = json.loads(Path(path).read_text("utf-8"))
    before = _rss_mb()
    t0 = time.perf_counter()
    embedder = Embedder(max_tokens=args.max_tokens, windows=args.windows, threads=args.threads)
    load = time.perf_counter() - t0
    loaded = _rss_mb()
    embedder.embed(texts[:2])
    t0, cpu0 = time.perf_counter(), time.process_time()
    embedder.embed(texts)
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    print(
        f"threads {args.threads}, {args.max_tokens} tokens x {args.windows} window(s): "
        f"{len(texts) / elapsed:6.1f} docs/s ({len(texts) / cpu:5.1f} per CPU-second); "
        f"load {load:.2f} s (sha256 checks included); "
        f"RSS +{loaded - before:.0f} MB loaded, peak {_rss_mb('VmHWM') - before:.0f} MB "
        f"above the {before:.0f} MB before loading"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval", type=Path, default=EVAL, help="folder of the shared sets")
    parser.add_argument("--sets", nargs="*", default=list(SETS))
    parser.add_argument("--max-tokens", type=int, default=MAX_TOKENS)
    parser.add_argument("--windows", type=int, default=WINDOWS)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--speed-docs", type=int, default=100, help="0: skip speed and memory")
    parser.add_argument("--probe", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.probe:
        probe(args.probe, args)
        return
    embedder = Embedder(max_tokens=args.max_tokens, windows=args.windows, threads=args.threads)
    settings = f"{embedder.info.model_id}:{args.max_tokens}:{args.windows}"
    print(f"model {settings} (tokens per window : windows), temperature {TEMPERATURE}")
    summary: dict[str, dict[str, float]] = {}
    sample: list[str] = []
    for name in args.sets:
        data = load_set(args.eval, name)
        summary[name] = evaluate(data, embedder, settings)
        step = max(1, len(data.docs) // max(1, args.speed_docs // len(args.sets)))
        sample += [d.text for d in data.docs[::step]][: args.speed_docs // len(args.sets)]
    print("\n== summary: accuracy per set ==")
    methods = list(next(iter(summary.values())))
    short = [n.split("/")[-1][:14] for n in summary]
    print(f"  {'':<34} " + " ".join(f"{s:>14}" for s in short))
    for method in methods:
        cells = " ".join(f"{100 * summary[n][method]:13.1f}%" for n in summary)
        print(f"  {method:<34} {cells}")
    if args.speed_docs:
        speed(sample, args)


if __name__ == "__main__":
    main()
