"""The design docclass replaces: one process, pypdf, one file after another.

    python bench/naive_loop.py FOLDER

Reads each file (pypdf for PDF, python-docx for Word, plain text otherwise), runs the
detectors and the local classifier, and prints one CSV line per file.
"""

from __future__ import annotations

import sys
from pathlib import Path

import docx
import pypdf

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from docclass.classifiers.local import LocalClassifier  # noqa: E402
from docclass.detectors import run_detectors  # noqa: E402
from docclass.taxonomy import load_taxonomy  # noqa: E402


def text_of(path: Path) -> str:
    head = path.read_bytes()[:8]
    if head.startswith(b"%PDF"):
        return "\n".join(page.extract_text() or "" for page in pypdf.PdfReader(path).pages)
    if head.startswith(b"PK"):
        return "\n".join(p.text for p in docx.Document(str(path)).paragraphs)
    return path.read_text("utf-8", errors="replace")


def main() -> None:
    taxonomy = load_taxonomy("default")
    classifier = LocalClassifier(taxonomy)
    for path in sorted(p for p in Path(sys.argv[1]).rglob("*") if p.is_file()):
        try:
            text = text_of(path)
        except Exception as exc:
            print(f"{path.name},error,{type(exc).__name__}")
            continue
        found = run_detectors(text, taxonomy.keywords())
        answer = classifier.classify(text, found, taxonomy)
        print(f"{path.name},{answer.final_category},{answer.confidence:.3f}")


if __name__ == "__main__":
    main()
