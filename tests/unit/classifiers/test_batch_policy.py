"""The batch policy: what a job's finishing step may change depends on the batch's size."""

from __future__ import annotations

import struct

from docclass.classifiers.local import CENTRE_MIN, SELF_TRAIN_MIN, LocalClassifier, classifier
from docclass.classifiers.local.layout import (
    LAYOUT_VERSION,
    pack_layout,
    structure,
    unpack_layout,
)
from docclass.jobs import finish
from docclass.taxonomy import Taxonomy, load_taxonomy

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


def test_centring_alone_is_the_meaning_readers_the_lexicon_starts_with_self_training() -> None:
    """Between CENTRE_MIN and SELF_TRAIN_MIN only the meaning reader's batch pass acts: the
    lexicon's sparse evidence has medians near zero, and centring them moved answers at
    random."""
    from tests.paths import COMPLAINTS

    texts = [f"{t} (copy {i})" for i, t in enumerate((TEXTS * 20)[: CENTRE_MIN + 10])]
    assert CENTRE_MIN <= len(texts) < SELF_TRAIN_MIN
    lexicon = LocalClassifier(load_taxonomy("default"))
    assert lexicon.batch_min == SELF_TRAIN_MIN
    batch = lexicon.classify_batch(texts)
    assert [r.scores for r in batch] == [lexicon.classify(t).scores for t in texts]
    topics = LocalClassifier(load_taxonomy(COMPLAINTS / "taxonomy.toml"))
    assert topics.batch_min == CENTRE_MIN
    assert all(r.meta["stage"] == "batch" for r in topics.classify_batch(texts))


def test_from_the_minimum_on_the_batch_is_centred_and_answers_stay_deterministic() -> None:
    clf = LocalClassifier(load_taxonomy("default"))
    texts = [f"{t} (copy {i})" for i, t in enumerate((TEXTS * 30)[:120])]
    first = clf.classify_batch(texts)
    again = LocalClassifier(load_taxonomy("default")).classify_batch(texts)
    assert [r.scores for r in first] == [r.scores for r in again]
    assert all(r.meta["stage"] == "batch" for r in first)
    single = [clf.classify(t) for t in texts]
    assert [r.scores for r in first] != [r.scores for r in single]


def test_self_training_rounds_train_on_at_most_the_row_cap_keeping_every_class(
    monkeypatch,
) -> None:
    """A re-score may cover a job of thousands of documents: each round's model trains on at
    most SELF_TRAIN_ROWS of them, every class keeping a share (the real solver, watched)."""
    from tests.paths import EVAL

    texts = [p.read_text("utf-8") for p in sorted(EVAL.rglob("*.txt"))]
    clf = LocalClassifier(load_taxonomy("default"))
    fits: list[tuple[int, set]] = []
    solver = classifier.fit_least_squares

    def watched(x, y, **kw):
        fits.append((x.shape[0], set(y.tolist())))
        return solver(x, y, **kw)

    monkeypatch.setattr(classifier, "fit_least_squares", watched)
    clf.classify_batch(texts)
    uncapped = list(fits)
    fits.clear()
    monkeypatch.setattr(classifier, "SELF_TRAIN_ROWS", 60)
    clf.classify_batch(texts)
    assert len(uncapped) == len(fits) == 3 and min(n for n, _ in uncapped) > 60  # cap bites
    assert all(n <= 60 + 2 * len(labels) for n, labels in fits)  # two per class at least
    assert [labels for _, labels in fits] == [labels for _, labels in uncapped]


def _doctype_texts(per_category: int) -> list[str]:
    from tests.paths import EVAL

    folders = sorted(p for p in EVAL.iterdir() if p.is_dir())
    return [p.read_text("utf-8") for f in folders for p in sorted(f.glob("*.txt"))[:per_category]]


def test_the_batch_pass_reads_the_layouts_the_first_answers_stored() -> None:
    """The pass reuses each document's stored layout instead of measuring its head again:
    the same answers, and it is the stored one it reads (another document's changes them)."""
    clf = LocalClassifier(load_taxonomy("default"))
    texts = _doctype_texts(20)
    assert len(texts) >= SELF_TRAIN_MIN
    first = [clf.classify(t) for t in texts]
    stored = [r.layout for r in first]
    assert all(unpack_layout(b) == structure(classifier.classifier_input(t)) for b, t in zip(
        stored, texts, strict=True
    ))  # fmt: skip

    def answers(results: list) -> list:
        return [(r.final_category, r.scores, r.rationale) for r in results]

    measured = clf.classify_batch(texts)
    assert answers(clf.classify_batch(texts, layouts=stored)) == answers(measured)
    swapped = clf.classify_batch(texts, layouts=stored[::-1])
    assert answers(swapped) != answers(measured)


def test_a_stored_layout_of_another_version_or_shape_is_measured_again() -> None:
    text = _doctype_texts(1)[0]
    measured = structure(text[: classifier.HEAD_CHARS])
    packed = pack_layout(measured)
    assert unpack_layout(packed) == measured
    assert unpack_layout(None) is None
    assert unpack_layout(packed[:-8]) is None  # a measurement fewer (an older release)
    other = struct.pack("<I", LAYOUT_VERSION + 1) + packed[4:]
    assert unpack_layout(other) is None


def _complaints(n_per_category: int) -> tuple[list[str], Taxonomy]:
    """The first complaints of each product, and their taxonomy."""
    from tests.paths import COMPLAINTS, complaint_files

    texts = [p.read_text("utf-8") for p in complaint_files(n_per_category)]
    return texts, load_taxonomy(COMPLAINTS / "taxonomy.toml")


def test_an_answer_the_batch_moved_says_what_it_was_and_why() -> None:
    """Without it a moved answer's rationale argues for the other category ("closest in
    meaning to debt_collection" on a money_transfer answer)."""
    for n_per_category, how in ((7, classifier.BY_CENTRING), (15, classifier.BY_MODEL)):
        texts, taxonomy = _complaints(n_per_category)
        clf = LocalClassifier(taxonomy)
        assert clf.reader == "meaning"
        assert len(texts) >= CENTRE_MIN
        assert (how == classifier.BY_MODEL) == (len(texts) >= SELF_TRAIN_MIN)
        single = [clf.classify(t) for t in texts]
        batch = clf.classify_batch(texts)
        moved = 0
        for one, answer in zip(single, batch, strict=True):
            note = f"{answer.final_category}: chosen over {one.final_category} {how};"
            if one.final_category == answer.final_category:
                assert "chosen over" not in answer.rationale, answer.rationale
            else:
                moved += 1
                assert answer.rationale.startswith(note), answer.rationale
        assert moved, "no answer moved: the batch pass did nothing to check"
