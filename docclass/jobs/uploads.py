"""Uploads: files copied once into ``uploads/<sha256>``, hashed on the way in.

On a server database the uploads are also kept in the database (:mod:`docclass.store.blobs`):
a worker on another machine shares only the database URL, and copies a file into its own
uploads folder the first time it needs it.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import tempfile
import time
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from docclass.store import blobs
from docclass.store.db import Database
from docclass.store.jobs import NewDocument

CHUNK = 1024 * 1024
STALE_INCOMING_S = 3600


# Errors that mean "the disk is full", not "this file is bad".
_NO_SPACE = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


class StorageFull(OSError):
    """The uploads folder's disk is full: no job was created; the message says what to do."""


def _no_space(exc: OSError, folder: Path, filename: str) -> StorageFull:
    full = StorageFull(
        f"no space left in {folder} while storing {filename!r}: nothing was submitted. "
        "Free disk space there (or point DOCCLASS_DATA_DIR at a larger disk) and submit again"
    )
    full.errno = exc.errno
    return full


@dataclass(frozen=True)
class Upload:
    """One file handed to the service: a name and a path, binary stream or bytes.

    ``error`` set means the file could not be had at all (a ZIP member that cannot be
    opened): it becomes a failed document with that reason.
    """

    filename: str
    source: Path | BinaryIO | bytes
    error: str | None = None


def _chunks(source: Path | BinaryIO | bytes) -> Iterator[bytes]:
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        for i in range(0, len(data), CHUNK):
            yield data[i : i + CHUNK]
        return
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as fh:
            yield from iter(lambda: fh.read(CHUNK), b"")
        return
    if hasattr(source, "seek"):
        with contextlib.suppress(OSError, ValueError):
            source.seek(0)
    yield from iter(lambda: source.read(CHUNK), b"")


def _source_size(source: Path | BinaryIO | bytes) -> int | None:
    if isinstance(source, bytes | bytearray | memoryview):
        return len(source)
    if isinstance(source, str | os.PathLike):
        return os.path.getsize(source)
    size = getattr(source, "size", None)
    return int(size) if isinstance(size, int) else None


class UploadStore:
    """The uploads folder: each content is written once, under its sha256."""

    def __init__(self, folder: Path, max_file_bytes: int, db: Database | None = None) -> None:
        self.folder = folder
        self.max_file_bytes = max_file_bytes
        self.db = db if db is not None and db.stores_uploads else None
        folder.mkdir(parents=True, exist_ok=True)
        self._sweep_incoming()

    def _sweep_incoming(self) -> None:
        """Remove temporary files an interrupted upload left (older than STALE_INCOMING_S:
        another process may be spooling into the same folder right now)."""
        cutoff = time.time() - STALE_INCOMING_S
        for tmp in self.folder.glob(".incoming-*"):
            with contextlib.suppress(OSError):
                if tmp.stat().st_mtime < cutoff:
                    tmp.unlink()

    def path(self, sha256: str) -> Path:
        """The file's local path; fetched from the database first when only it has it."""
        local = self.folder / sha256
        if self.db is not None and sha256 and not local.exists():
            blobs.fetch(db=self.db, sha256=sha256, target=local)
        return local

    def spool(self, upload: Upload) -> tuple[Path | None, NewDocument]:
        """Copy one file to a temporary file in chunks, hashing it on the way.

        Returns the temporary path (None when refused) and the document facts; a file over
        the size limit is refused without reading the rest of it.
        """
        limit = self.max_file_bytes
        if upload.error:
            return None, NewDocument(
                filename=upload.filename, sha256="", size=0, error=upload.error
            )
        digest = hashlib.sha256()
        size = 0
        try:
            fd, tmp_name = tempfile.mkstemp(dir=self.folder, prefix=".incoming-")
        except OSError as exc:
            if exc.errno in _NO_SPACE:
                raise _no_space(exc, self.folder, upload.filename) from exc
            raise
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in _chunks(upload.source):
                    size += len(chunk)
                    if size > limit:
                        break
                    digest.update(chunk)
                    out.write(chunk)
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:  # a broken ZIP member
            os.unlink(tmp_name)
            return None, NewDocument(
                filename=upload.filename,
                sha256="",
                size=size,
                error=f"CorruptDocument: cannot inflate this ZIP member ({exc})",
            )
        except BaseException as exc:
            os.unlink(tmp_name)
            if isinstance(exc, OSError) and exc.errno in _NO_SPACE:
                raise _no_space(exc, self.folder, upload.filename) from exc
            raise
        if size > limit:
            os.unlink(tmp_name)
            total = _source_size(upload.source) or size
            return None, NewDocument(
                filename=upload.filename,
                sha256="",
                size=total,
                error=f"FileTooLarge: file is over the {limit / (1024 * 1024):g} MB limit",
            )
        return Path(tmp_name), NewDocument(
            filename=upload.filename, sha256=digest.hexdigest(), size=size
        )

    def keep(self, upload: Upload, created: list[str] | None = None) -> NewDocument:
        """Store one file as ``uploads/<sha256>`` (once per content).

        The hash of a file this call stored for the first time is appended to ``created``,
        so a submit that fails half-way can remove what it alone added.
        """
        tmp, doc = self.spool(upload)
        if tmp is not None:
            target = self.folder / doc.sha256
            fresh = not target.exists()
            try:
                if self.db is not None:
                    blobs.put(db=self.db, sha256=doc.sha256, path=tmp)
            except BaseException:
                tmp.unlink()
                raise
            if fresh:
                os.replace(tmp, target)
                if created is not None:
                    created.append(doc.sha256)
            else:
                tmp.unlink()
        return doc

    def forget(self, hashes: Iterable[str]) -> None:
        hashes = list(hashes)
        if self.db is not None:
            blobs.delete_uploads(db=self.db, hashes=hashes)
        for sha in hashes:
            if sha:
                with contextlib.suppress(FileNotFoundError):
                    (self.folder / sha).unlink()


def expand_paths(paths: Iterable[str | Path]) -> list[Upload]:
    """Files and folders (recursively, sorted) to uploads; hidden files are skipped."""
    out: list[Upload] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and not child.name.startswith("."):
                    out.append(Upload(filename=child.name, source=child))
        elif path.is_file():
            out.append(Upload(filename=path.name, source=path))
        else:
            raise FileNotFoundError(f"no such file or folder: {path}")
    return out


# Most files one uploaded ZIP may hold (its members become documents of the job).
MAX_ARCHIVE_MEMBERS = 10_000


class ArchiveError(ValueError):
    """An uploaded ZIP that cannot be opened or holds too many files."""


def is_archive(filename: str) -> bool:
    """Whether an upload is a ZIP of documents to expand (``.zip``; Word files are ZIPs too)."""
    return filename.lower().endswith(".zip")


def relative_name(name: str) -> str | None:
    """A member's path made safe to show and store: ``/``-separated, no ``..``, no leading
    ``/``; None for folders and hidden or system files (``__MACOSX``, ``.DS_Store``)."""
    parts = [p for p in PurePosixPath(name.replace("\\", "/")).parts if p not in ("", "/", ".")]
    if not parts or name.endswith("/") or any(p == ".." for p in parts):
        return None
    if any(p.startswith(".") or p == "__MACOSX" for p in parts):
        return None
    return "/".join(parts)


def expand_archive(filename: str, source: BinaryIO | Path | bytes) -> Iterator[Upload]:
    """The files of an uploaded ZIP as uploads named ``archive.zip/folder/file.pdf``.

    Members are opened one at a time as the caller stores them (nothing is inflated ahead),
    and each is cut at the size limit by :meth:`UploadStore.spool` like any upload, so a
    zip bomb fails member by member as FileTooLarge.
    """
    handle: BinaryIO | Path
    if isinstance(source, bytes | bytearray | memoryview):
        import io

        handle = io.BytesIO(bytes(source))
    else:
        handle = source
    try:
        archive = zipfile.ZipFile(handle)  # type: ignore[arg-type]
    except (zipfile.BadZipFile, OSError) as exc:
        raise ArchiveError(f"{filename} is not a readable ZIP file: {exc}") from exc
    with archive:
        members = [(info, relative_name(info.filename)) for info in archive.infolist()]
        members = [(info, name) for info, name in members if name and not info.is_dir()]
        if len(members) > MAX_ARCHIVE_MEMBERS:
            raise ArchiveError(
                f"{filename} holds {len(members):,} files; at most {MAX_ARCHIVE_MEMBERS:,} per ZIP"
            )
        for info, name in members:
            try:
                member = archive.open(info)
            except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError) as exc:
                reason = "EncryptedDocument" if info.flag_bits & 0x1 else "CorruptDocument"
                yield Upload(f"{filename}/{name}", b"", error=f"{reason}: {exc}")
                continue
            with member:
                yield Upload(f"{filename}/{name}", member)
