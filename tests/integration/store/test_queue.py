"""The queue: claims, owner-checked writes, leases, and the one owner of a job's finish."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from docclass.schemas import DocumentResult, utcnow
from docclass.store import jobs, queue
from docclass.store.db import Database
from tests.integration.store.test_jobs import make_job, save


def test_claims_take_a_few_documents_at_a_time_in_order(db: Database) -> None:
    job_id = make_job(db, 5)
    first = queue.claim_documents(db=db, owner="me", limit=2)
    rest = queue.claim_documents(db=db, owner="me", limit=10)
    assert [c.filename for c in first + rest] == [f"f{i}.txt" for i in range(5)]
    assert queue.claim_documents(db=db, owner="me", limit=1) == []
    job = jobs.get_job(db=db, job_id=job_id)
    assert (job.status, job.processing, job.progress) == ("processing", 5, 10.0)


def test_writes_from_another_owner_are_refused(db: Database) -> None:
    make_job(db, 1)
    (doc,) = queue.claim_documents(db=db, owner="a", limit=1)
    assert not queue.write_progress(db=db, doc_id=doc.doc_id, owner="b", progress=30)
    outcome = queue.Outcome(doc.doc_id, doc.job_id, DocumentResult())
    saved, won = queue.save_outcomes(db=db, owner="b", outcomes=[outcome])
    assert (saved, won) == (0, [])
    assert jobs.get_job(db=db, job_id=doc.job_id).documents[0].progress == 10


def test_concurrent_claims_never_hand_out_a_document_twice(db: Database) -> None:
    make_job(db, 60)
    claimed: list[str] = []
    errors: list[BaseException] = []

    def claimer() -> None:
        try:
            while batch := queue.claim_documents(db=db, owner="t", limit=3):
                claimed.extend(c.doc_id for c in batch)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=claimer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(claimed) == 60 == len(set(claimed))


@pytest.mark.parametrize("run", range(50))
def test_exactly_one_saver_wins_a_jobs_finishing_step(db: Database, run: int) -> None:
    """Two workers save a job's last two documents at the same moment: one finishes it."""
    job_id = make_job(db, 2)
    (a,) = queue.claim_documents(db=db, owner="A", limit=1)
    (b,) = queue.claim_documents(db=db, owner="B", limit=1)
    start = threading.Barrier(2)
    won: dict[str, list[str]] = {}

    def saver(owner: str, claimed: queue.Claimed) -> None:
        start.wait()
        won[owner] = save(db, owner, claimed)

    threads = [threading.Thread(target=saver, args=args) for args in (("A", a), ("B", b))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(len(v) for v in won.values()) == [0, 1]
    winner = next(owner for owner, v in won.items() if v)
    job = jobs.get_job(db=db, job_id=job_id)
    assert job.status == "finishing" and job.done == 2
    assert not queue.begin_finishing(db=db, job_id=job_id, owner="A")  # no second winner
    loser = "B" if winner == "A" else "A"
    assert not queue.complete_job(db=db, job_id=job_id, owner=loser)
    assert queue.complete_job(db=db, job_id=job_id, owner=winner)
    assert jobs.get_job(db=db, job_id=job_id).status == "completed"


def test_a_retry_during_the_finishing_step_keeps_the_job_open(db: Database) -> None:
    job_id = make_job(db, 2)
    a, b = queue.claim_documents(db=db, owner="W", limit=2)
    save(db, "W", a, error="Timeout: reading the file took longer than 1 s; it was stopped")
    assert save(db, "W", b) == [job_id]
    assert jobs.retry_failed(db=db, job_id=job_id) == 1
    assert not queue.complete_job(db=db, job_id=job_id, owner="W")  # the job moved on
    assert jobs.get_job(db=db, job_id=job_id).status == "pending"


def test_documents_of_a_silent_worker_are_requeued_and_its_finish_released(db: Database) -> None:
    queue.heartbeat(db=db, worker_id="dead", host="h", pid=1)
    queue.heartbeat(db=db, worker_id="live", host="h", pid=1)  # same pid: leases, not pids
    job_a, job_b = make_job(db, 2), make_job(db, 1)
    dead_docs = queue.claim_documents(db=db, owner="dead", limit=1)
    live_docs = queue.claim_documents(db=db, owner="live", limit=1)
    (last,) = queue.claim_documents(db=db, owner="dead", limit=1)
    assert [c.job_id for c in dead_docs + live_docs + [last]] == [job_a, job_a, job_b]
    assert save(db, "dead", last) == [job_b]  # dead wins job b's finishing step, then dies
    # Only "live" heartbeats after this moment.
    cutoff = utcnow()
    queue.heartbeat(db=db, worker_id="live", host="h", pid=1)
    docs, released = queue.requeue_stalled(db=db, live_since=cutoff)
    assert (docs, released) == (1, [job_b])
    job = jobs.get_job(db=db, job_id=job_a)
    assert sorted(d.status for d in job.documents) == ["pending", "processing"]
    assert jobs.get_job(db=db, job_id=job_b).status == "processing"
    assert queue.finishable_jobs(db=db) == [job_b]
    assert [w.id for w in queue.list_workers(db=db)] == ["live"]
    # the live worker's lease holds: nothing of it is requeued
    assert queue.requeue_stalled(db=db, live_since=utcnow() - timedelta(seconds=30)) == (0, [])


def test_release_hands_back_only_this_workers_documents(db: Database) -> None:
    make_job(db, 3)
    queue.claim_documents(db=db, owner="a", limit=2)
    queue.claim_documents(db=db, owner="b", limit=1)
    assert queue.release_documents(db=db, owner="a") == 2
    assert [c.filename for c in queue.claim_documents(db=db, owner="c", limit=5)] == [
        "f0.txt",
        "f1.txt",
    ]
