"""OCR through real jobs: scans and images read in the reader processes, under the timeout.

A real SQLite file, real reader processes, the corpus's scans and pictures of typed pages.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from docclass.extraction import ocr
from docclass.jobs.pipeline import ProgressTarget, ReadTask, _Stages
from docclass.jobs.service import Service
from docclass.jobs.spec import spec_for
from docclass.jobs.uploads import Upload
from docclass.schemas import DocumentOut
from docclass.store import documents, jobs, queue
from docclass.store.db import Database
from tests.harness import settings_for
from tests.integration.store.test_jobs import make_job
from tests.paths import CORPUS
from tests.scans import INVOICE, image_bytes, image_pdf, page_images

INVOICE_SCAN = (
    CORPUS / "microsoft+markitdown/packages/markitdown-ocr/tests/ocr_test_data"
    "/pdf_scanned_invoice.pdf"
)


@pytest.fixture(scope="module")
def invoice_png() -> bytes:
    return image_bytes(page_images([INVOICE]), "PNG")


def docs_by_name(service: Service, job_id: str) -> dict[str, DocumentOut]:
    return {d.filename: d for d in documents.job_documents(db=service.db, job_id=job_id)}


def test_a_scan_and_an_image_upload_are_classified_by_a_job(
    service: Service, invoice_png: bytes
) -> None:
    job_id = service.submit(
        [Upload("scanned.pdf", INVOICE_SCAN), Upload("photo-of-invoice.png", invoice_png)]
    )
    assert service.wait_job(job_id, timeout=120) == "completed"
    docs = docs_by_name(service, job_id)
    scan, image = docs["scanned.pdf"], docs["photo-of-invoice.png"]
    assert (scan.status, scan.kind, scan.engine, scan.ocr_pages) == (
        "completed",
        "pdf",
        "ocr:tesseract",
        1,
    )
    assert "TechCorp Industries" in scan.text_preview
    assert (image.status, image.kind, image.engine, image.ocr_pages) == (
        "completed",
        "image",
        "ocr:tesseract",
        1,
    )
    assert "Northwind Traders" in image.text_preview
    assert image.final_category == "invoice"
    assert 0.8 < image.ocr_confidence <= 1.0 and 0.8 < scan.ocr_confidence <= 1.0
    assert image.detector_counts["money"] >= 1  # OCR text feeds the detectors
    exported = list(csv.DictReader(io.StringIO(service.export(job_id).decode("utf-8-sig"))))
    row = next(r for r in exported if r["filename"] == "photo-of-invoice.png")
    assert (row["engine"], row["ocr_pages"]) == ("ocr:tesseract", "1")
    assert 0.8 < float(row["ocr_confidence"]) <= 1.0


def test_a_ten_thousand_page_scan_stops_at_the_ocr_page_limit(
    services: Callable[..., Service],
) -> None:
    bomb = image_pdf(page_images([INVOICE]), pages=10_000)
    service = services(doc_timeout_s=30.0, ocr_max_pages=4)
    job_id = service.submit([Upload("bomb.pdf", bomb)])
    assert service.wait_job(job_id, timeout=120) == "completed"
    doc = docs_by_name(service, job_id)["bomb.pdf"]
    assert (doc.status, doc.engine, doc.pages, doc.ocr_pages, doc.truncated) == (
        "completed",
        "ocr:tesseract",
        10_000,
        4,
        True,
    )
    assert doc.text_preview.count("Northwind Traders") >= 2


def test_ocr_off_restores_no_text_layer(
    services: Callable[..., Service], invoice_png: bytes
) -> None:
    service = services(ocr="off")
    job_id = service.submit([Upload("scanned.pdf", INVOICE_SCAN), Upload("a.png", invoice_png)])
    assert service.wait_job(job_id, timeout=60) == "completed"
    docs = docs_by_name(service, job_id)
    assert docs["scanned.pdf"].error == "NoTextLayer: no extractable text (scanned image?)"
    assert docs["a.png"].error == (
        "UnsupportedFormat: an image is read with OCR, which is off (DOCCLASS_OCR=off)"
    )


def test_ocr_pages_move_progress_between_10_and_30_and_a_deleted_job_stops_them(
    db: Database, database_url: str, tmp_path: Path
) -> None:
    job_id = make_job(db, 1)
    (claimed,) = queue.claim_documents(db=db, owner="w1", limit=1)
    settings = replace(settings_for(tmp_path), database_url=database_url)
    spec = spec_for("default", "", None, "local", settings, corrections_version=0)
    task = ReadTask(
        path=str(INVOICE_SCAN),
        filename="scan.pdf",
        limits=settings.limits,
        spec=spec,
        progress=ProgressTarget(claimed.doc_id, "w1"),
    )
    stages = _Stages(task)

    def progress() -> int:
        return jobs.get_job(db=db, job_id=job_id).documents[0].progress

    stages.last = float("-inf")  # as if the document had been quiet for a while
    stages.ocr_page(1, 4)
    assert progress() == 15
    stages.last = float("-inf")
    stages.ocr_page(4, 4)
    assert progress() == 30
    jobs.delete_job(db=db, job_id=job_id)  # the document is no longer this worker's
    stages.last = float("-inf")
    with pytest.raises(ocr.StopReading):  # passes the readers' handlers, becomes Released
        stages.ocr_page(2, 4)


def test_a_missing_ocr_model_is_said_at_start_and_on_each_scan(
    services: Callable[..., Service],
    invoice_png: bytes,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    empty = tmp_path / "no-tessdata"
    empty.mkdir()
    with caplog.at_level("WARNING", logger="docclass.jobs.service"):
        service = services(ocr_data=str(empty))
    (said,) = [r.getMessage() for r in caplog.records if r.name == "docclass.jobs.service"]
    assert said.startswith("OCR is auto, but unavailable: Tesseract's language data for eng")
    assert said.endswith("apt-get install tesseract-ocr-eng")
    job_id = service.submit([Upload("scanned.pdf", INVOICE_SCAN), Upload("a.png", invoice_png)])
    assert service.wait_job(job_id, timeout=60) == "completed"
    docs = docs_by_name(service, job_id)
    assert docs["scanned.pdf"].error.startswith(
        "OcrUnavailable: no text layer (a scan?), and OCR is unavailable: "
    )
    assert docs["a.png"].error.endswith(": apt-get install tesseract-ocr-eng")
