"""The limit: bare text extraction (pypdfium2, python-docx, plain read) on all cores.

    python bench/bare_extract.py FOLDER

No detectors, no classifier, no database: what reading the files alone costs.
"""

from __future__ import annotations

import os
import sys
from multiprocessing import Pool
from pathlib import Path


def text_of(path: str) -> int:
    import docx
    import pypdfium2 as pdfium

    p = Path(path)
    head = p.read_bytes()[:8]
    try:
        if head.startswith(b"%PDF"):
            pdf = pdfium.PdfDocument(path)
            n = sum(len(pdf[i].get_textpage().get_text_range()) for i in range(len(pdf)))
            pdf.close()
            return n
        if head.startswith(b"PK"):
            return sum(len(par.text) for par in docx.Document(path).paragraphs)
        return len(p.read_text("utf-8", errors="replace"))
    except Exception:
        return -1


def main() -> None:
    files = sorted(str(p) for p in Path(sys.argv[1]).rglob("*") if p.is_file())
    with Pool(os.cpu_count() or 1) as pool:
        sizes = pool.map(text_of, files, chunksize=8)
    print(f"{len(files)} files, {sum(s for s in sizes if s > 0)} characters")


if __name__ == "__main__":
    main()
