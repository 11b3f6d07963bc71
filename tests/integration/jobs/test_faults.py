"""Faults the worker must ride out: database errors, a stop in the middle of a claim."""

from __future__ import annotations

import logging
import threading

import pytest
from sqlalchemy.exc import OperationalError

from docclass.jobs.uploads import Upload
from docclass.store import queue
from tests.paths import eval_texts


def _uploads(n: int) -> list[Upload]:
    return [Upload(p.name, p) for p in eval_texts("email", n)]


def test_transient_database_errors_are_retried_and_nothing_is_stranded(
    services, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A disk full for a moment: claims and saves fail twice each, then work again."""
    caplog.set_level(logging.ERROR)
    failures = {"claim": 2, "save": 2}

    def flaky(name: str, real):
        def call(**kwargs):
            if failures[name] > 0:
                failures[name] -= 1
                raise OperationalError("INSERT", {}, Exception("database or disk is full"))
            return real(**kwargs)

        return call

    monkeypatch.setattr(queue, "claim_documents", flaky("claim", queue.claim_documents))
    monkeypatch.setattr(queue, "save_outcomes", flaky("save", queue.save_outcomes))
    service = services(poll_s=0.1)
    job_id = service.submit(_uploads(6))
    assert service.wait_job(job_id, timeout=120) == "completed"
    job = service.get_job(job_id)
    assert (job.completed, job.failed) == (6, 0)
    assert failures == {"claim": 0, "save": 0}
    assert "claiming documents failed" in caplog.text and "results failed" in caplog.text
    assert all(d.status == "completed" for d in job.documents)


def test_a_stop_during_a_claim_fails_nothing_and_hands_everything_back(
    services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Shutdown races a claim in flight: no document may fail or stay processing."""
    claiming, go = threading.Event(), threading.Event()
    real = queue.claim_documents

    def held_claim(**kwargs):
        claiming.set()
        assert go.wait(30)
        return real(**kwargs)

    service = services(start=False)
    job_id = service.submit(_uploads(4))
    monkeypatch.setattr(queue, "claim_documents", held_claim)
    service.start()
    assert claiming.wait(30)
    stopper = threading.Thread(target=service.stop)
    stopper.start()
    go.set()
    stopper.join(60)
    assert not stopper.is_alive()
    job = service.get_job(job_id)
    assert [d.status for d in job.documents] == ["pending"] * 4, job.documents
    assert all(d.error is None for d in job.documents)


def test_an_upload_damaged_on_disk_fails_with_its_reason(services) -> None:
    service = services(start=False)
    job_id = service.submit(_uploads(2))
    damaged = service.get_job(job_id).documents[0]
    sha = service.get_document(damaged.id).sha256
    with service.uploads.path(sha).open("ab") as fh:
        fh.write(b"\x00 flipped on disk")
    service.start()
    assert service.wait_job(job_id, timeout=60) == "completed"
    first, second = service.get_job(job_id).documents
    assert first.status == "failed" and second.status == "completed"
    assert first.error.startswith("CorruptDocument: the stored copy ")
    assert "upload the file again" in first.error
