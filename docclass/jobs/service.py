"""The one facade the app and the CLI call: submit, classify_now, cancel, retry, resume,
delete, correct, accept, suggest_corrections, rescore, get_job, list_jobs, search, export,
page images — and the worker that runs behind them.

A process has one service (the app caches it, the CLI makes one per command); any number
of processes can share a database.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import cast

from docclass import export as exports
from docclass.classifiers.factory import check_kind
from docclass.extraction import ocr
from docclass.jobs.errors import RETRYABLE, describe_error, error_type
from docclass.jobs.learning import Learner
from docclass.jobs.pipeline import ExtractFn, ReadTask, Scored, conclude, read_and_score
from docclass.jobs.spec import spec_for, taxonomy_of
from docclass.jobs.uploads import Upload, UploadStore
from docclass.jobs.worker import Worker, read_result
from docclass.preview import PageRequest, PreviewError, render_page
from docclass.schemas import (
    ACTIVE_JOB,
    DocStatus,
    DocumentOut,
    DocumentPage,
    DocumentQuery,
    JobListOut,
    JobOut,
    utcnow,
)
from docclass.settings import Settings, load_settings
from docclass.store import corrections, documents, jobs, queue, search
from docclass.store.db import Database
from docclass.store.tables import Correction
from docclass.store.tables import Worker as WorkerRow
from docclass.taxonomy import Taxonomy, load_taxonomy

log = logging.getLogger(__name__)


class Service:
    def __init__(
        self,
        settings: Settings | None = None,
        *,
        extract_fn: ExtractFn | None = None,
        start: bool = True,
    ) -> None:
        self.settings = settings or load_settings()
        self.db = Database(self.settings.database_url)
        self.uploads = UploadStore(
            self.settings.uploads_dir, self.settings.limits.max_file_bytes, db=self.db
        )
        self.worker = Worker(self.settings, self.db, self.uploads, extract_fn=extract_fn)
        self.learner = Learner(self.db, self.worker.finisher)
        if start:
            self.start()

    def start(self) -> None:
        """Begin working: requeue what dead workers left and drain the queue.

        Says at once when OCR is wanted but missing: scans and images would otherwise only
        tell, one failed document at a time (``OcrUnavailable: …``).
        """
        limits = self.settings.limits
        if limits.ocr != "off" and ocr.unavailable(limits):
            log.warning("OCR is %s", ocr.summary(limits))
        self.worker.start()

    def stop(self, wait: bool = False) -> None:
        """Stop taking work; unfinished documents stay queued for the next worker."""
        self.worker.stop(wait=wait)
        self.db.dispose()

    # --- jobs ------------------------------------------------------------------------------

    def _taxonomy(self, taxonomy: Taxonomy | str | None) -> Taxonomy:
        if isinstance(taxonomy, Taxonomy):
            return taxonomy
        return load_taxonomy(taxonomy or self.settings.taxonomy)

    def submit(
        self,
        uploads: Iterable[Upload],
        *,
        taxonomy: Taxonomy | str | None = None,
        classifier: str | None = None,
        name: str | None = None,
    ) -> str:
        """Store the files, create the job and return its id at once; work runs behind.

        ``name`` is what analysts call the job; without one it is the date and first file.
        """
        tax = self._taxonomy(taxonomy)
        kind = classifier or self.settings.classifier
        check_kind(kind, self.settings)  # fail here, not per document, on a bad setting
        created: list[str] = []  # files this submit stored first: removed if it fails
        try:
            new = [self.uploads.keep(u, created) for u in uploads]
            if not new:
                raise ValueError("a job needs at least one file")
            job_id = jobs.create_job(
                db=self.db,
                documents=new,
                taxonomy_name=tax.name,
                taxonomy_toml=tax.source_text,
                taxonomy_base_dir=str(tax.base_dir) if tax.base_dir else None,
                classifier=kind,
                name=(name or "").strip()[:200]
                or default_job_name(utcnow(), new[0].filename, len(new)),
            )
        except BaseException:
            if created:
                self.uploads.forget(jobs.unreferenced(db=self.db, hashes=created))
            raise
        self.worker.kick()
        return job_id

    def cancel(self, job_id: str) -> bool:
        return jobs.cancel_job(db=self.db, job_id=job_id)

    def retry(self, job_id: str) -> int:
        """Queue again the failed documents a retry can cure (see ``errors.RETRYABLE``);
        permanent failures (encrypted, unsupported, no text layer…) stay failed."""
        n = jobs.retry_failed(db=self.db, job_id=job_id, error_types=list(RETRYABLE))
        if n:
            self.worker.kick()
        return n

    def resume(self, job_id: str) -> int:
        """Queue the job's cancelled documents again."""
        n = jobs.resume_cancelled(db=self.db, job_id=job_id)
        if n:
            self.worker.kick()
        return n

    def failures(self, job_id: str | None = None) -> dict[str, int]:
        """Failed documents per error type (of one job, or all), most first."""
        counts: dict[str, int] = {}
        for error, n in jobs.failure_counts(db=self.db, job_id=job_id).items():
            kind = error_type(error)
            counts[kind] = counts.get(kind, 0) + n
        return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))

    def delete(self, job_id: str) -> None:
        """Delete the job's rows and the uploads no other job shares."""
        self.uploads.forget(jobs.delete_job(db=self.db, job_id=job_id))

    def correct(self, doc_id: str, category: str, corrected_by: str | None = None) -> Correction:
        """Store an analyst's correction; it is an example for the taxonomy from now on."""
        doc = documents.get_document(db=self.db, doc_id=doc_id)
        job = jobs.get_job_row(db=self.db, job_id=doc.job_id or "") if doc else None
        if doc is None or job is None:
            raise KeyError(f"no document {doc_id}")
        names = taxonomy_of(job).names
        if category not in names:
            raise ValueError(
                f"{category!r} is not a category of taxonomy {job.taxonomy_name}; "
                f"choose one of: {', '.join(names)}"
            )
        return corrections.correct_document(
            db=self.db, doc_id=doc_id, category=category, corrected_by=corrected_by
        )

    def suggest_corrections(self, job_id: str, k: int = 8) -> list[str]:
        """Ids of the job's documents whose correction would teach the most, best first."""
        return self.learner.suggestions(job_id, k)

    def rescore(self, job_id: str) -> int:
        """Re-score a job's local answers from its corrections; how many answers changed."""
        return self.learner.rescore(job_id)

    def accept(self, doc_ids: Sequence[str], reviewed_by: str | None = None) -> int:
        """Mark documents reviewed with their answer as it stands (who and when are kept)."""
        return corrections.accept_documents(db=self.db, doc_ids=doc_ids, reviewed_by=reviewed_by)

    def get_job(self, job_id: str, *, include_documents: bool = True) -> JobOut | None:
        return jobs.get_job(db=self.db, job_id=job_id, include_documents=include_documents)

    def job_taxonomy(self, job_id: str) -> Taxonomy | None:
        job = jobs.get_job_row(db=self.db, job_id=job_id)
        return None if job is None else taxonomy_of(job)

    def list_jobs(
        self,
        *,
        statuses: Sequence[str] | None = None,
        limit: int = 200,
        offset: int = 0,
        sort: str = "created_at",
        descending: bool = True,
    ) -> JobListOut:
        return jobs.list_jobs(
            db=self.db,
            statuses=statuses,
            limit=limit,
            offset=offset,
            sort=sort,
            descending=descending,
        )

    def job_version(self, job_id: str) -> tuple[str, datetime] | None:
        """The job's status and last change (one small row): what an idle view polls."""
        return jobs.job_version(db=self.db, job_id=job_id)

    def jobs_version(self) -> tuple[int, datetime | None]:
        """How many jobs and their latest change: what the idle jobs list polls."""
        return jobs.jobs_version(db=self.db)

    def search(self, query: DocumentQuery, *, limit: int = 200, offset: int = 0) -> DocumentPage:
        return search.search_documents(db=self.db, query=query, limit=limit, offset=offset)

    def categories_found(self, query: DocumentQuery | None = None) -> list[str]:
        return search.category_names(db=self.db, query=query)

    def review_counts(self) -> dict[str, int]:
        """Documents waiting for review per taxonomy name."""
        return search.taxonomy_names(db=self.db)

    def count_jobs(self, statuses: Sequence[str]) -> int:
        return jobs.count_jobs(db=self.db, statuses=statuses)

    def job_statuses(self, job_ids: Sequence[str]) -> dict[str, str]:
        return jobs.job_statuses(db=self.db, job_ids=job_ids)

    def get_document(self, doc_id: str) -> DocumentOut | None:
        return documents.get_document(db=self.db, doc_id=doc_id)

    def export(self, job_id: str, fmt: str = "csv") -> bytes:
        return exports.export_job(db=self.db, job_id=job_id, fmt=fmt)

    def export_found(self, query: DocumentQuery, fmt: str = "csv") -> bytes:
        """Exactly the documents a filtered view shows."""
        return exports.export_documents(db=self.db, query=query, fmt=fmt)

    def page_image(self, doc_id: str, page: int, width: int = 900) -> bytes:
        """One page of a stored PDF as PNG, drawn in a reader process (a PDF that crashes
        PDFium takes down that process only). Raises :class:`PreviewError` when it can't."""
        doc = documents.get_document(db=self.db, doc_id=doc_id)
        if doc is None:
            raise PreviewError("the document was deleted")
        if doc.kind != "pdf" or not doc.sha256:
            raise PreviewError("only PDF pages have a preview")
        path = self.uploads.path(doc.sha256)
        if not path.is_file():
            raise PreviewError("the uploaded file is missing from the uploads folder")
        timeout = self.settings.limits.doc_timeout_s
        future = self.worker.pool.submit(render_page, PageRequest(str(path), page, width), timeout)
        try:
            return future.result(timeout=timeout + 5)
        except PreviewError:
            raise
        except Exception as exc:  # timeout, a crashed process, a PDFium error
            raise PreviewError(describe_error(exc)) from exc

    def workers(self) -> list[WorkerRow]:
        return queue.list_workers(db=self.db)

    # --- waiting (CLI, tests) -------------------------------------------------------------

    def wait_job(self, job_id: str, timeout: float | None = None, poll: float = 0.1) -> str:
        """Block until the job is no longer pending, processing or finishing."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            status = jobs.job_statuses(db=self.db, job_ids=[job_id]).get(job_id)
            if status is None:
                raise KeyError(job_id)
            if status not in ACTIVE_JOB:
                return status
            if deadline is not None and time.monotonic() > deadline:
                return status
            self.wait_for_change(poll)

    def wait_for_change(self, timeout: float) -> None:
        """Sleep up to ``timeout`` seconds, less when this process finishes a job meanwhile
        (jobs ended elsewhere are seen at the caller's next read)."""
        self.worker.wait_for_finishing(timeout)

    def wait_idle(self, timeout: float | None = None, poll: float = 0.2) -> bool:
        """Block until no job in the database has work left (``worker --exit-when-idle``)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while queue.has_unfinished_work(db=self.db) or self.worker.inflight:
            if deadline is not None and time.monotonic() > deadline:
                return False
            self.worker.kick()
            time.sleep(poll)
        return True

    # --- one file, answered at once -------------------------------------------------------

    def classify_now(
        self,
        upload: Upload,
        *,
        taxonomy: Taxonomy | str | None = None,
        classifier: str | None = None,
    ) -> DocumentOut:
        """One file read in a reader process and answered without creating a job."""
        tax = self._taxonomy(taxonomy)
        kind = classifier or self.settings.classifier
        check_kind(kind, self.settings)
        tmp, new = self.uploads.spool(upload)
        out = DocumentOut(filename=upload.filename, sha256=new.sha256, size=new.size)
        if tmp is None:
            return out.model_copy(update={"status": DocStatus.failed, "error": new.error})
        spec = spec_for(
            tax.name,
            tax.source_text,
            str(tax.base_dir) if tax.base_dir else None,
            kind,
            self.settings,
            corrections_version=corrections.corrections_version(db=self.db, taxonomy_name=tax.name),
        )
        task = ReadTask(
            path=str(tmp),
            filename=upload.filename,
            limits=self.settings.limits,
            spec=spec,
            extract_fn=self.worker.extract_fn,
        )
        try:
            scored = self._read_now(task)
            result = conclude(
                scored,
                spec,
                llm=self.worker.llm_client() if spec.llm else None,
                cascade_threshold=self.settings.cascade_threshold,
            )
        except Exception as exc:
            return out.model_copy(
                update={"status": DocStatus.failed, "progress": 100, "error": describe_error(exc)}
            )
        finally:
            Path(tmp).unlink(missing_ok=True)
        status = DocStatus.failed if result.error else DocStatus.completed
        return DocumentOut(
            filename=upload.filename,
            sha256=new.sha256,
            size=new.size,
            status=status,
            progress=100,
            **result.model_dump(),
        )

    def _read_now(self, task: ReadTask) -> Scored:
        future = self.worker.pool.submit(read_and_score, task, self.settings.limits.doc_timeout_s)
        # read_and_score returns the scored read, never a concluded result.
        return cast(Scored, read_result(future, self.settings.limits, lambda: self.worker.closed))


def default_job_name(when: datetime, first_file: str, files: int) -> str:
    """``2026-12-02 10:31 · invoice.pdf (+4 more)``: what a job is called unless named."""
    more = f" (+{files - 1} more)" if files > 1 else ""
    return f"{when:%Y-%m-%d %H:%M} · {Path(first_file).name}{more}"
