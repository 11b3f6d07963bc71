"""How long one refresh of the Job status page takes with a running 200-document job.

The status page polls once a second while a job runs; the budget is 300 ms of server time
per tick. This builds a job of N documents in a temporary database (some completed with
full results, some failed, some processing, the rest pending), then times:

1. ``webui.jobs.load_job_view`` alone: the one read and the table the fragment polls;
2. for comparison, the heavier reads a page could use instead (every document's full row)
   and the selected document's full result;
3. a whole AppTest run of the status page (the router, sidebar, the fragment), which is
   more than one fragment tick does, with and without a selected document.

Run: ``.venv/bin/python bench/status_page.py [--docs 200] [--repeat 10]``
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CATEGORIES = ["invoice", "receipt", "contract", "resume", "letter", "email", "report"]


def build_job(service: object, n_docs: int) -> str:
    """A running job: ~40% completed (full results), 5% failed, 4 processing, rest pending."""
    from docclass.schemas import DocumentResult
    from docclass.store import jobs, queue

    db = service.db  # type: ignore[attr-defined]
    rng = random.Random(7)
    docs = [
        jobs.NewDocument(filename=f"document-{i:04d}.pdf", sha256=f"{i:064x}", size=100_000 + i)
        for i in range(n_docs)
    ]
    job_id = jobs.create_job(
        db=db,
        documents=docs,
        taxonomy_name="default",
        taxonomy_toml=_default_toml(),
        classifier="local",
    )
    owner = "bench:1:token"
    queue.heartbeat(db=db, worker_id=owner, host="bench", pid=os.getpid())
    n_completed, n_failed, n_processing = int(n_docs * 0.4), int(n_docs * 0.05), 4
    claimed = queue.claim_documents(db=db, owner=owner, limit=n_completed + n_failed + n_processing)
    outcomes = []
    for i, c in enumerate(claimed):
        if i < n_completed:
            scores = {cat: rng.random() for cat in CATEGORIES}
            best = max(scores, key=scores.__getitem__)
            result = DocumentResult(
                final_category=best,
                confidence=scores[best],
                scores=scores,
                rationale=f"{best}: matched keywords; 2 money amounts.",
                classifier="local",
                text_preview="lorem ipsum dolor sit amet " * 110,  # ~3,000 characters
                detectors=[
                    {"name": "money", "count": 2, "examples": ["$1,000"], "spans": [[1, 6]]}
                ],
                detector_counts={"money": 2},
                pages=3,
                characters=12_000,
                engine="pypdfium2",
                kind="pdf",
            )
        elif i < n_completed + n_failed:
            result = DocumentResult(error="EncryptedDocument: password required")
        else:
            assert queue.write_progress(
                db=db, doc_id=c.doc_id, owner=owner, progress=rng.choice([30, 60, 90])
            )
            continue
        outcomes.append(queue.Outcome(c.doc_id, c.job_id, result))
    queue.save_outcomes(db=db, owner=owner, outcomes=outcomes)
    return job_id


def _default_toml() -> str:
    from docclass.taxonomy import builtin_text

    return builtin_text("default")


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    """Milliseconds of each of ``repeat`` calls (after one warm-up call)."""
    fn()
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def report(name: str, samples: list[float]) -> None:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    print(
        f"{name:<58} median {statistics.median(samples):7.1f} ms   "
        f"p95 {p95:7.1f} ms   max {max(samples):7.1f} ms   (n={len(samples)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="docclass-bench-"))
    os.environ.update(
        DOCCLASS_DATA_DIR=str(tmp / "data"),
        DOCCLASS_DATABASE_URL=f"sqlite:///{tmp / 'data' / 'docclass.db'}",
        DOCCLASS_CLASSIFIER="local",
        DOCCLASS_WORKERS="2",
        DOCCLASS_PROCESS_WORKERS="1",
    )
    os.environ.pop("OPENAI_API_KEY", None)

    from streamlit.testing.v1 import AppTest

    import webui.service
    from docclass.jobs.service import Service
    from docclass.store import documents
    from webui import jobs, nav

    # A service that does not work: the job must stay "running" while we measure.
    webui.service.new_service = lambda settings: Service(settings, start=False)
    service = webui.service.get_service()
    job_id = build_job(service, args.docs)
    view = jobs.load_job_view(service, job_id)
    assert view is not None and view.active
    job = view.job
    print(
        f"job {job_id[:8]}: {job.total_files} documents, status {job.status}, "
        f"pending {job.pending}, processing {job.processing}, completed {job.completed}, "
        f"failed {job.failed}, progress {job.progress}%"
    )
    print()
    report(
        "jobs.load_job_view (what each tick reads)",
        timed(lambda: jobs.load_job_view(service, job_id), args.repeat * 5),
    )
    report(
        "service.job_version (what an idle page checks every 3 s)",
        timed(lambda: service.job_version(job_id), args.repeat * 5),
    )
    report(
        "service.get_job(include_documents=False) (counts only)",
        timed(lambda: service.get_job(job_id, include_documents=False), args.repeat * 5),
    )
    report(
        "documents.job_documents (full rows, for comparison)",
        timed(lambda: list(documents.job_documents(db=service.db, job_id=job_id)), args.repeat * 5),
    )
    first_doc = str(view.table.iloc[0]["doc_id"])
    report(
        "service.get_document (selected document, per tick)",
        timed(lambda: service.get_document(first_doc), args.repeat * 5),
    )

    at = AppTest.from_file(str(ROOT / "webui" / "router.py"), default_timeout=60).run()
    at.query_params["job"] = job_id
    at.switch_page(nav.PAGE_STATUS).run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.dataframe[0].value) == args.docs
    report("AppTest run of the status page (whole app, one tick)", timed(at.run, args.repeat))
    at.session_state[jobs.documents_table_key(job_id)] = {
        "selection": {"rows": [0], "columns": [], "cells": []}
    }
    at.run()
    assert at.subheader, "the selected document is not shown"
    report("  … with a selected document shown beside the table", timed(at.run, args.repeat))
    print()
    print("budget: 300 ms of server time per tick (the AppTest run is an upper bound)")
    webui.service.shutdown_service()


if __name__ == "__main__":
    main()
