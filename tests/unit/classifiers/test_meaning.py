"""Topic taxonomies are read by meaning (the real embedding model), kinds by the lexicon."""

from __future__ import annotations

import numpy as np
import pytest

from docclass.classifiers.local import LocalClassifier
from docclass.classifiers.local.meaning import FITS_NONE_COSINE
from docclass.detectors import run_detectors
from docclass.review import review
from docclass.taxonomy import load_taxonomy, parse_taxonomy
from tests.paths import COMPLAINTS, complaint_files, complaint_products

HOBBIES = """
[[category]]
name = "astronomy"
description = "Stars, planets, galaxies and telescopes."

[[category]]
name = "cooking"
description = "Recipes, ingredients and preparing food."

[[category]]
name = "football"
description = "Matches, players, goals and league tables."
keywords = ["zx-42 protocol"]
"""

GALAXY = (
    "Last night the telescope showed the Andromeda galaxy and the rings of Saturn; "
    "the planets were bright above the horizon."
)
UNRELATED = (
    "Section 4.2 of the lease: the tenant shall pay the rent on the first day of each month "
    "and keep the premises insured against fire."
)


def taxonomy(toml: str, name: str = "hobbies"):
    return parse_taxonomy(toml, name=name)


def test_the_reader_follows_the_taxonomy() -> None:
    assert LocalClassifier(load_taxonomy("default")).reader == "lexicon"
    assert LocalClassifier(load_taxonomy(COMPLAINTS / "taxonomy.toml")).reader == "meaning"
    assert LocalClassifier(taxonomy(HOBBIES)).reader == "meaning"


def test_a_topic_is_named_by_meaning_with_the_closest_categories_in_the_rationale() -> None:
    clf = LocalClassifier(taxonomy(HOBBIES))
    answer = clf.classify(GALAXY)
    assert answer.final_category == "astronomy"
    assert answer.meta["reader"] == "meaning"
    assert "closest in meaning to astronomy" in answer.rationale
    assert sum(answer.scores.values()) == pytest.approx(1.0)
    assert 1 / 3 < answer.confidence < 1.0


def test_complaints_are_told_apart_one_at_a_time() -> None:
    clf = LocalClassifier(load_taxonomy(COMPLAINTS / "taxonomy.toml"))
    text = "The servicer of my home loan refused to modify it and started foreclosure."
    one = clf.classify(text)
    assert one.final_category == "mortgage"
    assert set(one.scores) == set(clf.taxonomy.names)
    assert "closest in meaning to mortgage" in one.rationale
    payday = clf.classify("A payday lender charged me 400% interest.")
    assert payday.final_category == "payday_personal_loan"
    # A batch below CENTRE_MIN is answered document by document: the same answers.
    few = clf.classify_batch([text, "A payday lender charged me 400% interest."])
    assert few[1].scores == payday.scores


def test_an_analysts_keyword_counts_where_meaning_says_little() -> None:
    clf = LocalClassifier(taxonomy(HOBBIES))
    text = "Minutes of the Tuesday meeting: we went through the {} again and agreed the dates."
    plain = clf.classify(text.format("checklist"))
    cued = clf.classify(text.format("zx-42 protocol"))
    assert cued.final_category == "football" != plain.final_category
    assert "zx-42 protocol" in cued.rationale


def test_a_document_close_to_no_category_is_flagged_or_goes_to_the_catch_all() -> None:
    hobbies = taxonomy(HOBBIES)
    answer = LocalClassifier(hobbies).classify(UNRELATED)
    assert answer.meta["fits_none"] is True
    assert "close to none of the categories" in answer.rationale
    checked = review(answer, run_detectors(UNRELATED, hobbies.keywords()), hobbies)
    assert checked.needs_review
    assert any("close to none of the categories" in r for r in checked.reasons)
    # The same document under the same taxonomy plus a catch-all is answered "other".
    with_other = taxonomy(HOBBIES + '\n[[category]]\nname = "other"\ndescription = "x"\n')
    caught = LocalClassifier(with_other).classify(UNRELATED)
    assert caught.final_category == "other"
    assert caught.meta["fits_none"] is False  # answered, not left to review
    # A document on topic is close to its category.
    on_topic = LocalClassifier(hobbies).classify(GALAXY)
    assert on_topic.meta["fits_none"] is False
    assert FITS_NONE_COSINE < 0.5


def real_complaints(n: int) -> tuple[list[str], list[str]]:
    paths = complaint_files(-(-n // len(complaint_products())))[:n]
    return [p.read_text("utf-8", "replace") for p in paths], [p.parent.name for p in paths]


def test_a_batch_of_real_complaints_learns_from_itself_and_repeats_its_answers() -> None:
    """From SELF_TRAIN_MIN documents the batch co-trains; answers are reproducible."""
    texts, labels = real_complaints(180)
    clf = LocalClassifier(load_taxonomy(COMPLAINTS / "taxonomy.toml"))
    single = [clf.classify(t) for t in texts]
    batch = clf.classify_batch(texts)
    assert {r.meta["stage"] for r in batch} == {"batch"}
    right = np.mean([r.final_category == y for r, y in zip(batch, labels, strict=True)])
    alone = np.mean([r.final_category == y for r, y in zip(single, labels, strict=True)])
    assert right >= alone and right > 0.55  # measured 0.68 on the whole set
    # A fresh classifier (nothing cached) gives the very same answers and scores.
    again = LocalClassifier(load_taxonomy(COMPLAINTS / "taxonomy.toml")).classify_batch(texts)
    assert [r.scores for r in again] == [r.scores for r in batch]


class CountingEmbedder:
    """The real model, counting the texts it is asked to embed."""

    def __init__(self, model) -> None:
        self.model = model
        self.dim = model.dim
        self.embedded: list[str] = []

    def embed(self, texts: list[str]) -> np.ndarray:
        self.embedded.extend(texts)
        return self.model.embed(texts)


def test_a_stored_vector_is_the_models_and_saves_the_batch_pass_embedding_it_again() -> None:
    from docclass.classifiers.embedding.model import load_embedder
    from docclass.classifiers.local.classifier import _head
    from docclass.classifiers.local.meaning import CachedEmbedder

    answer = LocalClassifier(taxonomy(HOBBIES)).classify(GALAXY)
    lexicon = LocalClassifier(load_taxonomy("default")).classify(GALAXY)
    assert lexicon.embedding is None  # only the meaning reader has a vector to keep
    stored = np.frombuffer(answer.embedding, dtype=np.float32)
    model = load_embedder()
    assert stored.shape == (model.dim,)
    fresh = model.embed([_head(GALAXY)])[0]
    assert float(stored @ fresh) / float(np.linalg.norm(stored) * np.linalg.norm(fresh)) > 0.999

    counting = CachedEmbedder(CountingEmbedder(model))
    texts = [_head(GALAXY), _head(UNRELATED)]
    counting.remember(texts, [answer.embedding, None])
    vectors = counting.embed(texts)
    assert counting._embedder.embedded == [_head(UNRELATED)]  # the stored one was not redone
    assert np.array_equal(vectors[0], stored)
