"""Confidence that means what it says: zero-shot scores mapped to a probability of being right.

The zero-shot softmax is sharp by design (its temperature picks the best category, not how
sure to be), so a wrong answer used to say 100%. Here the answer's confidence becomes the
probability that it is correct, from the gap between the log-probabilities of the two best
categories, by a logistic fit (Platt scaling) on out-of-sample answers: half A (split by
source) of every shared development set, each set weighted equally, one fit per reader and
stage (one document at a time, or a job's batch pass). The meaning reader's fit uses the
topic sets it reads; the lexicon's uses every set, topics included: without the optional
embedding backend it reads every taxonomy, and its confidence must hold for all of them.
``bench/fit_calibration.py`` refits and prints these constants with the expected calibration
error on half B; ``bench/classify_eval.py`` reports it on whole sets.

Answers blended with a model fitted on examples go through the same map: their gap is
wider where the examples agree, so they are more confident, and the scores of every answer
mean the same thing (a conservative estimate where examples help).
"""

from __future__ import annotations

import numpy as np

# (reader, stage) -> (slope per nat of gap, intercept), from bench/fit_calibration.py
PLATT: dict[tuple[str, str], tuple[float, float]] = {
    ("lexicon", "single"): (0.329, -0.543),
    ("lexicon", "batch"): (0.267, -0.859),
    ("meaning", "single"): (0.931, -0.753),
    ("meaning", "batch"): (1.801, -1.574),
}


def log_gaps(probs: np.ndarray) -> np.ndarray:
    """Per row: log-probability of the best category minus that of the second (nats)."""
    if probs.shape[1] < 2:
        return np.full(len(probs), 30.0)
    top = np.sort(probs, axis=1)
    first, second = np.maximum(top[:, -1], 1e-12), np.maximum(top[:, -2], 1e-12)
    return np.log(first) - np.log(second)


def platt(gap: float | np.ndarray, slope: float, intercept: float) -> float | np.ndarray:
    """The logistic map from a gap (or an array of them) to a probability of being right."""
    return 1.0 / (1.0 + np.exp(-(slope * gap + intercept)))


def calibrated(
    probs: np.ndarray, reader: str, stage: str, gaps: np.ndarray | None = None
) -> np.ndarray:
    """Each row of ``probs`` tempered so that its top category gets its calibrated confidence
    (the Platt map of its log gap; ``gaps``: :func:`log_gaps` of ``probs``, if the caller has
    them).

    Tempering (``probs ** (1 / T)``, renormalised) keeps the categories' order and makes a
    distribution; T is found by bisection, for all rows at once. A confidence below
    1 / categories (a tie) is raised to that: no answer is less likely than a uniform guess.
    """
    n, k = probs.shape
    if k < 2:
        return probs.copy()
    gaps = log_gaps(probs) if gaps is None else gaps
    target = np.maximum(platt(gaps, *PLATT[reader, stage]), 1.0 / k + 1e-6)
    logp = np.log(np.clip(probs, 1e-300, 1.0))
    logp = logp - logp.max(axis=1, keepdims=True)

    def top_at(inverse_t: np.ndarray) -> np.ndarray:
        return 1.0 / np.exp(logp * inverse_t[:, None]).sum(axis=1)

    lo, hi = np.zeros(n), np.ones(n)  # inverse temperatures: 0 gives uniform, 1 the original
    while (grow := (top_at(hi) < target) & (hi < 1e6)).any():
        hi[grow] *= 2.0
    for _ in range(32):  # to a 4e-10th of the bracket: far below any shown digit
        mid = (lo + hi) / 2
        below = top_at(mid) < target
        lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
    e = np.exp(logp * hi[:, None])
    return e / e.sum(axis=1, keepdims=True)
