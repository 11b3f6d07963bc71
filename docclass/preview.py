"""Page images of stored PDFs, for the document preview beside a result.

Rendering runs in a reader process (:meth:`docclass.jobs.service.Service.page_image`), like
every other read of an uploaded file: a PDF that crashes or hangs PDFium takes down only
that process, never the app.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

# Widest image rendered, in pixels (a page is scaled to fit).
MAX_WIDTH = 1600


class PreviewError(ValueError):
    """The page cannot be drawn (not a PDF, no such page, a broken file)."""


@dataclass(frozen=True)
class PageRequest:
    path: str
    page: int  # 1-based
    width: int = 900


def render_page(request: PageRequest) -> bytes:
    """One page of a PDF as PNG bytes, ``request.width`` pixels wide."""
    import pypdfium2 as pdfium

    width = max(100, min(int(request.width), MAX_WIDTH))
    try:
        pdf = pdfium.PdfDocument(request.path)
    except pdfium.PdfiumError as exc:
        raise PreviewError(f"cannot open the PDF: {exc}") from exc
    try:
        if not 1 <= request.page <= len(pdf):
            raise PreviewError(f"page {request.page} is not in this PDF ({len(pdf)} pages)")
        page = pdf[request.page - 1]
        try:
            page_width = page.get_width() or 612.0
            bitmap = page.render(scale=width / page_width)
            image = bitmap.to_pil()
        finally:
            page.close()
    finally:
        pdf.close()
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()
