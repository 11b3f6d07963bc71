"""Detectors: small pattern finders run over a document's text.

Each detector is one function ``(text) -> list[Span]`` (:mod:`.finders`); register it in
``DETECTORS`` (:mod:`.run`) and it runs everywhere (runner, export, classifiers). Examples
are masked so that evidence can be shown and exported without leaking the personal data it
points at.

Every pattern is a :class:`BoundedPattern`: its repeats are capped and it only ever runs on
slices of at most ``WINDOW`` plus its reach characters, so no text, however hostile, can make
a detector cost more than linear time. The personal-data detectors match a view of the text
in which Unicode spaces, dashes, digits and full-width forms are spelled in ASCII, one
character for one, so that their offsets are offsets into the original text.
"""

from __future__ import annotations

from docclass.detectors.bounded import SHORT, WINDOW, BoundedPattern, Hit, pattern_reach
from docclass.detectors.checks import iban_ok, luhn_ok, mask_email
from docclass.detectors.finders import detect_emails  # each finder is in DETECTORS too
from docclass.detectors.results import MAX_EXAMPLES, MAX_SPANS, DetectorResult, Span
from docclass.detectors.run import (
    DETECTORS,
    PII_DETECTORS,
    Detector,
    counts,
    keyword_pattern,
    run_detectors,
)
from docclass.detectors.view import pii_view

__all__ = [
    "DETECTORS",
    "MAX_EXAMPLES",
    "MAX_SPANS",
    "PII_DETECTORS",
    "SHORT",
    "WINDOW",
    "BoundedPattern",
    "Detector",
    "DetectorResult",
    "Hit",
    "Span",
    "counts",
    "detect_emails",
    "iban_ok",
    "keyword_pattern",
    "luhn_ok",
    "mask_email",
    "pattern_reach",
    "pii_view",
    "run_detectors",
]
