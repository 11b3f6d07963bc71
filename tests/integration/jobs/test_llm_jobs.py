"""The LLM path through the whole runner, against a real OpenAI-speaking server on 127.0.0.1."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from docclass.jobs.uploads import Upload
from docclass.store import documents
from tests.harness import make_service
from tests.openai_server import FakeOpenAI
from tests.paths import eval_texts

KEY = "sk-test-DO-NOT-LEAK-0123456789abcdef"
PII = ["jane.roe@example.org", "4111 1111 1111 1111", "123-45-6789",
       "DE89 3704 0044 0532 0130 00", "+1 (555) 123-4567"]  # fmt: skip


def _planted() -> list[Upload]:
    out = []
    for category in ("email", "contract", "resume", "news_article"):
        path = eval_texts(category, 1)[0]
        text = path.read_text()
        half = min(len(text) // 2, 400)  # inside the head that is sent
        planted = text[:half] + "\nContact " + " / ".join(PII) + "\n" + text[half:]
        out.append(Upload(f"{category}.txt", planted.encode()))
    return out


@pytest.mark.parametrize("taxonomy", ["default", "sensitivity"])
def test_openai_classifier_in_the_runner_sends_no_raw_pii_and_keeps_no_key(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, taxonomy: str
) -> None:
    caplog.set_level(logging.DEBUG)
    with FakeOpenAI() as server:
        runner = make_service(
            tmp_path, openai_api_key=KEY, openai_base_url=server.base_url, openai_rpm=0
        )
        try:
            job_id = runner.submit(_planted(), taxonomy=taxonomy, classifier="openai")
            assert runner.wait_job(job_id, timeout=120) == "completed"
            docs = list(documents.job_documents(db=runner.db, job_id=job_id))
            csv_data = runner.export(job_id, "csv")
            json_data = runner.export(job_id, "json")
        finally:
            runner.stop(wait=True)
        requests = list(server.requests)
    assert len(requests) == 4 and not server.violations
    for request in requests:
        for value in PII:
            assert value not in request.raw
        assert "[CARD_1]" in request.user_message and "[SSN_1]" in request.user_message
    for doc in docs:
        assert doc.status == "completed", doc.error
        assert doc.classifier == "openai"
        assert doc.classifier_meta["tokens_in"] > 0 and doc.classifier_meta["model"]
    db_bytes = b"".join(p.read_bytes() for p in (tmp_path / "data").glob("docclass.db*"))
    assert KEY.encode() not in db_bytes
    assert KEY.encode() not in csv_data and KEY.encode() not in json_data
    assert KEY not in caplog.text


def test_cascade_sends_only_unsure_documents_to_the_llm(tmp_path: Path) -> None:
    files = [
        p for c in ("email", "receipt", "scientific_paper", "resume") for p in eval_texts(c, 5)
    ]
    with FakeOpenAI() as server:
        runner = make_service(
            tmp_path,
            openai_api_key=KEY,
            openai_base_url=server.base_url,
            cascade_threshold=0.6,
            openai_rpm=0,
        )
        try:
            job_id = runner.submit([Upload(p.name, p) for p in files], classifier="auto")
            assert runner.wait_job(job_id, timeout=120) == "completed"
            docs = list(documents.job_documents(db=runner.db, job_id=job_id))
        finally:
            runner.stop(wait=True)
        asked = len(server.requests)
    unsure = [d for d in docs if d.classifier_meta["cascade"]["local_confidence"] < 0.6]
    assert asked == len(unsure)
    for doc in docs:
        decided_by = "openai" if doc in unsure else "local"
        assert doc.classifier == decided_by
        if doc.classifier_meta.get("disagreement"):
            assert doc.needs_review and "LLM said" in doc.review_reason
