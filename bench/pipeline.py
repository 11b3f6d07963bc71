"""Pipeline benchmark on the real-world corpus; prints numbers, asserts nothing.

    .venv/bin/python bench/pipeline.py [--corpus ../shared/corpus] [--workers 4]

Prints documents per second end to end (the service: upload, reader processes, detectors,
classifier, SQLite) and for extraction alone in the same kind of process pool, their ratio;
the cost of detectors and of the classifier relative to extraction; and store query times for
a job of 10,000 documents. Whole processes side by side: ``bench/throughput.py``.
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import statistics
import sys
import tempfile
import time
from concurrent.futures import TimeoutError as FutureTimeout
from functools import lru_cache
from pathlib import Path

import pebble

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from docclass.classifiers.local import LocalClassifier  # noqa: E402
from docclass.detectors import run_detectors  # noqa: E402
from docclass.extraction import DocumentError, extract_file  # noqa: E402
from docclass.jobs.processes import _init_process  # noqa: E402
from docclass.jobs.service import Service  # noqa: E402
from docclass.jobs.uploads import Upload  # noqa: E402
from docclass.schemas import DocumentResult  # noqa: E402
from docclass.settings import Limits, load_settings  # noqa: E402
from docclass.store import jobs, queue  # noqa: E402
from docclass.store.db import Database  # noqa: E402
from docclass.taxonomy import Taxonomy, load_taxonomy  # noqa: E402


def corpus_paths(corpus: Path) -> list[Path]:
    rows = (corpus / "MANIFEST.tsv").read_text("utf-8").splitlines()[1:]
    return [corpus / row.split("\t")[1] for row in rows]


def _timed_stages(path: str, limits: Limits) -> tuple[float, float, float] | None:
    """Extraction, detector and classifier seconds for one file, measured in one process
    right after each other, so the ratios hold however busy the machine is."""
    t0 = time.perf_counter()
    try:
        text = extract_file(path, Path(path).name, limits).text
    except DocumentError:
        return None
    t1 = time.perf_counter()
    taxonomy = _taxonomy()
    detected = run_detectors(text, taxonomy.keywords())
    t2 = time.perf_counter()
    _classifier().classify(text, detected, taxonomy)
    t3 = time.perf_counter()
    return t1 - t0, t2 - t1, t3 - t2


@lru_cache(maxsize=1)
def _taxonomy() -> Taxonomy:
    return load_taxonomy("default")


@lru_cache(maxsize=1)
def _classifier() -> LocalClassifier:
    return LocalClassifier(_taxonomy())


def _timed_extract(path: str, limits: Limits) -> float:
    t0 = time.perf_counter()
    with contextlib.suppress(DocumentError):
        extract_file(path, Path(path).name, limits)
    return time.perf_counter() - t0


def _pool(procs: int, limits: Limits) -> pebble.ProcessPool:
    pool = pebble.ProcessPool(
        max_workers=procs,
        initializer=_init_process,
        initargs=(limits.doc_memory_mb,),
        context=multiprocessing.get_context("spawn"),
    )
    list(pool.map(len, ["x"] * procs).result())  # start-up is not billed to the files
    return pool


def _run_all(pool: pebble.ProcessPool, fn, paths: list[Path], limits: Limits) -> list:
    futures = [pool.schedule(fn, (str(p), limits), timeout=limits.doc_timeout_s) for p in paths]
    results = []
    for f in futures:
        try:
            results.append(f.result())
        except (FutureTimeout, pebble.ProcessExpired, MemoryError):
            results.append(None)
    return results


def extraction_alone(paths: list[Path], procs: int, limits: Limits) -> float:
    """Wall time of extraction only, in a spawn process pool with the runner's timeout."""
    pool = _pool(procs, limits)
    t0 = time.perf_counter()
    _run_all(pool, _timed_extract, paths, limits)
    wall = time.perf_counter() - t0
    pool.close()
    pool.join()
    return wall


def stage_times(paths: list[Path], procs: int, limits: Limits) -> list:
    pool = _pool(procs, limits)
    results = _run_all(pool, _timed_stages, paths, limits)
    pool.close()
    pool.join()
    return results


def end_to_end(paths: list[Path], workers: int, procs: int, limits: Limits) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(
            data_dir=Path(tmp),
            database_url=f"sqlite:///{tmp}/bench.db",
            workers=workers,
            process_workers=procs,
            classifier="local",
            limits=limits,
        )
        service = Service(settings)
        # warm the process pool and the classifier like a running app would be
        warm = service.submit([Upload("warm.txt", b"warm up text for the pool")])
        service.wait_job(warm, timeout=120)
        t0 = time.perf_counter()
        job_id = service.submit([Upload(p.name, p) for p in paths])
        service.wait_job(job_id, timeout=3600, poll=0.05)
        wall = time.perf_counter() - t0
        service.stop(wait=True)
    return wall


def store_queries(n: int = 10_000) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{tmp}/big.db")
        docs = [
            jobs.NewDocument(filename=f"doc{i}.pdf", sha256=f"{i:064x}", size=1) for i in range(n)
        ]
        t0 = time.perf_counter()
        job_id = jobs.create_job(db=db, documents=docs, taxonomy_name="d", taxonomy_toml="")
        create_ms = (time.perf_counter() - t0) * 1000
        for _ in range(n // 30):
            claimed = queue.claim_documents(db=db, owner="bench", limit=10)
            outcomes = [queue.Outcome(c.doc_id, c.job_id, DocumentResult()) for c in claimed]
            queue.save_outcomes(db=db, owner="bench", outcomes=outcomes)

        def timeit(fn, repeat: int = 7) -> float:
            samples = []
            for _ in range(repeat):
                t = time.perf_counter()
                fn()
                samples.append((time.perf_counter() - t) * 1000)
            return statistics.median(samples)

        out = {
            "create_job_ms": create_ms,
            "get_job_with_documents_ms": timeit(lambda: jobs.get_job(db=db, job_id=job_id)),
            "get_job_counts_only_ms": timeit(
                lambda: jobs.get_job(db=db, job_id=job_id, include_documents=False)
            ),
            "list_jobs_ms": timeit(lambda: jobs.list_jobs(db=db)),
            "claim_10_documents_ms": timeit(
                lambda: queue.claim_documents(db=db, owner="bench", limit=10)
            ),
        }
        db.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--procs", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=60.0)
    args = parser.parse_args()
    paths = corpus_paths(args.corpus)
    limits = Limits(doc_timeout_s=args.timeout)
    print(f"corpus: {len(paths)} files, {args.workers} threads, {args.procs} processes")

    ext_wall = extraction_alone(paths, args.procs, limits)
    e2e_wall = end_to_end(paths, args.workers, args.procs, limits)
    n = len(paths)
    print(f"extraction alone : {n / ext_wall:7.2f} docs/s  ({ext_wall:.2f} s)")
    print(f"end to end       : {n / e2e_wall:7.2f} docs/s  ({e2e_wall:.2f} s)")
    print(f"ratio end-to-end / extraction throughput: {ext_wall / e2e_wall:.2f}")
    results = stage_times(paths, args.procs, limits)

    stages = [r for r in results if r is not None]
    extract_s = sum(r[0] for r in stages)
    detect_s = sum(r[1] for r in stages)
    classify_s = sum(r[2] for r in stages)
    print(
        f"documents with text: {len(stages)}; stage times summed over them, each file's "
        "stages timed back to back in one worker process:"
    )
    print(f"  extraction {extract_s:.3f} s")
    print(f"  detectors  {detect_s:.3f} s = {100 * detect_s / extract_s:.1f}% of extraction")
    print(
        f"  classifier {classify_s:.3f} s = {100 * classify_s / extract_s:.1f}% of extraction "
        f"({len(stages) / classify_s:.0f} docs/s)"
    )

    for name, ms in store_queries().items():
        print(f"10,000-document job: {name:28} {ms:8.1f} ms")


if __name__ == "__main__":
    main()
