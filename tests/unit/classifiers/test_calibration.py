"""Zero-shot confidence is a probability of being right, not the sharp softmax's 100%."""

from __future__ import annotations

import numpy as np
import pytest

from docclass.classifiers.local import LocalClassifier, calibration
from docclass.taxonomy import load_taxonomy


@pytest.mark.parametrize("stage", ["single", "batch"])
def test_calibrated_scores_keep_the_order_sum_to_one_and_grow_with_the_gap(stage: str) -> None:
    probs = np.array([0.001, 0.7, 0.299])
    out = calibration.calibrated(probs, stage)
    assert np.argsort(out).tolist() == np.argsort(probs).tolist()
    assert out.sum() == pytest.approx(1.0)
    wider = calibration.calibrated(np.array([0.001, 0.99, 0.009]), stage)
    assert wider.max() > out.max()


def test_an_answer_with_no_clear_winner_is_not_reported_as_certain() -> None:
    clf = LocalClassifier(load_taxonomy("default"))
    vague = clf.classify("Notes from Tuesday. Things to check later, see attached.")
    clear = clf.classify(
        "INVOICE No. 2024-118\nBill to: ACME GmbH\nInvoice date: 3 May 2024\nDue date: "
        "2 June 2024\nDescription Qty Unit price Amount\nConsulting 10 120.00 1,200.00\n"
        "Subtotal 1,200.00\nVAT 19% 228.00\nTotal amount due EUR 1,428.00\nPayment terms: 30 days"
    )
    assert clear.final_category == "invoice"
    assert vague.confidence < 0.6 < clear.confidence
    assert clear.confidence < 1.0 and sum(clear.scores.values()) == pytest.approx(1.0)
    assert clear.meta["gap"] > vague.meta["gap"]
