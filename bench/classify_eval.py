"""Accuracy, confidence ranking and speed of the ``local`` classifier on real documents.

Reads the labelled development set ``../shared/eval/doctype-dev/<category>/*.txt`` (240
documents, 40 each of six types; never copied into the repository) and prints:

* zero-shot accuracy and macro-F1 with the default taxonomy (16 categories), one document at
  a time (``classify``) and as one batch (``classify_batch``);
* the same with a six-category taxonomy written here with generic descriptions, and with the
  default taxonomy stripped of its keywords (names and descriptions only: how a hastily
  written user taxonomy fares);
* accuracy with k examples per category, over 10 random draws of the examples, scored on the
  remaining documents (mean ± sd);
* whether confidence ranks errors: the error rate among the 20% least confident answers
  against the overall error rate;
* speed of the classifier alone (detectors are run beforehand, as the runner does).

The classifier's constants were tuned on half A (even-numbered files) only; every number is
also printed for half B (odd-numbered files), which played no part in tuning. Run as
``python bench/classify_eval.py`` from the repository root.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sklearn.metrics import f1_score  # noqa: E402

from docclass.classifiers import local  # noqa: E402
from docclass.classifiers.base import Classification  # noqa: E402
from docclass.classifiers.local import LocalClassifier  # noqa: E402
from docclass.classifiers.local import classifier as local_classifier  # noqa: E402
from docclass.detectors import DetectorResult, run_detectors  # noqa: E402
from docclass.taxonomy import Taxonomy, load_taxonomy, parse_taxonomy  # noqa: E402

DATA = ROOT.parent / "shared" / "eval" / "doctype-dev"
FOLDER_TO_CATEGORY = {"news_article": "news article", "scientific_paper": "scientific paper"}

# The six types of the development set, described the way a user might: one generic sentence
# each and a few obvious keywords, nothing taken from the documents.
SIX_TOML = """
name = "six-types"

[[category]]
name = "contract"
description = "A legal agreement between two or more parties setting out obligations, terms and conditions."
keywords = ["agreement", "party", "shall", "terms"]

[[category]]
name = "email"
description = "An email message between people, with a sender, recipients, a subject and a conversational body."
keywords = ["subject", "from", "thanks"]

[[category]]
name = "news article"
description = "A journalistic news story reporting recent events for the general public."
keywords = ["said", "reported"]

[[category]]
name = "receipt"
description = "A proof of purchase from a shop listing the items bought, their prices, tax and the total paid."
keywords = ["total", "cash", "receipt"]

[[category]]
name = "resume"
description = "A curriculum vitae describing a person's work experience, education and skills."
keywords = ["experience", "education", "skills"]

[[category]]
name = "scientific paper"
description = "A scholarly research paper or abstract presenting a method, experiments and results."
keywords = ["we propose", "results", "method"]
"""  # noqa: E501


@dataclass(frozen=True)
class Doc:
    text: str
    label: str
    path: str
    half: str  # "A" (tuning) or "B" (held out)
    detectors: tuple[DetectorResult, ...]


def load(data: Path, taxonomy: Taxonomy) -> list[Doc]:
    keywords = taxonomy.keywords()
    docs = []
    for path in sorted(data.glob("*/*.txt")):
        text = path.read_text("utf-8", errors="replace")
        label = FOLDER_TO_CATEGORY.get(path.parent.name, path.parent.name)
        half = "A" if int(path.stem) % 2 == 0 else "B"
        found = tuple(run_detectors(text, keywords))
        docs.append(Doc(text, label, f"{path.parent.name}/{path.name}", half, found))
    return docs


def strip_keywords(taxonomy: Taxonomy) -> Taxonomy:
    categories = tuple(replace(c, keywords=()) for c in taxonomy.categories)
    return replace(taxonomy, categories=categories, source_text=taxonomy.source_text + "\n#")


# --- metrics -----------------------------------------------------------------------------


def accuracy(docs: Sequence[Doc], results: Sequence[Classification]) -> float:
    return sum(r.final_category == d.label for d, r in zip(docs, results, strict=True)) / len(docs)


def macro_f1(docs: Sequence[Doc], results: Sequence[Classification]) -> float:
    """Macro-F1 over the true categories (answers in any other category count as misses)."""
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


def low_confidence(docs: Sequence[Doc], results: Sequence[Classification], share: float = 0.2):
    """(overall error rate, error rate in the least-confident share, share of errors there)."""
    pairs = sorted(zip(results, docs, strict=True), key=lambda p: p[0].confidence)
    wrong = [r.final_category != d.label for r, d in pairs]
    n_low = max(1, round(len(pairs) * share))
    errors = sum(wrong)
    return (
        errors / len(wrong),
        sum(wrong[:n_low]) / n_low,
        (sum(wrong[:n_low]) / errors) if errors else float("nan"),
    )


def halves(docs: Sequence[Doc], results: Sequence[Classification]) -> str:
    parts = []
    for name, keep in (("all", None), ("A tune", "A"), ("B held-out", "B")):
        pairs = [(d, r) for d, r in zip(docs, results, strict=True) if keep in (None, d.half)]
        ds, rs = [p[0] for p in pairs], [p[1] for p in pairs]
        parts.append(f"{name} {100 * accuracy(ds, rs):5.1f}% (F1 {macro_f1(ds, rs):.3f})")
    return " | ".join(parts)


def confusions(docs: Sequence[Doc], results: Sequence[Classification], n: int = 6) -> str:
    pairs = Counter(
        (d.label, r.final_category)
        for d, r in zip(docs, results, strict=True)
        if r.final_category != d.label
    )
    return ", ".join(f"{t}→{p} ×{c}" for (t, p), c in pairs.most_common(n)) or "none"


def single(clf: LocalClassifier, docs: Sequence[Doc]) -> list[Classification]:
    return [clf.classify(d.text, d.detectors) for d in docs]


def batch(clf: LocalClassifier, docs: Sequence[Doc]) -> list[Classification]:
    return clf.classify_batch([d.text for d in docs], [d.detectors for d in docs])


# --- sections ----------------------------------------------------------------------------


def zero_shot(docs: list[Doc], taxonomies: dict[str, Taxonomy]) -> list[Classification]:
    print("\n== zero-shot (no examples) ==")
    first: list[Classification] = []
    for title, taxonomy in taxonomies.items():
        clf = LocalClassifier(taxonomy)
        one = single(clf, docs)
        whole = batch(clf, docs)
        held = batch(clf, [d for d in docs if d.half == "B"])
        held_docs = [d for d in docs if d.half == "B"]
        print(f"{title}")
        print(f"  classify       : {halves(docs, one)}")
        print(f"  classify_batch : {halves(docs, whole)}  (one batch of {len(docs)})")
        print(
            f"  batch of B only: {100 * accuracy(held_docs, held):5.1f}% "
            f"(F1 {macro_f1(held_docs, held):.3f})"
        )
        print(f"  errors (classify): {confusions(docs, one)}")
        first = first or one
    return first


def draw(docs: Sequence[Doc], k: int, rng: random.Random) -> tuple[list[Doc], list[Doc]]:
    by_label: dict[str, list[Doc]] = {}
    for d in docs:
        by_label.setdefault(d.label, []).append(d)
    train = [d for label in sorted(by_label) for d in rng.sample(by_label[label], k)]
    chosen = {d.path for d in train}
    return train, [d for d in docs if d.path not in chosen]


def few_shot(docs: list[Doc], taxonomies: dict[str, Taxonomy], draws: int) -> list[tuple]:
    print(f"\n== with k examples per category ({draws} random draws, scored on the rest) ==")
    pooled: list[tuple] = []
    held_pool = [d for d in docs if d.half == "B"]
    tune_pool = [d for d in docs if d.half == "A"]
    for title, taxonomy in taxonomies.items():
        for k in (1, 5, 10):
            acc, f1, acc_b, held, fit = [], [], [], [], []
            for seed in range(draws):
                train, test = draw(docs, k, random.Random(seed))
                t0 = time.perf_counter()
                clf = LocalClassifier(taxonomy, [(d.text, d.label) for d in train])
                fit.append(time.perf_counter() - t0)
                results = single(clf, test)
                acc.append(accuracy(test, results))
                f1.append(macro_f1(test, results))
                if k == 5:
                    acc_b.append(accuracy(test, batch(clf, test)))
                    if title.startswith("default"):
                        pooled.append((test, results))
                # Held-out protocol: examples drawn from half A, scored on half B only.
                train_a, _ = draw(tune_pool, k, random.Random(seed))
                clf_a = LocalClassifier(taxonomy, [(d.text, d.label) for d in train_a])
                held.append(accuracy(held_pool, single(clf_a, held_pool)))
            line = (
                f"{title:<22} k={k:<2}: classify {_pm(acc)} (F1 {_pm(f1, pct=False)})"
                f" | examples from A, scored on B {_pm(held)}"
            )
            if acc_b:
                line += f" | classify_batch {_pm(acc_b)}"
            print(line + f" | fit {1000 * statistics.mean(fit):.0f} ms")
    return pooled


def _pm(values: Sequence[float], pct: bool = True) -> str:
    scale = 100.0 if pct else 1.0
    mean = scale * statistics.mean(values)
    sd = scale * (statistics.stdev(values) if len(values) > 1 else 0.0)
    return f"{mean:5.1f}±{sd:.1f}%" if pct else f"{mean:.3f}±{sd:.3f}"


def confidence(rows: list[tuple[str, Sequence[Doc], Sequence[Classification]]]) -> None:
    print("\n== does confidence rank errors? (20% least confident vs all) ==")
    for title, docs, results in rows:
        overall, low, caught = low_confidence(docs, results)
        print(
            f"{title:<44}: error rate {100 * overall:4.1f}% overall, "
            f"{100 * low:4.1f}% in the least confident 20% "
            f"(which hold {100 * caught:3.0f}% of all errors)"
        )


def speed(docs: list[Doc], taxonomy: Taxonomy) -> None:
    print("\n== speed (classifier alone; detectors run beforehand) ==")
    t0 = time.perf_counter()
    clf = LocalClassifier(taxonomy)
    build = time.perf_counter() - t0
    best = min(_timed(lambda: single(clf, docs)) for _ in range(3))
    print(f"zero-shot classify : {_rate(len(docs), best)}; construction {1000 * build:.0f} ms")
    examples = [(d.text, d.label) for d in docs[:200]]
    fits = [_timed(lambda: clf.refit(examples)) for _ in range(3)]
    print(f"refit on 200 examples: {1000 * min(fits):.0f} ms (best of 3)")
    best = min(_timed(lambda: single(clf, docs)) for _ in range(3))
    print(f"supervised classify: {_rate(len(docs), best)}")
    clf.refit([])
    elapsed = min(_timed(lambda: batch(clf, docs)) for _ in range(2))
    print(
        f"classify_batch of {len(docs)}: {1000 * elapsed:.0f} ms "
        f"({len(docs) / elapsed:.0f} docs/s, self-training included)"
    )


def _rate(n: int, seconds: float) -> str:
    return f"{n / seconds:6.0f} docs/s ({1000 * seconds / n:.2f} ms/doc)"


def _timed(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def head_lengths(docs: list[Doc], taxonomies: dict[str, Taxonomy]) -> None:
    print("\n== head length (zero-shot classify accuracy, all / B) ==")
    default = local.HEAD_CHARS
    try:
        for chars in (1000, 2000, 3000, 5000):
            local_classifier.HEAD_CHARS = chars  # where LocalClassifier reads it
            cells = []
            for title, taxonomy in taxonomies.items():
                results = single(LocalClassifier(taxonomy), docs)
                b = [(d, r) for d, r in zip(docs, results, strict=True) if d.half == "B"]
                acc_b = accuracy([p[0] for p in b], [p[1] for p in b])
                cells.append(f"{title} {100 * accuracy(docs, results):5.1f}/{100 * acc_b:5.1f}")
            mark = "  <- default" if chars == default else ""
            print(f"{chars:>5} chars: " + " | ".join(cells) + mark)
    finally:
        local_classifier.HEAD_CHARS = default


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--draws", type=int, default=10)
    parser.add_argument("--quick", action="store_true", help="skip head lengths; 3 draws")
    args = parser.parse_args()
    if not args.data.is_dir():
        sys.exit(f"no development documents at {args.data}")
    default = load_taxonomy("default")
    six = parse_taxonomy(SIX_TOML, name="six-types")
    docs = load(args.data, default)
    counts = Counter(d.label for d in docs)
    print(
        f"{len(docs)} documents from {args.data}: "
        + ", ".join(f"{k} {v}" for k, v in counts.items())
    )
    print("half A = even-numbered files (constants tuned here), half B = odd (held out)")
    print(
        f"head {local.HEAD_CHARS} chars, temperature {local.TEMPERATURE}, "
        f"weights sim {local.W_SIM} / keywords {local.W_KEYWORDS} / layout {local.W_CUES}"
    )

    taxonomies = {
        "default (16 categories)": default,
        "six types": six,
        "default without keywords": strip_keywords(default),
    }
    zs = zero_shot(docs, taxonomies)
    draws = 3 if args.quick else args.draws
    pooled = few_shot(docs, {"default (16 categories)": default, "six types": six}, draws)

    zs_batch = batch(LocalClassifier(default), docs)
    nokw = single(LocalClassifier(taxonomies["default without keywords"]), docs)
    few_docs = [d for test, _ in pooled for d in test]
    few_results = [r for _, results in pooled for r in results]
    confidence(
        [
            ("zero-shot, default, classify", docs, zs),
            ("zero-shot, default, classify_batch", docs, zs_batch),
            ("zero-shot, default without keywords, classify", docs, nokw),
            (f"5 examples, default, classify (pooled {draws} draws)", few_docs, few_results),
        ]
    )
    speed(docs, default)
    if not args.quick:
        head_lengths(docs, {"default": default, "six": six})


if __name__ == "__main__":
    main()
