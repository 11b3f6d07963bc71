"""A job's completion has one owner, and ``completed`` means every answer is final."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import event

from docclass.classifiers.local import SELF_TRAIN_MIN
from docclass.classifiers.local.layout import unpack_layout
from docclass.jobs.service import Service
from docclass.jobs.uploads import Upload
from docclass.taxonomy import load_taxonomy
from tests.paths import COMPLAINTS, complaint_files, complaint_products, eval_texts

FOLDERS = ("contract", "email", "news_article", "receipt", "resume", "scientific_paper")


def _uploads(n_per_folder: int = 3) -> list[Upload]:
    return [Upload(p.name, p) for f in FOLDERS for p in eval_texts(f, n_per_folder)]


# Jobs big enough for the lexicon's batch pass to change answers (it self-trains).
SELF_TRAINED = -(-SELF_TRAIN_MIN // len(FOLDERS))


def _block_refine(service: Service, calls: Counter, entered: threading.Event, go: threading.Event):
    real = service.worker.finisher.refine

    def refine(job_id: str) -> int:
        calls[job_id] += 1
        entered.set()
        assert go.wait(60)
        return real(job_id)

    service.worker.finisher.refine = refine  # type: ignore[method-assign]


def test_a_job_shows_finishing_until_its_batch_pass_is_saved(services) -> None:
    service = services()
    calls: Counter = Counter()
    entered, go = threading.Event(), threading.Event()
    _block_refine(service, calls, entered, go)
    job_id = service.submit(_uploads(SELF_TRAINED))
    assert entered.wait(120), "the finishing step never started"
    job = service.get_job(job_id)
    assert (job.status, job.done, job.unfinished) == ("finishing", 6 * SELF_TRAINED, 0)
    assert service.wait_job(job_id, timeout=0.5) == "finishing"  # waiters keep waiting
    go.set()
    assert service.wait_job(job_id, timeout=60) == "completed"
    docs = [service.get_document(d.id) for d in service.get_job(job_id).documents]
    assert all(d.classifier_meta.get("stage") == "batch" for d in docs)  # the pass's answers
    assert calls == {job_id: 1}


def test_two_workers_on_one_database_run_the_finishing_step_once(services) -> None:
    first, second = services(), services()
    calls: Counter = Counter()
    entered, go = threading.Event(), threading.Event()
    for s in (first, second):
        _block_refine(s, calls, entered, go)
    job_ids = [first.submit(_uploads(2)), second.submit(_uploads(2))]
    assert entered.wait(120)
    go.set()
    for job_id in job_ids:
        assert first.wait_job(job_id, timeout=120) == "completed"
    assert calls == dict.fromkeys(job_ids, 1)


def test_fast_documents_cost_at_most_two_write_transactions_each(services) -> None:
    service = services()
    texts = eval_texts("email", 40)
    writes = 0

    def count(*_args: object) -> None:
        nonlocal writes
        writes += 1

    event.listen(service.db.write_engine, "begin", count)
    job_id = service.submit([Upload(p.name, p) for p in texts])
    assert service.wait_job(job_id, timeout=120) == "completed"
    event.remove(service.db.write_engine, "begin", count)
    # create_job, claims in batches, outcomes in batches, the finishing step, heartbeats
    assert writes <= 2 * len(texts), writes


def _complaints(n: int) -> list[Upload]:
    per = -(-n // len(complaint_products()))
    return [Upload(f.name, f) for f in complaint_files(per)][:n]


def test_the_batch_pass_reads_what_each_documents_detectors_counted(services) -> None:
    """The pass gets each detector's count, not its hits: its answers still cite them
    (receipts' money amounts), as the first answers did."""
    service = services(workers=2, process_workers=2)
    job_id = service.submit(_uploads(SELF_TRAINED))
    assert service.wait_job(job_id, timeout=120) == "completed"
    docs = [service.get_document(d.id) for d in service.get_job(job_id).documents]
    batch = [d for d in docs if (d.classifier_meta or {}).get("stage") == "batch"]
    assert len(batch) == len(docs)  # every answer is the pass's
    cited = [d for d in batch if (d.detector_counts or {}).get("money")]
    assert len(cited) >= 5
    for d in cited:
        money = d.detector_counts["money"]
        assert f"{money} money amount" in (d.rationale or ""), (d.filename, d.rationale)


@pytest.mark.parametrize("kind", ["default", "topics"])
def test_the_same_job_gives_identical_answers_whatever_the_worker_count(
    services, kind: str
) -> None:
    """Answers and scores depend on the files, taxonomy and settings, never on timing: with
    the lexicon (the default taxonomy) and with the meaning reader (a topic taxonomy), each
    through the batch's self-training."""
    answers = []
    for workers, procs in ((1, 1), (6, 2)):
        service = services(workers=workers, process_workers=procs)
        if kind == "default":
            job_id = service.submit(_uploads(SELF_TRAINED))
        else:
            taxonomy = load_taxonomy(COMPLAINTS / "taxonomy.toml")
            job_id = service.submit(_complaints(SELF_TRAIN_MIN + 8), taxonomy=taxonomy)
        assert service.wait_job(job_id, timeout=120) == "completed"
        docs = [service.get_document(d.id) for d in service.get_job(job_id).documents]
        answers.append([(d.filename, d.final_category, d.confidence, d.scores) for d in docs])
        # The meaning reader's vectors are stored for the batch pass (float32, 384 numbers).
        sizes = {None if d.embedding is None else len(d.embedding) for d in docs}
        assert sizes == ({None} if kind == "default" else {4 * 384})
        # And every document's layout, which the pass reads instead of measuring again.
        assert {unpack_layout(d.layout) is not None for d in docs} == {True}
        service.stop(wait=True)
    assert answers[0] == answers[1]
