"""A claimer process for the concurrent-claims test: ``python -m tests.integration.scale.claimers
URL OWNER LIMIT``. It opens its connection, prints ``ready``, waits for a line on stdin (so
that all claimers start together), claims until the queue is empty and prints the ids as JSON.
"""

from __future__ import annotations

import json
import sys

from docclass.store import queue
from docclass.store.db import Database


def claim_all(url: str, owner: str, limit: int) -> list[str]:
    db = Database(url, create=False)
    got: list[str] = []
    try:
        with db.read() as s:  # connect before the start signal
            s.connection()
        print("ready", flush=True)
        sys.stdin.readline()
        while batch := queue.claim_documents(db=db, owner=owner, limit=limit):
            got.extend(c.doc_id for c in batch)
    finally:
        db.dispose()
    return got


if __name__ == "__main__":
    print(json.dumps(claim_all(sys.argv[1], sys.argv[2], int(sys.argv[3]))), flush=True)
