"""What the extraction tests share: sample pages, the corpus fixture, an exact-raise helper.

A plain module, not a conftest: each test module that needs the corpus binds the fixture
by name (``corpus_dir = support.corpus_dir``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from docclass.extraction import DocumentError, Extracted
from tests.paths import ROOT

MB = 1024 * 1024
PAGES = ["Alpha page one\nsecond line", "Bravo page two", "Charlie page three"]


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    """The shared real-world corpus (``../shared/corpus`` or $DOCCLASS_CORPUS), read in place."""
    default = ROOT.parent / "shared" / "corpus"
    path = Path(os.environ.get("DOCCLASS_CORPUS") or default)
    if not (path / "MANIFEST.tsv").is_file():
        pytest.fail(f"corpus not found at {path}")
    return path


def _raises(exc_type: type[DocumentError], fn: Callable[[], Extracted]) -> str:
    """Run ``fn``, demand exactly ``exc_type`` (its name is stored), return the message."""
    with pytest.raises(DocumentError) as info:
        fn()
    assert type(info.value) is exc_type, f"{type(info.value).__name__}: {info.value}"
    return str(info.value)
