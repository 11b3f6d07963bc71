"""What analysts do in the store, on SQLite and PostgreSQL: honest retry and resume, the
job's version a view polls, reviews, searches across jobs, filtered exports, and answers
that a later finishing step must leave alone."""

from __future__ import annotations

import csv
import io

from docclass.export import export_documents
from docclass.jobs.errors import RETRYABLE
from docclass.schemas import DocumentQuery, DocumentResult, Verdict
from docclass.store import corrections, documents, jobs, queue, search
from docclass.store.db import Database
from docclass.store.jobs import NewDocument
from tests.integration.store.test_jobs import make_job

TOML = """
[[category]]
name = "invoice"
description = "a bill"

[[category]]
name = "receipt"
description = "proof of payment"

[[category]]
name = "purchase requisition form"
description = "a request to buy"
"""


def finish(db: Database, job_id: str, answers: list[DocumentResult]) -> list[str]:
    """Claim and save the job's pending documents with these answers, in upload order."""
    claimed = queue.claim_documents(db=db, owner="w", limit=len(answers))
    assert [c.job_id for c in claimed] == [job_id] * len(answers)
    outcomes = [queue.Outcome(c.doc_id, c.job_id, a) for c, a in zip(claimed, answers, strict=True)]
    queue.save_outcomes(db=db, owner="w", outcomes=outcomes)
    return [c.doc_id for c in claimed]


def answer(category: str, confidence: float, review: bool = False) -> DocumentResult:
    return DocumentResult(
        final_category=category, confidence=confidence, needs_review=review, kind="text"
    )


def named_job(db: Database, names: list[str], name: str = "job") -> str:
    docs = [NewDocument(filename=n, sha256=f"{i:064x}", size=10) for i, n in enumerate(names)]
    return jobs.create_job(db=db, documents=docs, taxonomy_name="t", taxonomy_toml=TOML, name=name)


def test_retry_requeues_only_retryable_failures_and_resume_only_cancelled(db: Database) -> None:
    job_id = make_job(db, 5)
    finish(
        db,
        job_id,
        [
            DocumentResult(error="Timeout: reading the file took longer than 1 s"),
            DocumentResult(error="EncryptedDocument: password required"),
            DocumentResult(error="FileNotFoundError: the uploaded file is missing"),
        ],
    )
    assert jobs.cancel_job(db=db, job_id=job_id)
    counts = jobs.failure_counts(db=db, job_id=job_id)
    assert sorted(counts.values()) == [1, 1, 1]
    assert jobs.retry_failed(db=db, job_id=job_id, error_types=list(RETRYABLE)) == 2
    job = jobs.get_job(db=db, job_id=job_id)
    by_status = sorted((d.status, d.error or "") for d in job.documents)
    assert by_status == [
        ("cancelled", ""),
        ("cancelled", ""),
        ("failed", "EncryptedDocument: password required"),
        ("pending", ""),
        ("pending", ""),
    ], "permanent failures and cancelled documents stay as they were"
    assert jobs.resume_cancelled(db=db, job_id=job_id) == 2
    assert jobs.get_job(db=db, job_id=job_id).pending == 4


def test_every_change_a_viewer_must_see_moves_the_job_version(db: Database) -> None:
    job_id = named_job(db, ["a.txt", "b.txt"])
    versions = [jobs.job_version(db=db, job_id=job_id)]
    doc_a, doc_b = finish(db, job_id, [answer("invoice", 0.3, review=True), answer("receipt", 0.9)])
    versions.append(jobs.job_version(db=db, job_id=job_id))
    corrections.correct_document(db=db, doc_id=doc_a, category="receipt", corrected_by="ana")
    versions.append(jobs.job_version(db=db, job_id=job_id))
    assert corrections.accept_documents(db=db, doc_ids=[doc_b], reviewed_by="bo") == 1
    versions.append(jobs.job_version(db=db, job_id=job_id))
    assert len({v[1] for v in versions}) == len(versions), versions
    assert jobs.job_version(db=db, job_id="missing") is None
    count, latest = jobs.jobs_version(db=db)
    assert count == 1 and latest == versions[-1][1]
    rows = {r.id: r for r in jobs.get_job(db=db, job_id=job_id).documents}
    assert rows[doc_a].reviewed and rows[doc_b].reviewed
    assert documents.get_document(db=db, doc_id=doc_a).reviewed_by == "ana"
    assert documents.get_document(db=db, doc_id=doc_b).reviewed_by == "bo"


def test_search_across_jobs_and_the_review_queue(db: Database) -> None:
    first = named_job(db, ["in/100%_a.txt", "in/b.txt", "c.txt"], name="first")
    second = named_job(db, ["x/100%_a.txt", "zz.txt"], name="second")
    a1, b1, c1 = finish(
        db,
        first,
        [
            answer("invoice", 0.42, review=True),
            answer("receipt", 0.2, review=True),
            DocumentResult(error="EncryptedDocument: password required"),
        ],
    )
    a2, z2 = finish(db, second, [answer("invoice", 0.9), answer("receipt", 0.3, review=True)])

    found = search.search_documents(db=db, query=DocumentQuery(filename="100%_A"))
    assert sorted(r.id for r in found.rows) == sorted([a1, a2]), "% and _ are literal, any case"
    assert {r.job_name for r in found.rows} == {"first", "second"}

    queue_ = DocumentQuery(needs_review=True, order="confidence")
    assert [r.id for r in search.search_documents(db=db, query=queue_).rows] == [b1, z2, a1]
    corrections.correct_document(db=db, doc_id=b1, category="invoice")
    corrections.accept_documents(db=db, doc_ids=[z2])
    assert [r.id for r in search.search_documents(db=db, query=queue_).rows] == [a1]
    assert search.taxonomy_names(db=db) == {"t": 1}

    invoices = search.search_documents(db=db, query=DocumentQuery(categories=["invoice"]))
    assert sorted(r.id for r in invoices.rows) == sorted([a1, b1, a2]), "a correction counts"
    failed = DocumentQuery(error_types=["EncryptedDocument"], statuses=["failed"])
    assert [r.id for r in search.search_documents(db=db, query=failed).rows] == [c1]
    middle = DocumentQuery(min_confidence=0.25, max_confidence=0.5)
    assert sorted(r.id for r in search.search_documents(db=db, query=middle).rows) == sorted(
        [a1, z2]
    )
    one_job = search.search_documents(db=db, query=DocumentQuery(job_id=first), limit=2)
    assert one_job.total == 3 and [r.id for r in one_job.rows] == [a1, b1]
    assert search.category_names(db=db) == ["invoice", "receipt"]

    # The export of a filtered view holds exactly its rows, in its order.
    rows = list(
        csv.DictReader(io.StringIO(export_documents(db=db, query=middle).decode("utf-8-sig")))
    )
    listed = search.search_documents(db=db, query=middle).rows
    assert [r["doc_id"] for r in rows] == [r.id for r in listed]
    assert [r["filename"] for r in rows] == [r.filename for r in listed]


def test_a_finishing_step_after_a_retry_leaves_earlier_answers_alone(db: Database) -> None:
    job_id = make_job(db, 3)
    done, flaky, _cancelled = [c.doc_id for c in queue.claim_documents(db=db, owner="w", limit=3)]
    with db.write() as s:  # the third document is cancelled by hand (never read)
        from sqlmodel import col, update

        from docclass.store.tables import Document

        s.exec(update(Document).where(col(Document.id) == _cancelled).values(status="cancelled"))
    queue.save_outcomes(
        db=db,
        owner="w",
        outcomes=[
            queue.Outcome(done, job_id, answer("invoice", 0.3)),
            queue.Outcome(flaky, job_id, DocumentResult(error="Timeout: too slow")),
        ],
    )
    # The job's first finishing step may refine what it finds.
    assert documents.save_refined(db=db, refined=[(done, Verdict(final_category="receipt"))]) == 1
    assert queue.complete_job(db=db, job_id=job_id, owner="w")
    # A retry of the failed document, then its answer, then the finishing step again.
    assert jobs.retry_failed(db=db, job_id=job_id, error_types=["Timeout"]) == 1
    (again,) = queue.claim_documents(db=db, owner="w", limit=1)
    queue.save_outcomes(
        db=db, owner="w", outcomes=[queue.Outcome(again.doc_id, job_id, answer("invoice", 0.5))]
    )
    refined = [
        (done, Verdict(final_category="invoice", confidence=0.99)),
        (flaky, Verdict(final_category="receipt", confidence=0.8)),
    ]
    assert documents.save_refined(db=db, refined=refined) == 1
    assert documents.get_document(db=db, doc_id=done).final_category == "receipt", "untouched"
    assert documents.get_document(db=db, doc_id=flaky).final_category == "receipt"


def test_rows_show_what_the_finishing_step_changed(db: Database) -> None:
    job_id = make_job(db, 2)
    a, b = finish(db, job_id, [answer("invoice", 0.3), answer("receipt", 0.9)])
    refined = Verdict(final_category="receipt", refined=True, earlier_category="invoice")
    documents.save_refined(db=db, refined=[(a, refined)])
    rows = {r.id: r for r in jobs.get_job(db=db, job_id=job_id).documents}
    assert (rows[a].refined, rows[a].earlier_category) == (True, "invoice")
    assert (rows[b].refined, rows[b].earlier_category) == (False, None)


def test_jobs_sort_by_their_own_columns(db: Database) -> None:
    for name in ("beta", "alpha", "gamma"):
        named_job(db, ["f.txt"], name=name)
    listing = jobs.list_jobs(db=db, sort="name", descending=False)
    assert [j.name for j in listing.jobs] == ["alpha", "beta", "gamma"]
    newest = jobs.list_jobs(db=db)
    assert [j.name for j in newest.jobs] == ["gamma", "alpha", "beta"]


def test_examples_are_the_latest_corrections_up_to_the_cap(db: Database, monkeypatch) -> None:
    job_id = named_job(db, [f"d{i}.txt" for i in range(5)])
    texts = [f"text {i}" for i in range(5)]
    read = [DocumentResult(kind="text", classifier_input=t) for t in texts]
    ids = finish(db, job_id, read)
    labels = ["receipt", "invoice", "receipt", "invoice", "receipt"]
    for doc_id, category in zip(ids, labels, strict=True):
        corrections.correct_document(db=db, doc_id=doc_id, category=category)
    newest_first = list(zip(texts, labels, strict=True))[::-1]
    assert corrections.correction_examples(db=db, taxonomy_name="t") == newest_first

    corrections.correct_document(db=db, doc_id=ids[0], category="invoice")  # d0 again: newest
    monkeypatch.setattr(corrections, "EXAMPLES_MAX", 3)
    latest = corrections.correction_examples(db=db, taxonomy_name="t")
    assert latest == [(texts[0], "invoice"), (texts[4], "receipt"), (texts[3], "invoice")]
