"""Identical uploads are read once and get the same answer."""

from __future__ import annotations

from collections import Counter

from docclass.jobs.uploads import Upload
from tests import workers
from tests.paths import eval_texts


def test_copies_of_one_content_are_read_once_and_share_the_answer(services) -> None:
    service = services(extract_fn=workers.count_reads)
    texts = eval_texts("receipt", 3)
    uploads = [Upload(f"{i}-{p.name}", p) for i in range(4) for p in texts]
    job_id = service.submit(uploads)
    assert service.wait_job(job_id, timeout=120) == "completed"
    docs = [service.get_document(d.id) for d in service.get_job(job_id).documents]
    assert all(d.status == "completed" for d in docs)
    reads = Counter(workers.reads_of(service.settings.uploads_dir))
    assert sorted(reads.values()) == [1, 1, 1], reads  # one read per content
    by_content: dict[str, set] = {}
    for d in docs:
        by_content.setdefault(d.sha256, set()).add((d.final_category, d.confidence))
    assert all(len(answers) == 1 for answers in by_content.values())
    copies = [d for d in docs if "same_content_as" in d.classifier_meta]
    assert len(copies) == 9


def test_a_later_copy_reuses_the_known_answer(services) -> None:
    service = services(extract_fn=workers.count_reads)
    text = eval_texts("email", 1)[0]
    first = service.submit([Upload("a.txt", text)])
    assert service.wait_job(first, timeout=60) == "completed"
    second = service.submit([Upload("b.txt", text)])  # same content, later: known answer
    assert service.wait_job(second, timeout=60) == "completed"
    assert list(Counter(workers.reads_of(service.settings.uploads_dir)).values()) == [1]
