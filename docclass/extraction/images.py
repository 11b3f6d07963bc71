"""Images (PNG, JPEG, TIFF and its pages, WebP): their words, by OCR.

An image's size is checked from its header before a pixel is decoded: one over
``max_image_pixels`` is refused as a decompression bomb (a few KB of PNG can declare
gigapixels). Large photographs are decoded at a reduced scale (JPEG draft mode) and scaled to
what the engine needs. A multi-page TIFF is read page by page up to ``ocr_max_pages``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from docclass.extraction import ocr
from docclass.extraction.errors import (
    CorruptDocument,
    FileTooLarge,
    NoTextFound,
    OcrUnavailable,
    UnsupportedFormat,
)
from docclass.extraction.source import Extracted, _normalise, _Source
from docclass.settings import Limits

FORMATS = ("PNG", "JPEG", "TIFF", "WEBP")  # a camera's MPO opens as JPEG
MIN_DPI, MAX_DPI = 50, 2400  # a declared resolution outside this is a placeholder


def _mp(pixels: float) -> str:
    """Megapixels as people say them: 0.3, 8.7, 80, 1,000."""
    value = pixels / 1e6
    return f"{value:.1f}" if value < 10 else f"{value:,.0f}"


def _too_large(width: int, height: int, limits: Limits) -> FileTooLarge:
    return FileTooLarge(
        f"image is {width:,} × {height:,} pixels ({_mp(width * height)} MP); the limit is "
        f"{_mp(limits.max_image_pixels)} MP (DOCCLASS_MAX_IMAGE_MPIX)"
    )


def _declared_dpi(image: Any) -> float | None:
    dpi = image.info.get("dpi")
    try:
        value = float(dpi[0]) if isinstance(dpi, tuple) else float(dpi)
    except (TypeError, ValueError, IndexError):
        return None
    return value if MIN_DPI <= value <= MAX_DPI else None


def _page(image: Any, limits: Limits) -> tuple[Any, int | None]:
    """One frame as the engine wants it: upright, greyscale on white, at most OCR_MAX_PIXELS;
    and its resolution in dpi when the file says."""
    from PIL import Image, ImageOps

    width, height = image.size
    if width * height > limits.max_image_pixels:
        raise _too_large(width, height, limits)
    dpi = _declared_dpi(image)
    if image.format in ("JPEG", "MPO") and width * height > ocr.OCR_MAX_PIXELS:
        factor = (ocr.OCR_MAX_PIXELS / (width * height)) ** 0.5
        image.draft("L", (int(width * factor), int(height * factor)))  # decode at 1/2, 1/4…
    image = ImageOps.exif_transpose(image)
    if "A" in image.getbands() or "transparency" in image.info:
        rgba = image.convert("RGBA")
        image = Image.alpha_composite(Image.new("RGBA", rgba.size, "white"), rgba)
    grey = image.convert("L")
    grey, _factor = ocr.fit(grey)
    scale = (grey.width * grey.height / (width * height)) ** 0.5  # draft and fit, not rotation
    return grey, round(dpi * scale) if dpi else None


def _frames(image: Any, cap: int) -> Iterator[int]:
    """Frame numbers up to ``cap``, found by seeking: a TIFF's page count would walk every
    page header of the file first."""
    for index in range(cap):
        try:
            image.seek(index)
        except EOFError:
            return
        yield index


def _has_more(image: Any, index: int) -> bool:
    try:
        image.seek(index)
    except EOFError:
        return False
    return True


def _extract_image(src: _Source, limits: Limits, warnings: list[str]) -> Extracted:
    """The words of every page of an image, by OCR; an image without any is an error."""
    if limits.ocr == "off":
        raise UnsupportedFormat("an image is read with OCR, which is off (DOCCLASS_OCR=off)")
    why = ocr.unavailable(limits)
    if why is not None:
        raise OcrUnavailable(f"an image is read with OCR, which is unavailable: {why}")
    from PIL import Image, UnidentifiedImageError

    deadlines = ocr.Deadlines.starting_now(limits)
    # Pillow's own guard refuses at open with its own message; ours (in _page, before any
    # pixel is decoded: open reads only the header) names the size and the setting.
    Image.MAX_IMAGE_PIXELS = None
    cap = max(1, limits.ocr_max_pages)
    tally = ocr.Tally()
    texts: list[str] = []
    truncated = more = False
    with src.open() as fh:
        try:
            image = Image.open(fh, formats=FORMATS)
        except UnidentifiedImageError as exc:
            raise CorruptDocument("unreadable image: not a valid PNG, JPEG, TIFF or WebP") from exc
        with image:
            expected = 1 if image.format == "TIFF" else int(getattr(image, "n_frames", 1) or 1)
            for index in _frames(image, cap):
                in_hand = any(texts)
                if in_hand and time.monotonic() > deadlines.soft:
                    truncated = True
                    warnings.append(f"OCR stopped at the time limit after {index} pages")
                    break
                page, dpi = _page(image, limits)
                found = ocr.recognise(page, dpi, limits, deadlines.page_timeout(in_hand))
                if found is None:
                    truncated = True
                    warnings.append(f"OCR stopped at the time limit on page {index + 1}")
                    break
                text = _normalise(found.text) if found.words else ""
                tally.add(found, used=bool(text))
                texts.append(text)
                # A TIFF's page count is unknown until read: count one more than done.
                ocr.report(index + 1, max(expected, min(cap, index + 2)))
            else:
                more = len(texts) == cap and _has_more(image, cap)
    if more:
        truncated = True
        pages = "page" if cap == 1 else f"{cap} pages"
        warnings.append(
            f"OCR read only the first {pages}; the image has more (DOCCLASS_OCR_MAX_PAGES)"
        )
    if not any(texts):
        pages = f"{tally.read} pages" if tally.read != 1 else "its one page"
        raise NoTextFound(f"OCR found no words in the image ({pages} read)")
    return _joined(texts, tally, truncated, limits, warnings)


def _joined(
    texts: list[str], tally: ocr.Tally, truncated: bool, limits: Limits, warnings: list[str]
) -> Extracted:
    """The pages' texts as one document, each page's start remembered for citations."""
    starts: list[int] = []
    parts: list[str] = []
    length = 0
    for text in texts:
        sep = "\n\n" if length and text else ""
        starts.append(length + len(sep) if text else length)
        if text:
            parts += [sep, text]
            length += len(sep) + len(text)
    joined = "".join(parts)
    if len(joined) > limits.max_chars:
        joined, truncated = joined[: limits.max_chars].rstrip(), True
    return Extracted(
        text=joined,
        kind="image",
        engine=f"ocr:{ocr.ENGINE}",
        pages=len(texts),
        pages_read=len(texts),
        page_starts=starts,
        truncated=truncated,
        warnings=warnings,
        ocr_pages=tally.pages,
        ocr_confidence=tally.confidence,
    )
