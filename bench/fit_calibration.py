"""Refit the confidence calibration of the offline classifier (Platt scaling per reader, stage).

Fits ``docclass.classifiers.local.calibration.PLATT`` on half A (split by source) of every
shared development set, each set weighted equally, one fit per zero-shot reader (each set
counts for the reader its taxonomy gets, and every set also for the lexicon, which reads any
taxonomy where the embedding backend is not installed) and stage, and prints the constants
with the expected calibration error on held-out half B before and after, the share of errors
among the least-confident fifth and the spread of the confidences (5th and 95th percentile: a
constant equal to the accuracy has no calibration error and tells an analyst nothing). Run
from the repository root: ``python bench/fit_calibration.py``; paste the printed PLATT into
calibration.py.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import numpy as np  # noqa: E402
from classify_eval import ece, low_share  # noqa: E402
from evalsets import SETS, load_set  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

from docclass.classifiers.local import LocalClassifier, calibration  # noqa: E402


def main() -> None:
    data, readers = {}, {}
    for name in SETS:
        docs, taxonomy = load_set(name)
        for meaning in (True, False):
            clf = LocalClassifier(taxonomy, meaning=meaning)
            if (name, clf.reader) in data:
                continue
            single = [clf.classify(d.text, d.detectors) for d in docs]
            batch = clf.classify_batch([d.text for d in docs], [d.detectors for d in docs])
            data[name, clf.reader] = (docs, {"single": single, "batch": batch})
            readers[name] = readers.get(name, clf.reader)  # the reader the product uses
    fitted = {}
    for reader, stage in calibration.PLATT:
        x, y, w = [], [], []
        for (_name, used), (docs, results) in data.items():
            if used != reader:
                continue
            half_a = [(d, r) for d, r in zip(docs, results[stage], strict=True) if d.half == "A"]
            x += [[r.meta["gap"]] for _, r in half_a]
            y += [r.final_category == d.label for d, r in half_a]
            w += [1.0 / len(half_a)] * len(half_a)
        # Each set weighs the same, and the weights average 1 so that the penalty is as weak
        # as for any fit on this many answers: weights summing to the number of sets (2-4)
        # made C=1's L2 penalty outweigh the data and flattened every slope (topic answers
        # all between 0.5 and 0.85, whatever their gap).
        weights = np.array(w) * len(w) / sum(w)
        model = LogisticRegression(C=1.0).fit(np.array(x), np.array(y), sample_weight=weights)
        fitted[reader, stage] = (
            round(float(model.coef_[0, 0]), 3),
            round(float(model.intercept_[0]), 3),
        )
    print(f"PLATT = {fitted}  (in calibration.py now: {calibration.PLATT})")
    for (name, used), (docs, results) in data.items():
        if used != readers[name]:
            continue  # report what the product does
        cells = []
        for stage, rs in results.items():
            held = [(d, r) for d, r in zip(docs, rs, strict=True) if d.half == "B"]
            ds = [d for d, _ in held]
            now = [r for _, r in held]
            refit = [
                replace(
                    r,
                    confidence=calibration.platt(r.meta["gap"], *fitted[readers[name], stage]),
                )
                for r in now
            ]
            spread = np.quantile([r.confidence for r in refit], [0.05, 0.95])
            cells.append(
                f"{stage} ECE {ece(ds, now):.3f} (refit {ece(ds, refit):.3f}), errors in the "
                f"least-confident 20% {low_share(ds, now):.0%} (refit {low_share(ds, refit):.0%}),"
                f" refit confidences {spread[0]:.2f}-{spread[1]:.2f}"
            )
        print(f"{name:<20} ({readers[name]}) half B: " + " | ".join(cells))


if __name__ == "__main__":
    main()
