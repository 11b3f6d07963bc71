"""Refit the confidence calibration of the offline classifier (Platt scaling per stage).

Fits ``docclass.classifiers.local.calibration.PLATT`` on half A (split by source) of every
shared development set, each set weighted equally, and prints the constants with the
expected calibration error on held-out half B before and after. Run from the repository
root: ``python bench/fit_calibration.py``; paste the printed PLATT into calibration.py.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import numpy as np  # noqa: E402
from classify_eval import ece  # noqa: E402
from evalsets import SETS, load_set  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

from docclass.classifiers.local import LocalClassifier, calibration  # noqa: E402


def main() -> None:
    data = {}
    for name in SETS:
        docs, taxonomy = load_set(name)
        clf = LocalClassifier(taxonomy)
        single = [clf.classify(d.text, d.detectors) for d in docs]
        batch = clf.classify_batch([d.text for d in docs], [d.detectors for d in docs])
        data[name] = (docs, {"single": single, "batch": batch})
    fitted = {}
    for stage in ("single", "batch"):
        x, y, w = [], [], []
        for docs, results in data.values():
            half_a = [(d, r) for d, r in zip(docs, results[stage], strict=True) if d.half == "A"]
            x += [[r.meta["gap"]] for _, r in half_a]
            y += [r.final_category == d.label for d, r in half_a]
            w += [1.0 / len(half_a)] * len(half_a)
        model = LogisticRegression(C=1.0).fit(np.array(x), np.array(y), sample_weight=w)
        fitted[stage] = (round(float(model.coef_[0, 0]), 3), round(float(model.intercept_[0]), 3))
    print(f"PLATT = {fitted}  (in calibration.py now: {calibration.PLATT})")
    for name, (docs, results) in data.items():
        cells = []
        for stage, rs in results.items():
            held = [(d, r) for d, r in zip(docs, rs, strict=True) if d.half == "B"]
            ds = [d for d, _ in held]
            now = [r for _, r in held]
            refit = [
                replace(r, confidence=calibration.platt(r.meta["gap"], *fitted[stage])) for r in now
            ]
            cells.append(f"{stage} ECE {ece(ds, now):.3f} (refit {ece(ds, refit):.3f})")
        print(f"{name:<20} half B: " + " | ".join(cells))


if __name__ == "__main__":
    main()
