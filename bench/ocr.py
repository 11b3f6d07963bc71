"""OCR benchmark: character error rate, word accuracy and pages per second; prints numbers.

    .venv/bin/python bench/ocr.py [--corpus ../shared/corpus] [--pages 12] [--dpi 200 300]
                                  [--engine tesseract rapidocr] [--verbose]

Ground truth is the text layer: text-layer PDFs of the corpus (and, with no DOCX-to-PDF
converter installed here, the text of two corpus DOCX files and two labelled business
documents typeset in Times-Roman by a minimal PDF writer) are rendered by pdfium at each dpi,
as the reader does for a scan, and OCR'd; the OCR text is compared with the page's text layer.

Rows: ``clean`` (the rendering as is) and ``noisy`` (rotated 1-3°, grey paper, JPEG quality
30), at each dpi. CER is the Levenshtein distance over characters divided by the length of
the truth, word accuracy 1 - (word-level distance / words), both on NFKC text with whitespace
collapsed, summed over pages; "any order" is the share of the truth's words found in the OCR
text wherever they are. Tables (``layout=table``) are printed apart: their text layer
reads row by row and OCR column block by column block, so the order, not the reading, differs.
Speed: pages per wall second and per CPU second of this one-threaded process (the second
holds on a busy machine), and characters of truth per CPU second.

``--engine rapidocr`` runs the same pages through RapidOCR (rapidocr_onnxruntime, one
onnxruntime thread), which is not a dependency: install it in a scratch venv to compare.
"""

from __future__ import annotations

import argparse
import io
import random
import sys
import time
import unicodedata
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from docclass.extraction import extract_file, ocr  # noqa: E402
from docclass.extraction.scans import _render  # noqa: E402
from docclass.settings import Limits  # noqa: E402
from tests.builders import assemble_pdf  # noqa: E402

# (path in the corpus, layout): English text-layer PDFs of the baseline category.
PDFS = [
    ("py-pdf+sample-files/004-pdflatex-4-pages/pdflatex-4-pages.pdf", "prose"),
    ("py-pdf+sample-files/011-google-doc-document/google-doc-document.pdf", "prose"),
    ("py-pdf+sample-files/002-trivial-libre-office-writer/002-trivial-libre-office-writer.pdf",
     "prose"),
    ("py-pdf+sample-files/021-pdfa/crazyones-pdfa.pdf", "prose"),
    ("py-pdf+sample-files/026-latex-multicolumn/multicolumn.pdf", "prose"),
    ("microsoft+markitdown/packages/markitdown/tests/test_files/test.pdf", "prose"),
    ("pypdfium2-team+pypdfium2/tests/resources/multipage.pdf", "prose"),
    ("jsvine+pdfplumber/examples/pdfs/ca-warn-report.pdf", "table"),
]  # fmt: skip
DOCX = ["apache+poi/test-data/document/60329.docx", "apache+poi/test-data/document/delins.docx"]
EVAL = ["receipt", "resume"]  # one labelled document of each, from ../shared/eval/doctype-dev
PAGES_PER_FILE = 2
MIN_TRUTH_CHARS = 200


@dataclass
class Page:
    name: str
    layout: str
    pdf: pdfium.PdfDocument
    index: int
    truth: str


@dataclass
class Row:
    errors: int = 0
    chars: int = 0
    word_errors: int = 0
    words: int = 0
    found: int = 0  # truth words present in the OCR text, in any order
    pages: int = 0
    wall_s: float = 0.0
    cpu_s: float = 0.0
    confidences: list[float] = field(default_factory=list)


# --- ground truth ----------------------------------------------------------------------------


def norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).split())


def _levenshtein(a: np.ndarray, b: np.ndarray) -> int:
    """Edit distance, one numpy row at a time (insertions via a running minimum)."""
    if not len(a) or not len(b):
        return max(len(a), len(b))
    steps = np.arange(len(b) + 1)
    previous = steps.copy()
    for i, symbol in enumerate(a, 1):
        current = np.empty_like(previous)
        current[0] = i
        current[1:] = np.minimum(previous[1:] + 1, previous[:-1] + (b != symbol))
        previous = np.minimum.accumulate(current - steps) + steps
    return int(previous[-1])


def char_distance(a: str, b: str) -> int:
    codes = (np.frombuffer(s.encode("utf-32-le"), dtype=np.uint32) for s in (a, b))
    return _levenshtein(*codes)


def word_distance(a: str, b: str) -> int:
    vocab: dict[str, int] = {}
    ids = (np.array([vocab.setdefault(w, len(vocab)) for w in s.split()]) for s in (a, b))
    return _levenshtein(*ids)


def typeset(paragraphs: list[str], font: str = "Times-Roman") -> bytes:
    """A minimal PDF of ``paragraphs`` in a standard font, 11 pt, wrapped at 90 characters."""
    lines: list[str] = []
    for para in paragraphs:
        words = para.split()
        line = ""
        for word in words:
            if len(line) + len(word) + 1 > 90:
                lines.append(line)
                line = word
            else:
                line = f"{line} {word}".strip()
        lines += [line, ""] if line else []
    pages = [lines[i : i + 52] for i in range(0, len(lines), 52)] or [[]]
    objects = [b"", b"", b"<< /Type /Font /Subtype /Type1 /BaseFont /%s >>" % font.encode()]
    kids = []
    for page in pages:
        shown = b" T* ".join(
            b"(" + ln.encode("cp1252", "ignore").replace(b"\\", b"").replace(b"(", b"[")
            .replace(b")", b"]") + b") Tj"
            for ln in page
        )  # fmt: skip
        stream = b"BT /F1 11 Tf 13 TL 60 740 Td " + shown + b" ET"
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % (len(objects))
        )
        kids.append(len(objects))
    objects[0] = b"<< /Type /Catalog /Pages 2 0 R >>"
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % k for k in kids),
        len(kids),
    )
    return assemble_pdf(objects)


def sample_pages(corpus: Path, limit: int) -> list[Page]:
    """Text-layer pages with enough text, up to ``limit`` prose pages (tables besides)."""
    sources: list[tuple[str, str, pdfium.PdfDocument]] = []
    for rel, layout in PDFS:
        sources.append((Path(rel).name, layout, pdfium.PdfDocument(corpus / rel)))
    for rel in DOCX:
        text = extract_file(corpus / rel).text
        sources.append(
            (Path(rel).name + " (typeset)", "docx", pdfium.PdfDocument(typeset(text.split("\n\n"))))
        )
    evals = corpus.parent / "eval" / "doctype-dev"
    for category in EVAL:
        path = sorted((evals / category).glob("*.txt"))[0]
        pdf = pdfium.PdfDocument(typeset(path.read_text("utf-8").split("\n\n")))
        sources.append((f"{category}/{path.name} (typeset)", "docx", pdf))
    pages: list[Page] = []
    prose = 0
    for index in range(PAGES_PER_FILE):  # every file's first page, then the second pages
        for name, layout, pdf in sources:
            if index >= len(pdf):
                continue
            textpage = pdf[index].get_textpage()
            truth = norm(textpage.get_text_range())
            textpage.close()
            if len(truth) < MIN_TRUTH_CHARS or (layout != "table" and prose >= limit):
                continue
            prose += layout != "table"
            pages.append(Page(name, layout, pdf, index, truth))
    return pages


# --- images and engines ----------------------------------------------------------------------


def noisy(image: Image.Image, seed: int) -> Image.Image:
    """A worse scan: grey paper and ink, rotated 1-3°, saved as a JPEG of quality 30."""
    rnd = random.Random(seed)
    angle = rnd.uniform(1.0, 3.0) * rnd.choice((-1, 1))
    grey = image.point(lambda v: 60 + v * (190 - 60) // 255)
    turned = grey.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=190)
    buf = io.BytesIO()
    turned.save(buf, "JPEG", quality=30)
    return Image.open(io.BytesIO(buf.getvalue())).convert("L")


def tesseract(limits: Limits) -> Callable[[Image.Image, int], tuple[str, float | None]]:
    def run(image: Image.Image, dpi: int) -> tuple[str, float | None]:
        found = ocr.recognise(image, dpi, limits)
        assert found is not None
        return found.text, found.confidence

    return run


def rapidocr(_limits: Limits) -> Callable[[Image.Image, int], tuple[str, float | None]]:
    from rapidocr_onnxruntime import RapidOCR

    engine = RapidOCR(intra_op_num_threads=1, inter_op_num_threads=1)

    def run(image: Image.Image, _dpi: int) -> tuple[str, float | None]:
        result, _ = engine(np.asarray(image.convert("RGB")))
        result = result or []
        scores = [float(r[2]) for r in result]
        return "\n".join(r[1] for r in result), (sum(scores) / len(scores) if scores else None)

    return run


ENGINES = {"tesseract": tesseract, "rapidocr": rapidocr}


def measure(engine: str, pages: list[Page], dpi: int, noise: bool, verbose: bool) -> dict[str, Row]:
    limits = Limits(ocr_dpi=dpi)
    recognise = ENGINES[engine](limits)
    rows: dict[str, Row] = {}
    for page in pages:
        handle = page.pdf[page.index]
        bitmap, rendered_dpi = _render(handle, limits)
        image = bitmap.to_pil().convert("L")
        if noise:
            image = noisy(image, seed=zlib.crc32(f"{page.name}:{page.index}".encode()))
        wall, cpu = time.perf_counter(), time.process_time()
        text, confidence = recognise(image, rendered_dpi)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        got = norm(text)
        row = rows.setdefault("table" if page.layout == "table" else "text", Row())
        errors, word_errors = char_distance(got, page.truth), word_distance(got, page.truth)
        row.errors += errors
        row.chars += len(page.truth)
        row.word_errors += word_errors
        row.words += len(page.truth.split())
        row.found += sum((Counter(page.truth.split()) & Counter(got.split())).values())
        row.pages += 1
        row.wall_s += wall
        row.cpu_s += cpu
        if confidence is not None:
            row.confidences.append(confidence)
        if verbose:
            cer, acc = errors / len(page.truth), 1 - word_errors / len(page.truth.split())
            print(
                f"    {page.name} p{page.index + 1} [{page.layout}] CER {cer:.3f} words {acc:.3f}"
            )
        bitmap.close()
        handle.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--pages", type=int, default=12, help="text pages per row (tables besides)")
    parser.add_argument("--dpi", type=int, nargs="+", default=[200, 300])
    parser.add_argument("--engine", nargs="+", default=["tesseract"], choices=sorted(ENGINES))
    parser.add_argument("--verbose", action="store_true", help="one line per page")
    args = parser.parse_args()
    why = ocr.unavailable(Limits())
    if "tesseract" in args.engine and why:
        sys.exit(f"OCR is unavailable: {why}")
    pages = sample_pages(args.corpus, args.pages)
    docs = len({p.name for p in pages})
    print(f"{len(pages)} pages from {docs} documents; one process, one thread")
    header = (
        f"{'engine':<10} {'dpi':>4} {'scan':<6} {'pages':<11} {'CER':>7} {'word acc':>9} "
        f"{'any order':>10} "
        f"{'pages/s':>8} {'pages/cpu-s':>12} {'chars/cpu-s':>12} {'mean conf':>10}"
    )
    print(header)
    for engine in args.engine:
        for dpi in args.dpi:
            for noise in (False, True):
                rows = measure(engine, pages, dpi, noise, args.verbose)
                for kind, row in sorted(rows.items(), key=lambda kv: kv[0] != "text"):
                    conf = sum(row.confidences) / len(row.confidences) if row.confidences else 0
                    print(
                        f"{engine:<10} {dpi:>4} {'noisy' if noise else 'clean':<6} "
                        f"{f'{row.pages} {kind}':<11} {row.errors / row.chars:>7.2%} "
                        f"{1 - row.word_errors / row.words:>9.2%} {row.found / row.words:>10.2%} "
                        f"{row.pages / row.wall_s:>8.2f} "
                        f"{row.pages / row.cpu_s:>12.2f} {row.chars / row.cpu_s:>12,.0f} "
                        f"{conf:>10.2f}",
                        flush=True,
                    )


if __name__ == "__main__":
    main()
