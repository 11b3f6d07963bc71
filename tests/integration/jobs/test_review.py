"""Sensitivity: detector floors, stricter-wins, review flags and evidence, on real documents
with personal data planted into them, through the real runner."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from docclass.jobs.service import Service
from docclass.jobs.uploads import Upload
from docclass.schemas import DocumentOut
from docclass.store import documents
from docclass.taxonomy import load_taxonomy
from tests.builders import pdf_bytes
from tests.harness import make_service
from tests.paths import eval_texts

LADDER = load_taxonomy("sensitivity").names  # Public < Confidential < Highly Sensitive < Unsafe


def _lines(text: str, n: int = 40) -> list[str]:
    words = text.split()
    return [" ".join(words[i : i + 12]) for i in range(0, min(len(words), n * 12), 12)]


@pytest.fixture(scope="module")
def job(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, DocumentOut], bytes]:
    """The documents' full records by file name, and the job's CSV export."""
    news = eval_texts("news_article", 3)
    contract = eval_texts("contract", 1)[0]
    email = eval_texts("email", 1)[0]
    uploads = [
        # a public-looking news story with a card number planted on page 2
        Upload(
            "news-card.pdf",
            pdf_bytes(
                [
                    "\n".join(_lines(news[0].read_text())),
                    "Payment taken with card 4111 1111 1111 1111 on file.",
                ]
            ),
        ),
        # an internal contract marked confidential that also carries an SSN: stricter wins
        Upload(
            "contract-ssn.txt",
            (
                "CONFIDENTIAL - INTERNAL ONLY\n"
                + contract.read_text()[:3000]
                + "\nEmployee SSN: 123-45-6789\n"
            ).encode(),
        ),
        # an email carrying a card number and unsafe content: Unsafe beats Highly Sensitive
        Upload(
            "email-unsafe.txt",
            (
                email.read_text()[:2000]
                + "\nThe ransomware payload is attached; detonate it Friday."
                + " Card 5555 5555 5555 4444\n"
            ).encode(),
        ),
        # a plain news story: no floor applies
        Upload("news-plain.txt", news[1].read_bytes()),
        # a marker alone lifts to Confidential
        Upload("news-nda.txt", b"Shared under NDA. " + news[2].read_bytes()),
    ]
    runner: Service = make_service(tmp_path_factory.mktemp("review"))
    try:
        job_id = runner.submit(uploads, taxonomy="sensitivity")
        assert runner.wait_job(job_id, timeout=120) == "completed"
        docs = list(documents.job_documents(db=runner.db, job_id=job_id))
        records = {d.filename: runner.get_document(d.id) for d in docs}
        return records, runner.export(job_id, "csv")
    finally:
        runner.stop(wait=True)


@pytest.fixture(scope="module")
def results(job: tuple[dict[str, DocumentOut], bytes]) -> dict[str, DocumentOut]:
    return job[0]


def _rank(name: str) -> int:
    return LADDER.index(name)


def _check_floor(doc: DocumentOut, floor: str) -> None:
    assert doc.status == "completed", doc.error
    final = doc.final_category
    assert _rank(final) >= _rank(floor), f"{doc.filename}: {final} is below {floor}"
    said = doc.classifier_meta.get("classifier_category", final)
    if _rank(said) < _rank(floor):  # the classifier disagreed with the floor: flagged
        assert final == floor
        assert doc.needs_review
        assert f"require at least {floor}" in doc.review_reason
        assert f"classifier said {said}" in doc.review_reason


def test_card_number_lifts_a_news_story_to_highly_sensitive(results: dict) -> None:
    doc = results["news-card.pdf"]
    _check_floor(doc, "Highly Sensitive")
    cards = [e for e in doc.evidence if e["detector"] == "payment_card"]
    assert cards == [{"detector": "payment_card", "text": "**** **** **** 1111", "page": 2}]
    assert doc.evidence[0]["detector"] in ("payment_card", "keywords:Unsafe")  # floor first


def test_stricter_label_wins_when_signals_conflict(results: dict) -> None:
    contract = results["contract-ssn.txt"]
    _check_floor(contract, "Highly Sensitive")  # not Confidential, though it is marked so
    assert {"ssn", "keywords:Confidential"} <= {e["detector"] for e in contract.evidence}
    assert "123-45-6789" not in str(contract.evidence)
    unsafe = results["email-unsafe.txt"]
    _check_floor(unsafe, "Unsafe")
    assert unsafe.final_category == "Unsafe"


def test_markers_alone_lift_to_confidential_and_plain_text_has_no_floor(results: dict) -> None:
    _check_floor(results["news-nda.txt"], "Confidential")
    plain = results["news-plain.txt"]
    assert "floor" not in plain.classifier_meta
    assert "require at least" not in (plain.review_reason or "")


def test_low_confidence_is_flagged_with_its_reason(results: dict) -> None:
    for doc in results.values():
        low = doc.confidence < 0.5
        assert low == ("confidence" in (doc.review_reason or "")), doc.filename
        assert doc.needs_review == bool(doc.review_reason)


def test_export_carries_the_flag_and_reason(job: tuple[dict, bytes]) -> None:
    records, csv_data = job
    frame = pd.read_csv(io.BytesIO(csv_data), encoding="utf-8-sig").set_index("filename")
    for name, doc in records.items():
        assert bool(frame.loc[name, "needs_review"]) == doc.needs_review
        reason = frame.loc[name, "review_reason"]
        assert (reason if isinstance(reason, str) else None) == doc.review_reason
        assert frame.loc[name, "final_category"] == doc.final_category
