"""The offline classifier: TF-IDF, keyword and layout cues, zero-shot or from examples.

One module per job:

* :mod:`.tokens` — tokens, stemming, function words and the TF-IDF vectorizer;
* :mod:`.layout` — layout measurements of a document head (:func:`structure`);
* :mod:`.concepts` — the built-in lexicon of common document types, catch-all categories,
  which concepts a category is linked to, and its profile text;
* :mod:`.zero_shot` — the zero-shot evidence and its softmax;
* :mod:`.supervised` — the model fitted on examples, its calibration, the blend;
* :mod:`.calibration` — confidence as a probability of being right (Platt per stage);
* :mod:`.explain` — top terms and the rationale;
* :mod:`.classifier` — :class:`LocalClassifier` (``classify``, ``classify_batch`` with
  self-training).

The numeric constants in these modules were chosen on half A of the shared development sets
(split by source, see ``bench/evalsets.py``); ``bench/classify_eval.py`` reports the held-out
half B next to it. They are re-exported here to be read; ``HEAD_CHARS`` is looked up in
:mod:`.classifier` at every call, so that is where to change it.

Nothing here imports scikit-learn (a second of CPU per process): the models are fitted by
:mod:`docclass.classifiers.linear`.
"""

from __future__ import annotations

from docclass.classifiers.local.classifier import (
    CENTRE_MIN,
    HEAD_CHARS,
    SELF_TRAIN_MIN,
    SELF_TRAIN_SHARES,
    SELF_TRAIN_WEIGHT,
    LocalClassifier,
    classifier_input,
)
from docclass.classifiers.local.concepts import (
    CONCEPTS,
    LAYOUTS,
    TITLE_BONUS,
    Concept,
    Cue,
    concept_links,
    is_catch_all,
    profile_text,
)
from docclass.classifiers.local.layout import structure
from docclass.classifiers.local.supervised import (
    ONE_CLASS_WEIGHT,
    SVM_C,
    SVM_TEMPERATURE,
    ZERO_SHOT_WEIGHT,
)
from docclass.classifiers.local.tokens import analyze
from docclass.classifiers.local.zero_shot import (
    OTHER_EVIDENCE,
    TEMPERATURE,
    W_CUES,
    W_KEYWORDS,
    W_SIM,
    softmax,
)

__all__ = [
    "CENTRE_MIN",
    "CONCEPTS",
    "HEAD_CHARS",
    "LAYOUTS",
    "ONE_CLASS_WEIGHT",
    "OTHER_EVIDENCE",
    "SELF_TRAIN_MIN",
    "SELF_TRAIN_SHARES",
    "SELF_TRAIN_WEIGHT",
    "SVM_C",
    "SVM_TEMPERATURE",
    "TEMPERATURE",
    "TITLE_BONUS",
    "W_CUES",
    "W_KEYWORDS",
    "W_SIM",
    "ZERO_SHOT_WEIGHT",
    "Concept",
    "Cue",
    "LocalClassifier",
    "analyze",
    "classifier_input",
    "concept_links",
    "is_catch_all",
    "profile_text",
    "softmax",
    "structure",
]
