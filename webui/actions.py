"""What the Classify and Batch pages ask of the service, with browser uploads as input.

Files are handed over as the upload streams Streamlit already holds (the service copies them
in chunks); nothing here reads a whole file into memory.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from docclass.jobs.errors import describe_error
from docclass.jobs.service import Service
from docclass.jobs.uploads import (
    MAX_ARCHIVE_MEMBERS,
    Upload,
    expand_archive,
    is_archive,
    relative_name,
)
from docclass.schemas import DocumentOut
from docclass.taxonomy import load_taxonomy
from webui.result import failed_answer


class UploadedFile(Protocol):
    """What ``st.file_uploader`` returns, as far as the service needs it."""

    name: str
    size: int

    def read(self, size: int = -1, /) -> bytes: ...
    def seek(self, offset: int, whence: int = 0, /) -> int: ...


class SubmitError(Exception):
    """The job could not be created (bad taxonomy or classifier); nothing was stored."""


def classify_upload(
    service: Service, uploaded: UploadedFile, *, taxonomy: str, classifier: str
) -> DocumentOut:
    """One file answered at once; a setup error (the file was never read) is its answer too."""
    try:
        return service.classify_now(
            Upload(uploaded.name, uploaded),  # type: ignore[arg-type]
            taxonomy=load_taxonomy(taxonomy),
            classifier=classifier,
        )
    except Exception as exc:  # taxonomy or classifier setup: the file was never read
        return failed_answer(uploaded.name, uploaded.size, exc)


@dataclass(frozen=True)
class Entry:
    """One upload as the Batch page lists it before Start."""

    name: str  # the path within the upload (folder uploads keep theirs)
    size: int
    documents: int  # 1, or the files a ZIP holds
    too_big: bool = False

    @property
    def archive(self) -> bool:
        return self.documents != 1 or is_archive(self.name)


def _zip_members(uploaded: UploadedFile) -> int | None:
    """Files a ZIP upload holds (what it becomes: one document each); None if unreadable."""
    try:
        uploaded.seek(0)
        with zipfile.ZipFile(uploaded) as archive:  # type: ignore[arg-type]
            names = [relative_name(i.filename) for i in archive.infolist() if not i.is_dir()]
        return sum(1 for n in names if n)
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    finally:
        uploaded.seek(0)


def plan_uploads(files: Sequence[UploadedFile], limit: int) -> list[Entry]:
    """What Start will make of these uploads: ZIPs are expanded (their members count as
    documents), a file over the size limit is listed now and fails as FileTooLarge."""
    entries = []
    for f in files:
        members = _zip_members(f) if is_archive(f.name) else None
        if members is not None and members <= MAX_ARCHIVE_MEMBERS:
            entries.append(Entry(f.name, f.size, members))
        else:
            entries.append(Entry(f.name, f.size, 1, too_big=f.size > limit))
    return entries


def _uploads(files: Sequence[UploadedFile]) -> Iterator[Upload]:
    """Uploads as the service stores them, ZIPs expanded member by member."""
    for f in files:
        if is_archive(f.name) and _zip_members(f) is not None:
            yield from expand_archive(f.name, f)  # type: ignore[arg-type]
        else:
            yield Upload(f.name, f)  # type: ignore[arg-type]


def submit_uploads(
    service: Service,
    files: Sequence[UploadedFile],
    *,
    taxonomy: str,
    classifier: str,
    name: str | None = None,
) -> str:
    """A new job of these files (ZIPs expanded); its id at once, the work runs behind."""
    try:
        return service.submit(
            _uploads(files),
            taxonomy=load_taxonomy(taxonomy),
            classifier=classifier,
            name=name,
        )
    except Exception as exc:
        raise SubmitError(describe_error(exc)) from exc
