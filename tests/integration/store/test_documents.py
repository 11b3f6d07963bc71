"""What the finishing step reads back of each document (docclass.store.documents)."""

from __future__ import annotations

from docclass.schemas import DocumentResult
from docclass.store import documents, queue
from docclass.store.db import Database, json_loads
from tests.integration.store.test_jobs import make_job


def test_classifier_readings_give_back_what_the_first_answer_stored(db: Database) -> None:
    """Each detector's count comes back as its stored JSON text (decoded by the reader
    process that uses them) and decodes to what was saved; the layout and embedding bytes
    are intact."""
    job_id = make_job(db, 2)
    hits = [
        {"name": "money", "count": 2, "hits": ["€ 1.428,00", "12.50"], "score": 0.25},
        {"name": "person", "count": 1, "hits": ["Zoë Ångström"], "score": 1.0},
    ]
    claimed = queue.claim_documents(db=db, owner="w", limit=50)
    results = [
        DocumentResult(
            final_category="invoice",
            classifier="local",
            classifier_input=f"Rechnung Nr. {i}",
            detectors=hits if i == 0 else None,
            detector_counts={h["name"]: h["count"] for h in hits} if i == 0 else None,
            layout=bytes(range(i, i + 16)),
            embedding=b"\x00\x01" * 8 if i == 0 else None,
        )
        for i, _ in enumerate(claimed)
    ]
    outcomes = [queue.Outcome(c.doc_id, c.job_id, r) for c, r in zip(claimed, results, strict=True)]
    queue.save_outcomes(db=db, owner="w", outcomes=outcomes)
    docs = documents.refinable_documents(db=db, job_id=job_id, classifier="local")
    readings = list(documents.classifier_readings(db=db, docs=docs).values())
    assert [r.classifier_input for r in readings] == ["Rechnung Nr. 0", "Rechnung Nr. 1"]
    inputs = documents.classifier_inputs(db=db, docs=docs)  # what suggesting reads
    assert list(inputs.values()) == ["Rechnung Nr. 0", "Rechnung Nr. 1"]
    assert list(inputs) == list(documents.classifier_readings(db=db, docs=docs))
    assert json_loads(readings[0].detector_counts_json) == {"money": 2, "person": 1}
    assert json_loads(readings[1].detector_counts_json or "null") is None  # none stored
    assert [r.layout for r in readings] == [bytes(range(16)), bytes(range(1, 17))]
    assert [r.embedding for r in readings] == [b"\x00\x01" * 8, None]
