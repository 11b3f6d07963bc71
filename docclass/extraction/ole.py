"""OLE compound files (legacy Office): which error to raise, since we read none of them.

An encrypted .docx arrives as an OLE container, not a ZIP, so telling it from a legacy .doc
needs a look at the directory: the analyst must either remove a password or re-save the file.
"""

from __future__ import annotations

import struct

from docclass.extraction.errors import (
    CorruptDocument,
    DocumentError,
    EncryptedDocument,
    UnsupportedFormat,
)
from docclass.extraction.names import _mismatch


def _ole_entries(data: bytes) -> list[tuple[str, int, int]] | None:
    """(name, start sector, size) of each entry in an OLE directory; None if unreadable.

    A minimal Compound File Binary reader: enough to tell an encrypted OOXML package
    (``EncryptionInfo`` stream) from a legacy ``WordDocument`` without trusting any count.
    """
    if len(data) < 512:
        return None
    shift = struct.unpack_from("<H", data, 0x1E)[0]
    if shift not in (9, 12):
        return None
    ss = 1 << shift
    n_sectors = max(0, -(-(len(data) - ss) // ss))  # a short last sector still counts
    n_fat, first_dir = struct.unpack_from("<II", data, 0x2C)
    first_difat, n_difat = struct.unpack_from("<II", data, 0x44)

    def sector(n: int) -> bytes:
        return data[(n + 1) * ss : (n + 2) * ss] if n < n_sectors else b""

    fat_sectors = [s for s in struct.unpack_from("<109I", data, 0x4C) if s < n_sectors]
    seen: set[int] = set()
    nxt = first_difat
    while nxt < n_sectors and nxt not in seen and len(seen) < n_difat and len(fat_sectors) < n_fat:
        seen.add(nxt)
        raw = sector(nxt)
        if len(raw) < ss:
            break
        values = struct.unpack(f"<{ss // 4}I", raw)
        fat_sectors.extend(s for s in values[:-1] if s < n_sectors)
        nxt = values[-1]
    fat: list[int] = []
    for s in fat_sectors[: max(n_fat, 1)]:
        raw = sector(s)
        if len(raw) == ss:
            fat.extend(struct.unpack(f"<{ss // 4}I", raw))
    entries: list[tuple[str, int, int]] = []
    seen.clear()
    nxt = first_dir
    while nxt < n_sectors and nxt not in seen:
        seen.add(nxt)
        raw = sector(nxt)
        for off in range(0, len(raw) - 127, 128):
            name_len, kind = struct.unpack_from("<HB", raw, off + 64)
            if kind not in (1, 2, 5) or not 2 <= name_len <= 64:
                continue
            name = raw[off : off + name_len - 2].decode("utf-16-le", errors="replace")
            start, size = struct.unpack_from("<II", raw, off + 116)
            entries.append((name, start, size))
        nxt = fat[nxt] if nxt < len(fat) else n_sectors
    return entries or None


def _legacy_word_encrypted(data: bytes, start: int, size: int) -> bool | None:
    """fEncrypted/fObfuscated from the FIB at the start of the WordDocument stream."""
    shift = struct.unpack_from("<H", data, 0x1E)[0]
    cutoff = struct.unpack_from("<I", data, 0x38)[0]
    if size < cutoff:  # in the mini stream; rare for a real document, not worth a walk
        return None
    ss = 1 << shift
    fib = data[(start + 1) * ss : (start + 1) * ss + 12]
    if len(fib) < 12 or struct.unpack_from("<H", fib, 0)[0] != 0xA5EC:
        return None
    flags = struct.unpack_from("<H", fib, 0x0A)[0]
    return bool(flags & 0x0100 or flags & 0x8000)


def _ole_error(data: bytes, ext: str, complete: bool = True) -> DocumentError:
    """The error for an OLE compound file: encrypted OOXML, legacy .doc, or other Office file.

    ``complete`` says ``data`` is the whole file, so a directory that cannot be read means a
    damaged file; with only its first bytes it means nothing, and nothing more is claimed.
    """
    entries = _ole_entries(data)
    if entries is None and not complete:
        return UnsupportedFormat(_mismatch(ext, "an OLE compound file (legacy Microsoft Office)"))
    if entries is None:
        what = f"{ext} file" if ext else "file"
        return CorruptDocument(
            f"damaged or truncated {what}: a Microsoft Office (OLE) container whose directory "
            "cannot be read; open it in Office and save it again, or upload it again"
        )
    names = {name for name, _, _ in entries}
    if "EncryptionInfo" in names or "EncryptedPackage" in names:
        app = {".xlsx": "Excel", ".xlsm": "Excel", ".pptx": "PowerPoint"}.get(ext, "Word")
        return EncryptedDocument(
            f"password-protected {app} file (encrypted OOXML package in an OLE container); "
            "remove the password and upload it again"
        )
    word = next(((s, n) for name, s, n in entries if name == "WordDocument"), None)
    if word is not None:
        named = f"{ext} file is really a " if ext and ext != ".doc" else ""
        if _legacy_word_encrypted(data, *word):
            return EncryptedDocument(
                f"{named}password-protected legacy .doc Word file (Word 97-2003); "
                "remove the password and save it as .docx"
            )
        return UnsupportedFormat(
            f"{named}legacy .doc Word file (Word 97-2003, OLE container); save it as .docx or PDF"
        )
    if names & {"Workbook", "Book"}:
        return UnsupportedFormat(_mismatch(ext, "a legacy .xls Excel workbook"))
    if "PowerPoint Document" in names:
        return UnsupportedFormat(_mismatch(ext, "a legacy .ppt PowerPoint presentation"))
    if any(name.startswith("__substg1.0_") for name in names):
        return UnsupportedFormat(_mismatch(ext, "an Outlook message (.msg)"))
    return UnsupportedFormat(_mismatch(ext, "an OLE compound file (legacy Microsoft Office)"))
