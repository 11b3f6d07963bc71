"""What the Classify and Batch pages ask of the service, with browser uploads as input.

Files are handed over as the upload streams Streamlit already holds (the service copies them
in chunks); nothing here reads a whole file into memory.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from docclass.jobs.errors import describe_error
from docclass.jobs.service import Service
from docclass.jobs.uploads import Upload
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


def submit_uploads(
    service: Service, files: Sequence[UploadedFile], *, taxonomy: str, classifier: str
) -> str:
    """A new job of these files; its id at once, the work runs behind."""
    try:
        return service.submit(
            [Upload(f.name, f) for f in files],  # type: ignore[arg-type]
            taxonomy=load_taxonomy(taxonomy),
            classifier=classifier,
        )
    except Exception as exc:
        raise SubmitError(describe_error(exc)) from exc
