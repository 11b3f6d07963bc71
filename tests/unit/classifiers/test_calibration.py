"""Zero-shot confidence is a probability of being right, not the sharp softmax's 100%."""

from __future__ import annotations

import numpy as np
import pytest

from docclass.classifiers.local import LocalClassifier, calibration
from docclass.taxonomy import load_taxonomy


@pytest.mark.parametrize(("reader", "stage"), sorted(calibration.PLATT))
def test_calibrated_scores_keep_the_order_sum_to_one_and_grow_with_the_gap(
    reader: str, stage: str
) -> None:
    probs = np.array([[0.001, 0.7, 0.299], [0.001, 0.99, 0.009], [0.2, 0.3, 0.5]])
    out = calibration.calibrated(probs, reader, stage)
    assert np.argsort(out).tolist() == np.argsort(probs).tolist()
    assert out.sum(axis=1) == pytest.approx(np.ones(3))
    assert out[1].max() > out[0].max()  # the wider gap
    # Rows are tempered one by one: a row's scores do not depend on the others beside it.
    for row, one in zip(out, probs, strict=True):
        assert row == pytest.approx(calibration.calibrated(one[None], reader, stage)[0], abs=1e-12)
    gaps = calibration.log_gaps(probs)
    for row, gap in zip(out, gaps, strict=True):
        expected = calibration.platt(float(gap), *calibration.PLATT[reader, stage])
        assert row.max() == pytest.approx(max(expected, 1 / 3 + 1e-6), abs=1e-6)


def test_an_answer_with_no_clear_winner_is_not_reported_as_certain() -> None:
    clf = LocalClassifier(load_taxonomy("default"))
    vague = clf.classify("Notes from Tuesday. Things to check later, see attached.")
    clear = clf.classify(
        "INVOICE No. 2024-118\nBill to: ACME GmbH\nInvoice date: 3 May 2024\nDue date: "
        "2 June 2024\nDescription Qty Unit price Amount\nConsulting 10 120.00 1,200.00\n"
        "Subtotal 1,200.00\nVAT 19% 228.00\nTotal amount due EUR 1,428.00\nPayment terms: 30 days"
    )
    assert clear.final_category == "invoice"
    # The lexicon's answers at this gap are right about 60% of the time on the development
    # sets; the clear invoice all but always.
    assert vague.confidence < 0.7 and clear.confidence > 0.95
    assert clear.confidence < 1.0 and sum(clear.scores.values()) == pytest.approx(1.0)
    assert clear.meta["gap"] > vague.meta["gap"]


def test_texts_that_are_no_business_document_go_to_the_catch_all() -> None:
    """ "None of these" is decided on evidence: a recipe, a poem and code are ``other``."""
    clf = LocalClassifier(load_taxonomy("default"))
    recipe = (
        "Carrot cake\nIngredients\n2 cups flour\n1 tsp baking soda\n3 eggs\n1 cup sugar\n"
        "2 cups grated carrots\nPreheat the oven to 180. Stir the flour and sugar, bake for "
        "40 minutes and serve."
    )
    poem = (
        "I wandered lonely as a cloud\nThat floats on high o'er vales and hills\n"
        "When all at once I saw a crowd\nA host of golden daffodils\n"
        "Beside the lake beneath the trees\nFluttering and dancing in the breeze"
    )
    code = (
        "import os\n\ndef main():\n    for name in os.listdir('.'):\n        if name.endswith"
        "('.py'):\n            print(name)\n    return 0\n\nif __name__ == '__main__':\n    main()"
    )
    for text in (recipe, poem, code):
        assert clf.classify(text).final_category == "other", text[:20]
    letter = "Dear Ms Smith,\nThank you for your letter of 3 May.\nYours sincerely,\nJohn Doe"
    assert clf.classify(letter).final_category == "letter"
