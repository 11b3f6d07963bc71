"""Retry and resume through the real worker: a retry re-reads only what can succeed, and
never changes the answers of documents that were already shown as done."""

from __future__ import annotations

from docclass.classifiers.local import SELF_TRAIN_MIN
from docclass.jobs.service import Service
from docclass.jobs.uploads import Upload
from tests.app.support import ENCRYPTED_PDF
from tests.integration.jobs.test_finishing import FOLDERS
from tests.paths import eval_texts


def answers(service: Service, job_id: str) -> dict[str, tuple]:
    job = service.get_job(job_id)
    assert job is not None
    out = {}
    for row in job.documents:
        doc = service.get_document(row.id)
        assert doc is not None
        out[doc.filename] = (doc.status, doc.final_category, doc.confidence, doc.classifier_meta)
    return out


def test_a_retry_of_two_documents_changes_no_other_document(services) -> None:
    service = services(start=False)
    # 102 distinct texts: with two missing, 100 are read and the batch pass runs over them
    # (the lexicon's needs SELF_TRAIN_MIN of them).
    texts = [p for f in FOLDERS for p in eval_texts(f, 17)]
    assert len(texts) - 2 >= SELF_TRAIN_MIN
    lost = texts[:2]
    job_id = service.submit(
        [*(Upload(p.name, p) for p in texts), Upload("locked.pdf", ENCRYPTED_PDF)]
    )
    job = service.get_job(job_id)
    assert job is not None
    by_name = {d.filename: d for d in job.documents}
    stored = {
        p.name: service.uploads.path(service.get_document(by_name[p.name].id).sha256) for p in lost
    }
    kept = {name: path.read_bytes() for name, path in stored.items()}
    for path in stored.values():
        path.unlink()  # the uploads go missing: a retryable failure
    service.start()
    assert service.wait_job(job_id, timeout=120) == "completed"
    before = answers(service, job_id)
    assert {n for n, a in before.items() if a[0] == "failed"} == {*kept, "locked.pdf"}
    assert service.failures(job_id) == {"FileNotFoundError": 2, "EncryptedDocument": 1}
    refined = [a for a in before.values() if a[0] == "completed"]
    assert all(a[3].get("stage") == "batch" for a in refined), "the first finishing step ran"

    for name, path in stored.items():
        path.write_bytes(kept[name])
    assert service.retry(job_id) == 2, "the encrypted PDF would fail again: not retried"
    assert service.wait_job(job_id, timeout=120) == "completed"
    after = answers(service, job_id)
    assert after["locked.pdf"][0] == "failed"
    assert all(after[n][0] == "completed" for n in kept)
    unchanged = {n: a for n, a in before.items() if n not in kept}
    assert {n: after[n] for n in unchanged} == unchanged
    assert service.resume(job_id) == 0, "nothing was cancelled"
