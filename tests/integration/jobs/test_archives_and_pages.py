"""ZIP uploads become documents named by their paths, bad members fail alone; a stored PDF's
page is drawn in a reader process for the preview, anything else is refused clearly."""

from __future__ import annotations

import io
import zipfile

import pytest

from docclass.jobs.service import Service
from docclass.jobs.uploads import expand_archive, relative_name
from docclass.preview import PreviewError
from tests.app.support import ENCRYPTED_PDF
from tests.paths import CORPUS, eval_texts

FOUR_PAGES = CORPUS / "py-pdf+sample-files/004-pdflatex-4-pages/pdflatex-4-pages.pdf"


@pytest.mark.parametrize(
    ("name", "relative"),
    [
        ("a/b/c.txt", "a/b/c.txt"),
        ("/abs/c.txt", "abs/c.txt"),
        ("a\\b.txt", "a/b.txt"),
        ("../../etc/passwd", None),
        ("a/../b.txt", None),
        ("__MACOSX/a/._c.txt", None),
        ("a/.DS_Store", None),
        ("folder/", None),
    ],
)
def test_member_names_are_made_safe(name: str, relative: str | None) -> None:
    assert relative_name(name) == relative


def test_a_zip_becomes_documents_and_a_member_over_the_limit_fails_alone(services) -> None:
    service: Service = services(max_file_bytes=5000)
    body = eval_texts("receipt", 1)[0].read_bytes()[:4000]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("q1/0019.txt", body)
        archive.writestr("q2/0019.txt", body + b" more")
        archive.writestr("q2/bomb.txt", b"0" * 2_000_000)  # inflates far past the limit
    job_id = service.submit(expand_archive("docs.zip", buffer.getvalue()), taxonomy="default")
    assert service.wait_job(job_id, timeout=60) == "completed"
    docs = {d.filename: d for d in service.get_job(job_id).documents}
    assert set(docs) == {"docs.zip/q1/0019.txt", "docs.zip/q2/0019.txt", "docs.zip/q2/bomb.txt"}
    assert docs["docs.zip/q1/0019.txt"].status == "completed"
    assert docs["docs.zip/q2/bomb.txt"].status == "failed"
    assert docs["docs.zip/q2/bomb.txt"].error.startswith("FileTooLarge")


def test_a_stored_pdf_page_is_drawn_for_the_preview(service: Service) -> None:
    from docclass.jobs.uploads import Upload

    job_id = service.submit(
        [Upload("four.pdf", FOUR_PAGES), Upload("locked.pdf", ENCRYPTED_PDF)], taxonomy="default"
    )
    assert service.wait_job(job_id, timeout=60) == "completed"
    four, locked = service.get_job(job_id).documents
    png = service.page_image(four.id, 3, width=600)
    assert png.startswith(b"\x89PNG")
    from PIL import Image

    assert Image.open(io.BytesIO(png)).size[0] == 600
    with pytest.raises(PreviewError, match="page 9 is not in this PDF \\(4 pages\\)"):
        service.page_image(four.id, 9)
    with pytest.raises(PreviewError, match="only PDF pages"):
        service.page_image(locked.id, 1)  # never read: no kind stored
    with pytest.raises(PreviewError, match="deleted"):
        service.page_image("missing", 1)
