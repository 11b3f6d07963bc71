"""The OCR engine: Tesseract (through tesserocr), inside the reader process reading the file.

Chosen on measurements (``bench/ocr.py``, README "OCR"): on the corpus's text pages rendered
at 200 dpi, Tesseract 5 with the fast English model reads at 0.8% character error (2.2% on
noisy scans) and 1,800 characters per CPU-second; RapidOCR (PP-OCR on onnxruntime) at 20%
(it runs English words together) and 190 characters per CPU-second, with ~280 MB of wheels.
tesserocr's wheel carries libtesseract itself, so the engine runs in this
process: under its memory cap, killed with it at the document's timeout, one engine per
process, single-threaded (the wheel is built without OpenMP). Nothing is downloaded: the
language data comes from the system (Debian's ``tesseract-ocr-eng``) or ``DOCCLASS_OCR_DATA``.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from docclass.settings import Limits

if TYPE_CHECKING:
    from PIL import Image

ENGINE = "tesseract"
# Where distributions put Tesseract's language data (Debian 12: 5/tessdata; older: 4.00).
TESSDATA_DIRS = (
    "/usr/share/tesseract-ocr/5/tessdata",
    "/usr/share/tesseract-ocr/4.00/tessdata",
    "/usr/share/tessdata",
    "/usr/local/share/tessdata",
    "/opt/homebrew/share/tessdata",
)
INSTALL_HINT = "tesseract-ocr-{lang}"  # Debian's package of a language's model
# What the engine gets at most: larger pages and images are scaled down to this (A4 at
# 600 dpi is 35 MP; Tesseract needs no more than 300 dpi for body text).
OCR_MAX_PIXELS = 36_000_000
SOFT_DEADLINE_SHARE = 0.75  # of doc_timeout_s: past it, OCR keeps the pages it has read
HARD_DEADLINE_SHARE = 0.9  # past it, OCR abandons the page it is on (when it has text)
MIN_SIDE_PX = 16  # smaller than this holds no legible word
# Tesseract's page layout (PSM AUTO: columns, blocks) now and then drops a whole block of
# plain lines on grey or noisy paper (bench/ocr.py's noisy rows): a page where it finds fewer
# words than this is read again as one block of text, and the reading with more words wins.
RETRY_BELOW_WORDS = 3
BLANK_RANGE = 24  # grey levels between the darkest and lightest pixel of an empty page

_LOCK = threading.Lock()  # one engine per process; example folders are read in-process


class StopReading(BaseException):
    """Raised by a progress callback to stop reading (the document was released).

    A BaseException, so the readers' ``except Exception`` (which turn a reader's failure into
    a document error) let it through to the caller that asked for the stop.
    """


@dataclass
class PageText:
    text: str
    words: int  # words holding a letter or a digit
    confidence_sum: float = 0.0  # of those words, each 0..1

    @property
    def confidence(self) -> float | None:
        return self.confidence_sum / self.words if self.words else None


@dataclass
class Tally:
    """What OCR did for one document: pages looked at, pages whose text it gave, and the
    words of those pages with their mean confidence."""

    read: int = 0
    pages: int = 0
    words: int = 0
    confidence_sum: float = 0.0

    def add(self, page: PageText, used: bool = True) -> None:
        self.read += 1
        if used:
            self.pages += 1
            self.words += page.words
            self.confidence_sum += page.confidence_sum

    @property
    def confidence(self) -> float | None:
        return round(self.confidence_sum / self.words, 4) if self.words else None


@dataclass(frozen=True)
class Deadlines:
    """When slow readers stop: a long scan gives its first pages rather than a timeout."""

    soft: float  # past this, pypdf and OCR keep the pages they have
    hard: float  # past this, OCR abandons the page it is on (when it has text in hand)

    @classmethod
    def starting_now(cls, limits: Limits) -> Deadlines:
        now = time.monotonic()
        return cls(
            now + SOFT_DEADLINE_SHARE * limits.doc_timeout_s,
            now + HARD_DEADLINE_SHARE * limits.doc_timeout_s,
        )

    def page_timeout(self, in_hand: bool) -> float | None:
        """Seconds one page may take: unbounded until there is text to keep."""
        return max(0.001, self.hard - time.monotonic()) if in_hand else None


# --- is it there? ----------------------------------------------------------------------------


def _languages(limits: Limits) -> list[str]:
    return [lang for lang in limits.ocr_lang.split("+") if lang]


def _data_folders(limits: Limits) -> list[Path]:
    if limits.ocr_data:
        return [Path(limits.ocr_data)]
    prefix = os.environ.get("TESSDATA_PREFIX", "")
    candidates = [p for p in (prefix, prefix and f"{prefix}/tessdata") if p]
    return [Path(p) for p in (*candidates, *TESSDATA_DIRS)]


def find_data(limits: Limits) -> Path | None:
    """The folder holding every ``<lang>.traineddata`` the settings ask for, or None."""
    for folder in _data_folders(limits):
        if all((folder / f"{lang}.traineddata").is_file() for lang in _languages(limits)):
            return folder
    return None


@functools.lru_cache(maxsize=8)
def _unavailable(lang: str, data: str) -> str | None:
    limits = Limits(ocr_lang=lang, ocr_data=data)
    if not _languages(limits):
        return "DOCCLASS_OCR_LANG names no language"
    if importlib.util.find_spec("tesserocr") is None:
        return "the tesserocr package is not installed (pip install -r requirements.txt)"
    if find_data(limits) is not None:
        return None
    folders = _data_folders(limits)
    missing = [
        name
        for name in _languages(limits)
        if not any((folder / f"{name}.traineddata").is_file() for folder in folders)
    ] or _languages(limits)
    where = data if data else "DOCCLASS_OCR_DATA, TESSDATA_PREFIX or the usual folders"
    packages = " ".join(INSTALL_HINT.format(lang=name) for name in missing)
    return (
        f"Tesseract's language data for {'+'.join(missing)} is not installed (looked in "
        f"{where}): apt-get install {packages}"
    )


def unavailable(limits: Limits) -> str | None:
    """Why OCR cannot run on this installation (what to install), or None when it can.

    Cheap (no engine is loaded): the app calls it at start to say so in its log.
    """
    return _unavailable(limits.ocr_lang, limits.ocr_data)


def summary(limits: Limits) -> str:
    """One line for the settings view and the log: the mode and what it runs, or what's missing."""
    if limits.ocr == "off":
        return "off (scanned PDFs fail with NoTextLayer, images as unsupported)"
    why = unavailable(limits)
    if why is not None:
        return f"{limits.ocr}, but unavailable: {why}"
    return (
        f"{limits.ocr}: Tesseract ({limits.ocr_lang}) at {limits.ocr_dpi} dpi, "
        f"up to {limits.ocr_max_pages} pages per document"
    )


# --- progress --------------------------------------------------------------------------------

# Set by the pipeline around one document's extraction: called with (pages done, pages to do).
_PROGRESS: ContextVar[Callable[[int, int], None] | None] = ContextVar(
    "docclass_ocr_progress", default=None
)


@contextlib.contextmanager
def reporting(callback: Callable[[int, int], None]) -> Iterator[None]:
    """Have OCR call ``callback(done, total)`` after each page it reads in this block."""
    token = _PROGRESS.set(callback)
    try:
        yield
    finally:
        _PROGRESS.reset(token)


def report(done: int, total: int) -> None:
    callback = _PROGRESS.get()
    if callback is not None:
        callback(done, total)


# --- the engine ------------------------------------------------------------------------------


@functools.lru_cache(maxsize=2)
def _engine(data: str, lang: str) -> Any:
    """One Tesseract per process and language set, loaded on first use (~0.1 s)."""
    import tesserocr

    return tesserocr.PyTessBaseAPI(
        path=data,
        lang=lang,
        oem=tesserocr.OEM.LSTM_ONLY,
        psm=tesserocr.PSM.AUTO,
        variables={"debug_file": os.devnull},  # its notices are not the app's log
    )


def recognise(
    image: Image.Image, dpi: int | None, limits: Limits, timeout_s: float | None = None
) -> PageText | None:
    """The words on one greyscale page image; None when ``timeout_s`` ran out first.

    Blank and tiny images are answered without the engine (a page bomb of empty pages
    costs only its rendering).
    """
    if min(image.size) < MIN_SIDE_PX:
        return PageText("", 0)
    low, high = image.getextrema()
    if high - low < BLANK_RANGE:
        return PageText("", 0)
    data = find_data(limits)
    if data is None:  # checked before reading; the folder went away meanwhile
        raise RuntimeError(unavailable(limits) or "Tesseract's language data is missing")
    from tesserocr import PSM

    ms = 0 if timeout_s is None else max(1, int(timeout_s * 1000))
    with _LOCK:
        api = _engine(str(data), limits.ocr_lang)
        try:
            page = _read(api, image, dpi, ms)
            if page is not None and page.words < RETRY_BELOW_WORDS:
                api.SetPageSegMode(PSM.SINGLE_BLOCK)
                again = _read(api, image, dpi, ms)
                if again is not None and again.words > page.words:
                    page = again
            return page
        finally:
            api.SetPageSegMode(PSM.AUTO)
            api.Clear()


def _read(api: Any, image: Image.Image, dpi: int | None, timeout_ms: int) -> PageText | None:
    """One recognition of ``image`` in the engine's current page mode."""
    from tesserocr import RIL, iterate_level

    api.SetImage(image)
    if dpi:
        api.SetSourceResolution(int(dpi))
    if not api.Recognize(timeout=timeout_ms):
        return None
    page = PageText(api.GetUTF8Text(), 0)
    iterator = api.GetIterator()
    for word in iterate_level(iterator, RIL.WORD) if iterator is not None else ():
        try:
            value = word.GetUTF8Text(RIL.WORD)
        except RuntimeError:  # an empty word box
            continue
        if any(ch.isalnum() for ch in value):
            page.words += 1
            page.confidence_sum += max(0.0, word.Confidence(RIL.WORD)) / 100
    return page


def fit(image: Image.Image) -> tuple[Image.Image, float]:
    """``image`` scaled down to at most OCR_MAX_PIXELS, and the factor it was scaled by."""
    pixels = image.width * image.height
    if pixels <= OCR_MAX_PIXELS:
        return image, 1.0
    factor = (OCR_MAX_PIXELS / pixels) ** 0.5
    size = (max(1, int(image.width * factor)), max(1, int(image.height * factor)))
    from PIL import Image as PILImage

    return image.resize(size, PILImage.Resampling.BOX), factor
