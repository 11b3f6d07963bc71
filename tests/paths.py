"""Where the shared real-world test data lives (read in place, never copied into the repo)."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("DOCCLASS_SHARED", ROOT.parent / "shared"))
CORPUS = Path(os.environ.get("DOCCLASS_CORPUS", SHARED / "corpus"))
EVAL = SHARED / "eval" / "doctype-dev"
COMPLAINTS = SHARED / "eval" / "topics-dev" / "consumer-complaints"


def corpus_manifest() -> list[tuple[str, Path, str]]:
    """(category, path, what other readers did) for every file in the corpus manifest."""
    rows = (CORPUS / "MANIFEST.tsv").read_text("utf-8").splitlines()[1:]
    out = []
    for row in rows:
        cells = row.split("\t")
        out.append((cells[0], CORPUS / cells[1], cells[5] if len(cells) > 5 else ""))
    return out


def corpus_files() -> list[tuple[str, Path]]:
    """(category, path) for every file in the corpus manifest."""
    return [(category, path) for category, path, _ in corpus_manifest()]


def eval_texts(category: str, n: int) -> list[Path]:
    return sorted((EVAL / category).glob("*.txt"))[:n]


def complaint_products() -> list[Path]:
    """The consumer-complaints set's product folders, in name order."""
    return sorted(p for p in COMPLAINTS.iterdir() if p.is_dir())


def complaint_files(per_category: int) -> list[Path]:
    """The first ``per_category`` complaints of each product, products in name order."""
    return [f for d in complaint_products() for f in sorted(d.glob("*.txt"))[:per_category]]
