"""The batch policy: what a job's finishing step may change depends on the batch's size."""

from __future__ import annotations

from docclass.classifiers.local import CENTRE_MIN, LocalClassifier
from docclass.jobs import finish
from docclass.taxonomy import load_taxonomy

TEXTS = [
    "Invoice number 1042. Bill to: ACME Ltd. Amount due 1,200.00 EUR by 30 June.",
    "Dear Ms Smith, thank you for your letter. Yours sincerely, John",
    "We propose a method for image segmentation; experiments show results on benchmarks.",
    "Receipt. Total 12.50 Cash 20.00 Change 7.50. Thank you, come again",
]


def test_the_finishing_step_runs_only_where_the_classifier_can_change_answers() -> None:
    assert finish.BATCH_MIN == CENTRE_MIN


def test_a_batch_below_the_policy_minimum_answers_as_one_document_at_a_time() -> None:
    clf = LocalClassifier(load_taxonomy("default"))
    texts = (TEXTS * CENTRE_MIN)[: CENTRE_MIN - 1]
    single = [clf.classify(t) for t in texts]
    batch = clf.classify_batch(texts)
    assert [(r.final_category, r.scores) for r in batch] == [
        (r.final_category, r.scores) for r in single
    ]


def test_from_the_minimum_on_the_batch_is_centred_and_answers_stay_deterministic() -> None:
    clf = LocalClassifier(load_taxonomy("default"))
    texts = [f"{t} (copy {i})" for i, t in enumerate((TEXTS * 30)[:120])]
    first = clf.classify_batch(texts)
    again = LocalClassifier(load_taxonomy("default")).classify_batch(texts)
    assert [r.scores for r in first] == [r.scores for r in again]
    assert all(r.meta["stage"] == "batch" for r in first)
    single = [clf.classify(t) for t in texts]
    assert [r.scores for r in first] != [r.scores for r in single]
