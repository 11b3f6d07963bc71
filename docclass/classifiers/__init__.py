"""Classifiers: turn text plus detector findings into one category of a taxonomy."""

from docclass.classifiers.base import Classification, ClassificationError, Classifier

__all__ = ["Classification", "ClassificationError", "Classifier"]
