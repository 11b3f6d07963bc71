"""The optional embedding backend with its real model (requirements-embed.txt installed).

The model file is the one installed from PyPI; the documents are real ones from
``../shared/eval``. Thresholds sit well below what ``bench/embedding_eval.py`` measures so
that the tests catch breakage, not noise.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from docclass.classifiers.embedding import (
    Embedder,
    EmbeddingUnavailable,
    load_embedder,
    softmax,
    zero_shot_scores,
)
from docclass.classifiers.embedding.cotrain import co_train, confident_rows
from docclass.classifiers.embedding.model import (
    MODEL_SHA256,
    TOKENIZER_FILE,
    TOKENIZER_SHA256,
    installed_model_path,
    sha256_file,
)
from docclass.taxonomy import load_taxonomy
from tests.paths import ROOT, SHARED

TOPICS = SHARED / "eval" / "topics-dev" / "arxiv-areas"


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return load_embedder()


def test_installed_files_are_the_pinned_ones() -> None:
    assert sha256_file(installed_model_path()) == MODEL_SHA256
    assert sha256_file(TOKENIZER_FILE) == TOKENIZER_SHA256


def test_a_damaged_model_file_is_refused_with_the_fix(tmp_path: Path) -> None:
    copy = tmp_path / "model.onnx"
    shutil.copyfile(installed_model_path(), copy)
    with copy.open("r+b") as fh:  # one flipped byte in the middle of the weights
        fh.seek(copy.stat().st_size // 2)
        byte = fh.read(1)
        fh.seek(-1, 1)
        fh.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(EmbeddingUnavailable) as err:
        Embedder(copy)
    message = str(err.value)
    assert f"expected {MODEL_SHA256}" in message
    assert str(copy) in message
    assert "requirements-embed.txt" in message


def test_a_missing_model_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(EmbeddingUnavailable, match=r"missing.*requirements-embed\.txt"):
        Embedder(tmp_path / "model.onnx")


def test_without_the_optional_packages_the_error_names_the_requirements_file() -> None:
    code = (
        "import sys; sys.modules['onnxruntime'] = None\n"
        "import docclass.classifiers.embedding as e\n"
        "try:\n    e.load_embedder()\n"
        "except e.EmbeddingUnavailable as exc:\n    print(exc)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert "onnxruntime" in out
    assert "pip install -r requirements-embed.txt" in out


def test_vectors_are_unit_length_float32_and_deterministic(embedder: Embedder) -> None:
    texts = [
        "Invoice no. 2024-17. Bill to: ACME GmbH. Amount due: 1,200.00 EUR within 30 days.",
        "",
        "Dear Ms Smith, thank you for your letter of 3 May.",
    ]
    first = embedder.embed(texts)
    assert first.shape == (3, 384)
    assert first.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(first, axis=1), 1.0, atol=1e-5)
    # Same bits again, alone, and inside another batch of other lengths.
    assert np.array_equal(first, embedder.embed(texts))
    alone = embedder.embed([texts[0]])[0]
    mixed = embedder.embed(["a short one", texts[0], "x " * 900, texts[2]])
    assert np.array_equal(alone, mixed[1])
    assert np.array_equal(first[2], mixed[3])
    assert embedder.embed([]).shape == (0, 384)


def test_only_the_bounded_opening_of_a_long_text_is_read(embedder: Embedder) -> None:
    head = "The court granted the motion to dismiss the complaint. " * 200
    a, b = embedder.embed([head + "recipe for carrot cake " * 5000, head + "poem " * 5000])
    assert np.array_equal(a, b)


def test_similar_texts_are_closer_than_unrelated_ones(embedder: Embedder) -> None:
    a, b, c = embedder.embed(
        [
            "The bank charged me an overdraft fee on my checking account twice.",
            "My savings account was hit with unexpected fees by the bank.",
            "We measure the rotation curves of nearby spiral galaxies.",
        ]
    )
    assert a @ b > 0.5
    assert a @ b > a @ c + 0.3


def _arxiv(per_label: int) -> tuple[list[str], list[str]]:
    texts, labels = [], []
    for folder in sorted(p for p in TOPICS.iterdir() if p.is_dir()):
        for path in sorted(folder.glob("*.txt"))[:per_label]:
            texts.append(path.read_text("utf-8"))
            labels.append(folder.name)
    assert len(texts) == 8 * per_label, f"arxiv-areas is missing or incomplete at {TOPICS}"
    return texts, labels


def test_zero_shot_finds_the_research_area_of_real_abstracts(embedder: Embedder) -> None:
    taxonomy = load_taxonomy(TOPICS / "taxonomy.toml")
    texts, labels = _arxiv(5)
    scores = zero_shot_scores(embedder, texts, taxonomy)
    assert scores.shape == (40, 8)
    predicted = [taxonomy.names[i] for i in scores.argmax(axis=1)]
    acc = np.mean([p == t for p, t in zip(predicted, labels, strict=True)])
    assert acc >= 0.55, acc  # the bench measures ~67% on all 319


def test_co_training_is_deterministic_and_keeps_every_row_a_distribution(
    embedder: Embedder,
) -> None:
    taxonomy = load_taxonomy(TOPICS / "taxonomy.toml")
    texts, labels = _arxiv(8)
    vectors = embedder.embed(texts)
    seed = softmax(zero_shot_scores(embedder, texts, taxonomy, doc_vectors=vectors), 0.05)
    probs = co_train(texts, vectors, seed)
    assert np.array_equal(probs, co_train(texts, vectors, seed))
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-6)
    predicted = [taxonomy.names[i] for i in probs.argmax(axis=1)]
    assert np.mean([p == t for p, t in zip(predicted, labels, strict=True)]) >= 0.5


def test_confident_rows_take_a_share_of_every_predicted_category() -> None:
    probs = np.array([[0.9, 0.1], [0.6, 0.4], [0.55, 0.45], [0.2, 0.8], [0.3, 0.7]])
    # Category 0 has three rows (take 2 of them, the surest), category 1 two (take 1).
    assert confident_rows(probs, 0.5).tolist() == [0, 1, 3]
