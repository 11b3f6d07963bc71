"""The classifiers' own linear models and batch TF-IDF against scikit-learn, their reference.

docclass restates ``LinearSVC``, ``LogisticRegression`` and ``TfidfVectorizer`` so that no
process imports scikit-learn (a second of CPU each); these tests hold the restatements to the
originals on real documents (the arXiv abstracts and the document-type texts of
``../shared/eval``). scikit-learn is a test and bench dependency only.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.svm import LinearSVC

from docclass.classifiers import linear
from docclass.classifiers.embedding.cotrain import _words_and_pairs, batch_tfidf
from docclass.classifiers.linear import fit_least_squares, fit_logistic, fit_svm
from docclass.classifiers.local.supervised import stratified_folds
from docclass.classifiers.tfidf import fit_tfidf
from tests.paths import EVAL, ROOT, SHARED

ARXIV = SHARED / "eval" / "topics-dev" / "arxiv-areas"


def _labelled(folder: Path, per_class: int) -> tuple[list[str], np.ndarray]:
    texts, labels = [], []
    for category in sorted(p for p in folder.iterdir() if p.is_dir()):
        for path in sorted(category.glob("*.txt"))[:per_class]:
            texts.append(path.read_text("utf-8"))
            labels.append(category.name)
    return texts, np.array(labels)


@pytest.fixture(scope="module")
def arxiv() -> tuple[list[str], np.ndarray]:
    return _labelled(ARXIV, 12)


def _reference_tfidf(texts: list[str], max_features: int) -> object:
    return TfidfVectorizer(
        ngram_range=(1, 2),
        sublinear_tf=True,
        min_df=2,
        max_df=0.9,
        max_features=max_features,
        token_pattern=r"(?u)\b[^\W\d_]{2,}\b",
        dtype=np.float32,
    ).fit_transform(texts)


@pytest.mark.parametrize("max_features", [50_000, 500])
def test_batch_tfidf_is_scikit_learns(arxiv: tuple[list[str], np.ndarray], max_features: int):
    texts, _ = arxiv
    ours = batch_tfidf(texts, min_df=2, max_df=0.9, max_features=max_features)
    reference = _reference_tfidf(texts, max_features)
    assert ours.shape == reference.shape
    assert ours.dtype == np.float32
    if max_features == 500:
        assert ours.shape[1] == 500  # the limit applied: the same 500 terms, below
    assert abs(ours - reference).max() < 1e-6


@pytest.mark.parametrize(
    ("min_df", "max_df", "max_features"), [(2, 0.9, 500), (1, 0.5, None), (3, 1.0, None)]
)
def test_tfidf_limits_keep_scikit_learns_terms_columns_and_idf(
    arxiv: tuple[list[str], np.ndarray], min_df: int, max_df: float, max_features: int | None
):
    """The limits are applied before the terms are numbered: the same terms must keep the
    same columns (sorted) and IDF as when scikit-learn filters its full vocabulary."""
    texts, _ = arxiv
    matrix, vocabulary, idf = fit_tfidf(
        texts, _words_and_pairs, min_df=min_df, max_df=max_df, max_features=max_features
    )
    reference = TfidfVectorizer(
        ngram_range=(1, 2), sublinear_tf=True, min_df=min_df, max_df=max_df,
        max_features=max_features, token_pattern=r"(?u)\b[^\W\d_]{2,}\b",
    )  # fmt: skip
    expected = reference.fit_transform(texts)
    assert len(vocabulary) < len(fit_tfidf(texts, _words_and_pairs)[1])  # the limits bit
    assert vocabulary == reference.vocabulary_
    assert list(vocabulary) == sorted(vocabulary)
    assert np.abs(idf - reference.idf_).max() < 1e-12
    assert abs(matrix - expected).max() < 1e-12


def test_batch_tfidf_without_words_has_no_columns():
    assert batch_tfidf(["12 34", "-- 5"], min_df=1, max_df=1.0, max_features=10).shape == (2, 0)


@pytest.mark.parametrize("balanced", [False, True])
def test_svm_matches_linear_svc(arxiv: tuple[list[str], np.ndarray], balanced: bool):
    texts, labels = arxiv
    x = batch_tfidf(texts, min_df=1, max_df=1.0, max_features=50_000)
    keep = np.r_[0:40, 40 : len(labels) : 2]  # unequal class sizes, so the weights matter
    x, labels = x[keep], labels[keep]
    ours = fit_svm(x, labels, c=0.5, balanced=balanced)
    reference = LinearSVC(C=0.5, class_weight="balanced" if balanced else None).fit(x, labels)
    assert list(ours.classes) == list(reference.classes_)
    got, want = ours.decision_function(x), reference.decision_function(x)
    assert np.abs(got - want).max() < 1e-3
    assert (got.argmax(axis=1) == want.argmax(axis=1)).all()


def test_svm_with_two_classes_scores_both():
    texts, labels = _labelled(EVAL, 8)
    two = np.isin(labels, sorted(set(labels))[:2])
    x = batch_tfidf([t for t, k in zip(texts, two, strict=True) if k], min_df=1, max_df=1.0,
                    max_features=50_000)  # fmt: skip
    y = labels[two]
    ours = fit_svm(x, y, c=0.5, balanced=True)
    reference = LinearSVC(C=0.5, class_weight="balanced").fit(x, y).decision_function(x)
    got = ours.decision_function(x)
    assert got.shape == (len(y), 2)
    assert np.abs(got[:, 1] - reference).max() < 1e-3
    assert np.allclose(got[:, 0], -got[:, 1])


@pytest.mark.parametrize("balanced", [False, True])
def test_logistic_matches_scikit_learn(arxiv: tuple[list[str], np.ndarray], balanced: bool):
    texts, labels = arxiv
    x = batch_tfidf(texts, min_df=2, max_df=0.9, max_features=50_000)
    keep = np.r_[0:50, 50 : len(labels) : 3]
    x, labels = x[keep], labels[keep]
    ours = fit_logistic(x, labels, c=1.0, balanced=balanced, max_iter=2000)
    weight = "balanced" if balanced else None
    reference = LogisticRegression(C=1.0, class_weight=weight, max_iter=2000).fit(x, labels)
    assert list(ours.classes) == list(reference.classes_)
    assert np.abs(ours.predict_proba(x) - reference.predict_proba(x)).max() < 1e-3


def test_logistic_in_the_rows_span_takes_the_same_steps(
    arxiv: tuple[list[str], np.ndarray], monkeypatch: pytest.MonkeyPatch
):
    """Fewer rows than features: solved in the rows' span, the same iterates as over every
    feature. With a dense block (as co-training appends embeddings) and repeated rows (a
    Gram matrix without full rank)."""
    texts, labels = arxiv
    tfidf = batch_tfidf(texts, min_df=2, max_df=0.9, max_features=50_000)
    dense = np.random.default_rng(0).normal(size=(len(texts), 24)).astype(np.float32) / 5
    x = sparse.hstack([tfidf, sparse.csr_matrix(dense)], format="csr")
    x = sparse.vstack([x, x[:5]], format="csr")
    labels = np.concatenate([labels, labels[:5]])
    assert x.shape[0] < x.shape[1]
    span = fit_logistic(x, labels, c=1.0, balanced=True, max_iter=2000)
    monkeypatch.setattr(linear, "SPAN_ROWS_MAX", 0)
    full = fit_logistic(x, labels, c=1.0, balanced=True, max_iter=2000)
    assert np.abs(span.coef - full.coef).max() < 1e-9
    assert np.abs(span.intercept - full.intercept).max() < 1e-9


@pytest.mark.parametrize("classes", [8, 2])
def test_least_squares_is_ridge_regression_on_the_targets(
    arxiv: tuple[list[str], np.ndarray], classes: int
):
    """½‖[w, b]‖² + Σ Cᵢ (tᵢ − w·xᵢ − b)² per class is scikit-learn's Ridge (alpha 1, sample
    weights 2Cᵢ) on [x, 1] and ±1 targets; with balanced weights, Cᵢ is C times the class
    weight of row i's class."""
    texts, labels = arxiv
    x = batch_tfidf(texts, min_df=1, max_df=1.0, max_features=50_000)
    keep = np.r_[0:40, 40 : len(labels) : 2]
    if classes == 2:
        keep = keep[np.isin(labels[keep], np.unique(labels)[:2])]
    x, labels = x[keep], labels[keep]
    ours = fit_least_squares(x, labels, c=0.5, balanced=True)
    names = np.unique(labels)
    assert len(names) == classes and list(ours.classes) == list(names)
    weights = len(labels) / (len(names) * np.array([np.sum(labels == n) for n in names]))
    sample = 2 * 0.5 * weights[np.searchsorted(names, labels)]
    positive = names[1:] if classes == 2 else names
    targets = np.where(labels[:, None] == positive[None, :], 1.0, -1.0)
    augmented = sparse.hstack([x, np.ones((x.shape[0], 1))], format="csr")
    ridge = Ridge(alpha=1.0, fit_intercept=False, solver="cholesky").fit(
        augmented, targets, sample_weight=sample
    )
    want = np.asarray(augmented @ ridge.coef_.T).reshape(len(labels), -1)
    got = ours.decision_function(x)
    if classes == 2:
        assert np.allclose(got[:, 0], -got[:, 1])
        got = got[:, 1:]
    assert np.abs(got - want).max() < 1e-6


def test_models_need_two_classes():
    x = batch_tfidf(["alpha beta", "beta gamma"], min_df=1, max_df=1.0, max_features=10)
    with pytest.raises(ValueError, match="two classes"):
        fit_svm(x, ["a", "a"], c=0.5)
    with pytest.raises(ValueError, match="two classes"):
        fit_logistic(x, ["a", "a"], c=1.0)
    with pytest.raises(ValueError, match="two classes"):
        fit_least_squares(x, ["a", "a"], c=0.5)


def test_stratified_folds_spread_each_class_and_repeat():
    y = np.array(["a"] * 7 + ["b"] * 3 + ["c"] * 5)
    folds = stratified_folds(y, 3)
    tested = np.concatenate([test for _, test in folds])
    assert sorted(tested) == list(range(len(y)))  # every document tested exactly once
    for train, test in folds:
        assert set(train).isdisjoint(test)
        for label, size in (("a", 7), ("b", 3), ("c", 5)):
            assert np.count_nonzero(y[test] == label) in (size // 3, -(-size // 3))
    again = stratified_folds(y, 3)
    assert all((a[1] == b[1]).all() for a, b in zip(folds, again, strict=True))


def test_classifying_never_imports_scikit_learn():
    """The batch pass, its self-training and a model fitted on examples run without it."""
    script = f"""
import sys
from pathlib import Path
from docclass.classifiers.local import LocalClassifier
from docclass.taxonomy import load_taxonomy

def labelled(folder, per_class):
    paths = [p for c in sorted(folder.iterdir()) if c.is_dir()
             for p in sorted(c.glob("*.txt"))[:per_class]]
    return [p.read_text("utf-8") for p in paths], [p.parent.name for p in paths]

texts, labels = labelled(Path({str(EVAL)!r}), 20)
types = LocalClassifier(load_taxonomy(None), list(zip(texts[::9], labels[::9])))
types.classify_batch(texts)
topics, _ = labelled(Path({str(ARXIV)!r}), 15)
LocalClassifier(load_taxonomy(Path({str(ARXIV / "taxonomy.toml")!r}))).classify_batch(topics)
print(sorted(m for m in sys.modules if m.split(".")[0] == "sklearn"))
"""
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]", out.stderr[-2000:]
