"""Eight claimers at once, on their own connections (threads) or in their own processes:
no document is handed out twice, none is left behind, and each claim is recorded as made."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections import Counter

import pytest
from sqlmodel import select

from docclass.store import queue
from docclass.store.db import Database
from docclass.store.tables import Document
from tests.integration.store.test_jobs import make_job
from tests.paths import ROOT

CLAIMERS = 8
JOBS, DOCS_PER_JOB = 3, 120
LIMIT = 3  # small claims: many rounds, so that claimers collide all the time


def check(db: Database, claims: dict[str, list[str]]) -> None:
    every = [doc_id for got in claims.values() for doc_id in got]
    twice = [doc_id for doc_id, n in Counter(every).items() if n > 1]
    assert not twice, f"{len(twice)} documents were claimed twice"
    assert len(every) == JOBS * DOCS_PER_JOB
    assert sum(1 for got in claims.values() if got) >= 2, "the claimers did not overlap"
    with db.read() as s:
        rows = s.exec(select(Document.id, Document.owner, Document.attempts)).all()
    owner_of = {doc_id: owner for owner, got in claims.items() for doc_id in got}
    assert all(attempts == 1 for _, _, attempts in rows)
    assert {doc_id: owner for doc_id, owner, _ in rows} == owner_of


@pytest.mark.parametrize("backend", ["postgresql"])
def test_eight_threads_on_their_own_connections_never_share_a_document(
    db: Database, database_url: str
) -> None:
    for _ in range(JOBS):
        make_job(db, DOCS_PER_JOB)
    claims: dict[str, list[str]] = {}
    errors: list[BaseException] = []
    start = threading.Barrier(CLAIMERS)

    def claimer(owner: str) -> None:
        own = Database(database_url, create=False)  # its own engine: its own connections
        got: list[str] = []
        try:
            start.wait()
            while batch := queue.claim_documents(db=own, owner=owner, limit=LIMIT):
                got.extend(c.doc_id for c in batch)
        except BaseException as exc:
            errors.append(exc)
        finally:
            claims[owner] = got
            own.dispose()

    threads = [threading.Thread(target=claimer, args=(f"t{i}",)) for i in range(CLAIMERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    check(db, claims)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_eight_processes_never_share_a_document(db: Database, database_url: str) -> None:
    for _ in range(JOBS):
        make_job(db, DOCS_PER_JOB)
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.integration.scale.claimers", database_url, f"p{i}", "3"],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for i in range(CLAIMERS)
    ]
    try:
        for p in procs:  # every claimer connected ...
            assert p.stdout.readline().strip() == "ready"
        for p in procs:  # ... then all start at once
            p.stdin.write("go\n")
            p.stdin.flush()
        claims = {f"p{i}": json.loads(p.stdout.readline()) for i, p in enumerate(procs)}
        assert [p.wait(timeout=60) for p in procs] == [0] * CLAIMERS
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    check(db, claims)
