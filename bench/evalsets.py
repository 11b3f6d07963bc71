"""The labelled development sets of ``../shared/eval``, loaded as the product would read them.

Each set is a list of :class:`EvalDoc` (text as extracted by docclass's own readers, its label,
its source and the detectors' findings) and the taxonomy it is classified under. Texts
extracted from PDF/DOCX files are cached under ``bench/.cache`` by the file's sha256 and the
extraction code's (a reader that changes extracts again), so a second run starts in a second.

``source`` says where a document comes from: its repository for ``doctype-dev2``; elsewhere
the file itself (``doctype-dev`` has one source per category, so no split by source is
possible within a category). ``half`` splits by source: "A" is where constants may be
tuned, "B" is held out.
"""

from __future__ import annotations

import hashlib
import inspect
import re
import zlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from docclass.detectors import DetectorResult, run_detectors
from docclass.taxonomy import Taxonomy, load_taxonomy

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT.parent / "shared" / "eval"
CACHE = ROOT / "bench" / ".cache" / "eval-text"
SETS = ("doctype-dev", "doctype-dev2", "consumer-complaints", "arxiv-areas")


@dataclass(frozen=True)
class EvalDoc:
    text: str
    label: str
    path: str
    source: str
    detectors: tuple[DetectorResult, ...]

    @property
    def half(self) -> str:
        return "A" if zlib.crc32(self.source.encode()) % 2 == 0 else "B"


def _label(folder: str) -> str:
    return folder.replace("_", " ")


def _dev2_sources() -> dict[str, str]:
    """``category/file`` → source repository, from the appendix of README-dev2.md."""
    readme = EVAL / "README-dev2.md"
    out: dict[str, str] = {}
    for line in readme.read_text("utf-8").splitlines():
        m = re.match(r"\| (\w+/\d{4}\.\w+) \| ([^|]+?) \|", line)
        if m:
            out[m.group(1)] = m.group(2).strip()
    return out


@cache
def _code_digest() -> str:
    """The readers' and the head builder's source: a cached text is theirs, or stale (an
    edit elsewhere in the classifier, the usual one while tuning, keeps the cache)."""
    from docclass.classifiers.local.classifier import HEAD_CHARS, classifier_input

    digest = hashlib.sha256()
    for source in sorted((ROOT / "docclass" / "extraction").glob("*.py")):
        digest.update(source.read_bytes())
    # The head builder cuts at HEAD_CHARS, a constant outside its own source.
    digest.update(f"{inspect.getsource(classifier_input)}{HEAD_CHARS}".encode())
    return digest.hexdigest()[:16]


def _text(path: Path) -> str:
    """The classifier's input, as the pipeline builds it (page starts marked)."""
    from docclass.classifiers.local import classifier_input
    from docclass.extraction.extract import extract_file

    if path.suffix == ".txt":
        return extract_file(str(path), path.name).text
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    cached = CACHE / f"{digest}-{_code_digest()}.head.txt"
    if cached.exists():
        return cached.read_text("utf-8")
    extracted = extract_file(str(path), path.name)
    text = classifier_input(extracted.text, extracted.page_starts)
    CACHE.mkdir(parents=True, exist_ok=True)
    cached.write_text(text, "utf-8")
    return text


def load_set(name: str) -> tuple[list[EvalDoc], Taxonomy]:
    """The documents of one set and the taxonomy they are classified under."""
    if name in ("doctype-dev", "doctype-dev2"):
        folder, taxonomy = EVAL / name, load_taxonomy("default")
    else:
        folder = EVAL / "topics-dev" / name
        taxonomy = load_taxonomy(folder / "taxonomy.toml")
    if not folder.is_dir():
        raise SystemExit(f"no development documents at {folder} (../shared/eval is missing)")
    sources = _dev2_sources() if name == "doctype-dev2" else {}
    names = set(taxonomy.names)
    keywords = taxonomy.keywords()
    docs = []
    for path in sorted(p for p in folder.glob("*/*") if p.name != "taxonomy.toml"):
        key = f"{path.parent.name}/{path.name}"
        label = path.parent.name if path.parent.name in names else _label(path.parent.name)
        # doctype-dev has one source per category and the topic sets one per document:
        # there a document is its own unit; doctype-dev2 is split by repository.
        source = sources.get(key, key)
        text = _text(path)
        docs.append(EvalDoc(text, label, key, source, tuple(run_detectors(text, keywords))))
    unknown = {d.label for d in docs} - names
    if unknown:
        raise SystemExit(f"{name}: labels not in the taxonomy: {sorted(unknown)}")
    return docs, taxonomy
