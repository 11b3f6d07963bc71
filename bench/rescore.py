"""How long an analyst's re-score takes, end to end, as the app's button runs it.

Builds a job in a temporary data directory (the 897 texts of ``../shared/eval``'s
doctype-dev and topics-dev under the default taxonomy; with ``--set``, one topics set under
its own taxonomy, or ``doctypes``: the 397 files of both type sets, whose heads are longer),
corrects ``--corrections`` of its documents, then times
``Service.rescore`` ``--repeats`` times: the store's reads and writes and the batch pass in a
reader process, with its transfer. Prints each run, the median and fastest per 1,000
documents, and the median of each part. Prints numbers, asserts nothing.

Run from the repository root: ``.venv/bin/python bench/rescore.py [--set arxiv-areas]``.
"""

from __future__ import annotations

import argparse
import collections
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
EVAL = ROOT.parent / "shared" / "eval"


def _files(name: str | None) -> tuple[list[Path], str | None]:
    """The job's files, and the taxonomy TOML they are classified under (None: default)."""
    if name is None:
        texts = sorted((EVAL / "doctype-dev").glob("*/*.txt"))
        return texts + sorted((EVAL / "topics-dev").glob("*/*/*.txt")), None
    if name == "doctypes":  # real PDF, Word and text files, whose heads are full length
        return sorted(
            p for s in ("doctype-dev", "doctype-dev2") for p in (EVAL / s).glob("*/*.*")
        ), None
    folder = EVAL / "topics-dev" / name
    return sorted(folder.glob("*/*.txt")), (folder / "taxonomy.toml").read_text("utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--set",
        default=None,
        help="a topics-dev set, under its own taxonomy; or doctypes: doctype-dev and "
        "doctype-dev2's 397 files (PDF, Word, text) under the default taxonomy",
    )
    parser.add_argument("--corrections", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    files, toml = _files(args.set)
    if not files:
        raise SystemExit(f"no development texts under {EVAL} (../shared/eval is missing)")
    os.environ["DOCCLASS_DATA_DIR"] = tempfile.mkdtemp(prefix="docclass-rescore-")

    import docclass.store.documents as documents
    from docclass.jobs.service import Service
    from docclass.jobs.uploads import Upload
    from docclass.taxonomy import parse_taxonomy

    parts: dict[str, list[float]] = collections.defaultdict(list)

    def timed(owner: object, name: str, label: str) -> None:
        original: Callable = getattr(owner, name)

        def wrapper(*args: object, **kwargs: object) -> object:
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                parts[label].append(time.perf_counter() - start)

        setattr(owner, name, wrapper)

    service = Service()
    try:
        taxonomy = None if toml is None else parse_taxonomy(toml, name=args.set)
        job = service.submit([Upload(f.name, f) for f in files], taxonomy=taxonomy)
        print(f"job of {len(files)} files: {service.wait_job(job, timeout=900)}")
        docs = service.get_job(job).documents
        names = service.job_taxonomy(job).names
        for doc in docs[: args.corrections]:  # a category other than the answer
            service.correct(doc.id, next(n for n in names if n != doc.final_category))
        timed(documents, "refinable_documents", "read the answers")
        timed(documents, "classifier_readings", "read the stored inputs")
        timed(documents, "save_refined", "save the answers")
        runs = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            service.rescore(job)
            runs.append(time.perf_counter() - start)
    finally:
        service.stop(wait=True)
    per_1000 = [1000 * r / len(files) for r in runs]
    print("re-score runs (s):", ", ".join(f"{r:.2f}" for r in runs))
    print(
        f"per 1,000 documents: median {statistics.median(per_1000):.2f} s, "
        f"fastest {min(per_1000):.2f} s"
    )
    stored = sum(statistics.median(v) for v in parts.values())
    for label, values in parts.items():
        print(f"  {label:24s} median {1000 * statistics.median(values):6.0f} ms")
    print(
        f"  {'reader process and transfer':24s} about "
        f"{1000 * (statistics.median(runs) - stored):.0f} ms (the rest)"
    )


if __name__ == "__main__":
    main()
