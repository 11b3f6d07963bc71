"""The upload's original name: what its extension promises, and how to say the bytes disagree.

Uploads are stored under their sha256 without an extension, so the name never decides how a
file is read; it only shapes warnings and messages (".pdf file is really a PNG image").
"""

from __future__ import annotations

from pathlib import Path


def _ext(filename: str) -> str:
    """Lower-case extension with its dot, '' when there is none."""
    return Path(filename).suffix.lower() if filename else ""


_WORD_EXTS = frozenset({".docx", ".docm", ".dotx", ".dotm"})
_TEXT_EXTS = frozenset(
    {".txt", ".md", ".csv", ".text", ".log", ".tsv", ".json", ".xml", ".html", ".htm"}
)
_IMAGE_EXTS = frozenset({".png", ".jpg", ".jpeg", ".jpe", ".jfif", ".tif", ".tiff", ".webp"})
_KIND_BY_EXT = {
    ".pdf": "pdf",
    **dict.fromkeys(_WORD_EXTS, "docx"),
    **dict.fromkeys(_TEXT_EXTS, "text"),
    **dict.fromkeys(_IMAGE_EXTS, "image"),
}
_KIND_LABEL = {"pdf": "a PDF", "docx": "a Word document", "text": "plain text", "image": "an image"}


def _bare(what: str) -> str:
    """'a PNG image' -> 'PNG image'."""
    for article in ("a ", "an "):
        if what.startswith(article):
            return what[len(article) :]
    return what


def _mismatch(ext: str, what: str) -> str:
    """'.pdf file is really X' when the name promised something else; else 'unsupported…'."""
    if ext in _KIND_BY_EXT:
        return f"{ext} file is really {what}"
    suffix = f" ({ext})" if ext and ext not in what else ""
    return f"unsupported file type: {_bare(what)}{suffix}"
