"""Example documents for supervised classification: taxonomy example folders."""

from __future__ import annotations

import logging
from pathlib import Path

from docclass.extraction import DocumentError, extract_file
from docclass.settings import Limits
from docclass.taxonomy import Taxonomy

log = logging.getLogger(__name__)

MAX_EXAMPLES_PER_CATEGORY = 200
EXAMPLE_CHARS = 20_000


def folder_examples(taxonomy: Taxonomy, limits: Limits | None = None) -> list[tuple[str, str]]:
    """(text, category) for every readable file under each category's ``examples`` folder.

    An unreadable example is skipped with a warning: one bad file must not stop a taxonomy.
    """
    limits = limits or Limits(max_chars=EXAMPLE_CHARS)
    out: list[tuple[str, str]] = []
    for category in taxonomy.categories:
        folder = category.examples
        if folder is None:
            continue
        if not folder.is_dir():
            log.warning("examples folder of %r not found: %s", category.name, folder)
            continue
        files = sorted(
            p for p in Path(folder).rglob("*") if p.is_file() and not p.name.startswith(".")
        )
        for path in files[:MAX_EXAMPLES_PER_CATEGORY]:
            try:
                text = extract_file(path, path.name, limits).text
            except DocumentError as exc:
                log.warning("skipping example %s: %s", path, exc)
                continue
            out.append((text, category.name))
    return out
