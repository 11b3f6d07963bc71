"""Scans built in the tests: pictures of real typeset text, image files, image-only PDFs.

The pictures are text-layer PDFs (Helvetica, :func:`tests.builders.pdf_bytes`) rendered by
pdfium, as a scanner would see the printed page; the PDFs hold only those pictures.
"""

from __future__ import annotations

import io

import pypdfium2 as pdfium
from PIL import Image

from tests.builders import pdf_bytes, pdf_from_objects

INVOICE = (
    "INVOICE 2024-117\n"
    "Bill to: Northwind Traders, 12 Harbour Road, Leeds\n"
    "Description: consulting services, March\n"
    "Subtotal 1,200.00\n"
    "VAT 240.00\n"
    "Amount due: 1,440.00 EUR\n"
    "Payment terms: 30 days. Please pay by bank transfer."
)


def page_images(pages: list[str], dpi: int = 200) -> list[Image.Image]:
    """Each page of text as a greyscale picture of a US Letter page at ``dpi``."""
    pdf = pdfium.PdfDocument(pdf_bytes(pages))
    try:
        return [
            pdf[i].render(scale=dpi / 72, grayscale=True).to_pil().convert("L").copy()
            for i in range(len(pdf))
        ]
    finally:
        pdf.close()


def image_bytes(images: list[Image.Image], fmt: str, dpi: int = 200) -> bytes:
    """The pictures saved as one file (a TIFF holds them all as pages)."""
    buf = io.BytesIO()
    first, rest = images[0], images[1:]
    options: dict[str, object] = {"dpi": (dpi, dpi)} if fmt in ("PNG", "JPEG", "TIFF") else {}
    if fmt == "TIFF":
        options.update(save_all=True, append_images=rest, compression="tiff_deflate")
    first.save(buf, fmt, **options)
    return buf.getvalue()


def image_pdf(
    images: list[Image.Image], pages: int | None = None, text_pages: dict[int, str] | None = None
) -> bytes:
    """A PDF whose pages each show one picture (JPEG), cycling through ``images`` for
    ``pages`` pages; ``text_pages`` gives some pages a text layer instead (a mixed PDF).

    Pages share their picture objects, so 10,000 pages cost about 100 KB.
    """
    count = len(images) if pages is None else pages
    text_pages = text_pages or {}
    objects: list[bytes] = [b"", b""]  # catalog and page tree, written last
    objects.append(
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
    )
    font = len(objects)
    draws: list[int] = []
    for image in images:
        buf = io.BytesIO()
        image.save(buf, "JPEG", quality=85)
        data = buf.getvalue()
        objects.append(
            b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
            b"/BitsPerComponent 8 /Filter /DCTDecode /Length %d >>\nstream\n%s\nendstream"
            % (image.width, image.height, len(data), data)
        )
        picture = len(objects)
        draw = b"q 612 0 0 792 0 0 cm /Im Do Q"
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(draw), draw))
        draws.append(picture)
    texts: dict[int, int] = {}
    for index, text in text_pages.items():
        ops = (
            b"BT /F1 12 Tf 14 TL 72 720 Td "
            + b" T* ".join(b"(" + line.encode("cp1252") + b") Tj" for line in text.split("\n"))
            + b" ET"
        )
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(ops), ops))
        texts[index] = len(objects)
    kids: list[int] = []
    for index in range(count):
        if index in texts:
            resources = b"<< /Font << /F1 %d 0 R >> >>" % font
            contents = texts[index]
        else:
            picture = draws[index % len(draws)]
            resources = b"<< /XObject << /Im %d 0 R >> >>" % picture
            contents = picture + 1
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources %s "
            b"/Contents %d 0 R >>" % (resources, contents)
        )
        kids.append(len(objects))
    objects[0] = b"<< /Type /Catalog /Pages 2 0 R >>"
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % k for k in kids),
        count,
    )
    return pdf_from_objects(objects)
