"""How long one refresh of the Job status page takes with a running 200-document job.

The status page polls once a second while a job runs; the budget is 300 ms of server time
per tick. This builds a job of N documents in a temporary database (some completed with
full results, some failed, some processing, the rest pending), then times:

1. ``ui.load_job_snapshot`` alone: the two queries and the table the fragment polls;
2. for comparison, the heavier store calls a page could use instead
   (``store.get_job`` with documents, ``store.job_documents`` full rows);
3. a whole AppTest run of the status page (app.py, sidebar, the fragment), which is more
   than one fragment tick does, with and without a selected document.

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


def build_job(runner: object, n_docs: int) -> str:
    """A running job: ~40% completed (full results), 5% failed, 4 processing, rest pending."""
    from docclass import store
    from docclass.models import DocStatus

    db = runner.db  # type: ignore[attr-defined]
    rng = random.Random(7)
    docs = [
        store.NewDocument(filename=f"document-{i:04d}.pdf", sha256=f"{i:064x}", size=100_000 + i)
        for i in range(n_docs)
    ]
    job_id = store.create_job(
        db=db,
        documents=docs,
        taxonomy_name="default",
        taxonomy_toml=_default_toml(),
        classifier="local",
    )
    owner = "bench:1:token"
    n_completed, n_failed, n_processing = int(n_docs * 0.4), int(n_docs * 0.05), 4
    for i in range(n_completed + n_failed + n_processing):
        claimed = store.claim_next_document(db=db, owner=owner)
        assert claimed is not None
        values: dict[str, object]
        if i < n_completed:
            scores = {c: rng.random() for c in CATEGORIES}
            best = max(scores, key=scores.__getitem__)
            values = {
                "progress": 100,
                "status": DocStatus.completed,
                "final_category": best,
                "confidence": scores[best],
                "scores": scores,
                "rationale": f"{best}: matched keywords; 2 money amounts.",
                "classifier": "local",
                "text_preview": "lorem ipsum dolor sit amet " * 110,  # ~3,000 characters
                "detectors": [
                    {"name": "money", "count": 2, "examples": ["$1,000"], "spans": [[1, 6]]}
                ],
                "detector_counts": {"money": 2},
                "pages": 3,
                "characters": 12_000,
                "engine": "pypdfium2",
                "kind": "pdf",
            }
        elif i < n_completed + n_failed:
            values = {
                "progress": 100,
                "status": DocStatus.failed,
                "error": "EncryptedDocument: password required",
            }
        else:
            values = {"progress": rng.choice([30, 60, 90])}
        assert store.update_document_in_job(
            db=db, job_id=job_id, doc_id=claimed.doc_id, owner=owner, **values
        )
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

    import streamlit.testing.v1.app_test as app_test_module
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.testing.v1 import AppTest

    from docclass import store, ui
    from docclass.runner import Runner

    class NavigationOnly(PagesManager):
        """As in tests/test_app.py: keep AppTest out of Streamlit's legacy pages/ mode."""

        def __init__(self, *a: object, **k: object) -> None:
            super().__init__(*a, **k)  # type: ignore[arg-type]
            PagesManager.uses_pages_directory = False

    app_test_module.PagesManager = NavigationOnly  # type: ignore[misc]
    # A runner that does not work: the job must stay "running" while we measure.
    ui.Runner = lambda settings: Runner(settings, start=False)  # type: ignore[assignment]
    runner = ui.get_runner()
    job_id = build_job(runner, args.docs)
    snap = ui.load_job_snapshot(runner, job_id)
    assert snap is not None and snap.active
    print(
        f"job {job_id[:8]}: {snap.total} documents, status {snap.status}, "
        f"counts {snap.counts}, progress {snap.progress}%"
    )
    print()
    report(
        "ui.load_job_snapshot (what each tick queries)",
        timed(lambda: ui.load_job_snapshot(runner, job_id), args.repeat * 5),
    )
    report(
        "store.get_job(include_documents=True)",
        timed(lambda: store.get_job(db=runner.db, job_id=job_id), args.repeat * 5),
    )
    report(
        "store.job_documents (full rows, for comparison)",
        timed(lambda: store.job_documents(db=runner.db, job_id=job_id), args.repeat * 5),
    )
    first_doc = str(snap.table.iloc[0]["doc_id"])
    report(
        "store.get_document (selected document, per tick)",
        timed(lambda: store.get_document(db=runner.db, doc_id=first_doc), args.repeat * 5),
    )

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.query_params["job"] = job_id
    at.switch_page(ui.PAGE_STATUS).run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.dataframe[0].value) == args.docs
    report("AppTest run of the status page (whole app, one tick)", timed(at.run, args.repeat))
    at.session_state[ui.documents_table_key(job_id)] = {
        "selection": {"rows": [0], "columns": [], "cells": []}
    }
    at.run()
    assert at.subheader, "the selected document is not shown"
    report("  … with a selected document shown below the table", timed(at.run, args.repeat))
    print()
    print("budget: 300 ms of server time per tick (the AppTest run is an upper bound)")
    runner.shutdown(wait=True)


if __name__ == "__main__":
    main()
