"""The runner: takes uploads into jobs and works through documents in the background.

The database is the queue. Worker threads claim one pending document at a time with an
atomic UPDATE, so any number of runners (the app, ``python -m docclass worker``) can share a
database, and a runner that starts after a crash picks up exactly the unfinished documents.
Extraction runs in a pebble process pool: a file that hangs or eats memory kills only its
worker process, after a timeout, under an address-space cap.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import multiprocessing
import os
import socket
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures import wait as wait_futures
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import BinaryIO

import pebble

from docclass import store
from docclass.classifiers import Classification, Classifier
from docclass.detectors import DetectorResult, counts, run_detectors
from docclass.extraction import DocumentError, Extracted, extract_file
from docclass.models import DocStatus, JobStatus, utcnow
from docclass.review import Review, review
from docclass.settings import Limits, Settings, load_settings
from docclass.taxonomy import Taxonomy, load_taxonomy, parse_taxonomy

log = logging.getLogger(__name__)

CHUNK = 1024 * 1024
PREVIEW_CHARS = 3000
# The job-level batch pass runs on jobs with this many locally classified documents, and
# reads at most BATCH_LIMIT of them.
BATCH_MIN = 12
BATCH_LIMIT = 5000
HOST = socket.gethostname()

ExtractFn = Callable[[str, str, Limits], Extracted]


@dataclass(frozen=True)
class Upload:
    """One file handed to :meth:`Runner.submit`: a name and a path or binary stream."""

    filename: str
    source: Path | BinaryIO | bytes


def describe_error(exc: BaseException) -> str:
    """The form every document error is stored in: ``ExceptionType: message``."""
    message = str(exc).strip() or repr(exc)
    return f"{type(exc).__name__}: {message}"[:2000]


class Timeout(Exception):
    pass


class WorkerCrashed(Exception):
    pass


class RunnerStopped(Exception):
    """The document was handed back to the queue; another runner reads it."""


def _init_worker(megabytes: int) -> None:
    """Process-pool initializer: cap the worker's address space so a bomb fails alone.

    Also quiets the PDF readers' warnings about broken files: the outcome is what counts,
    and it is stored on the document.
    """
    for name in ("pypdf", "pypdfium2"):
        logging.getLogger(name).setLevel(logging.ERROR)
    if megabytes <= 0:
        return
    import resource

    cap = megabytes * 1024 * 1024
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Runner:
    """Process-wide: one per app (``st.cache_resource``) or CLI worker."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        extract_fn: ExtractFn = extract_file,
        start: bool = True,
    ) -> None:
        self.settings = settings or load_settings()
        self.db = store.Database(self.settings.database_url)
        self.uploads = self.settings.uploads_dir
        self.uploads.mkdir(parents=True, exist_ok=True)
        token = uuid.uuid4().hex[:8]
        self.owner = f"{HOST}:{os.getpid()}:{token}"
        self.thread_prefix = f"docclass-{token}"
        self._extract_fn = extract_fn
        self._threads = ThreadPoolExecutor(
            max_workers=self.settings.workers, thread_name_prefix=self.thread_prefix
        )
        # spawn, not fork: the app process has threads (Streamlit, SQLite pools).
        self._procs = pebble.ProcessPool(
            max_workers=max(1, self.settings.process_workers),
            max_tasks=200,
            initializer=_init_worker,
            initargs=(self.settings.limits.doc_memory_mb,),
            context=multiprocessing.get_context("spawn"),
        )
        self._lock = threading.Lock()
        self._active = 0
        self._idle = threading.Condition(self._lock)
        self._closed = False
        self._started = False
        self._classifiers: dict[tuple[str, ...], tuple[int, Classifier]] = {}
        self._folder_examples: dict[tuple[str, str], list[tuple[str, str]]] = {}
        if start:
            self.start()

    def start(self) -> None:
        """Begin working: requeue orphans and drain the queue. Until then jobs only queue."""
        self._started = True
        self.recover()

    # --- lifecycle ---------------------------------------------------------------------

    def recover(self) -> int:
        """Requeue work a dead runner left in ``processing`` and start on every unfinished job."""
        n = store.requeue_orphans(db=self.db, is_dead=self._owner_is_dead)
        if n:
            log.info("requeued %d documents left processing by a stopped runner", n)
        for job_id in store.unfinished_job_ids(db=self.db):
            store.finish_job_if_done(db=self.db, job_id=job_id)
        self.kick()
        return n

    def _owner_is_dead(self, owner: str, updated_at: datetime) -> bool:
        host, _, rest = owner.partition(":")
        pid_text = rest.partition(":")[0]
        if host == HOST and pid_text.isdigit():
            return int(pid_text) != os.getpid() and not _pid_alive(int(pid_text))
        # Another machine: trust it while it keeps writing progress.
        limit = timedelta(seconds=self.settings.limits.doc_timeout_s * 3 + 300)
        return utcnow() - updated_at > limit

    def shutdown(self, wait: bool = False) -> None:
        """Stop taking work. Unfinished documents stay in the database for the next runner."""
        with self._lock:
            self._closed = True
        if not wait:
            # Hand our in-flight documents back to the queue: a runner started next in this
            # same process cannot tell them from live work by pid. Our threads' later writes
            # are refused because they are owner-checked.
            store.release_documents(db=self.db, owner=self.owner)
        self._threads.shutdown(wait=wait, cancel_futures=False)
        if wait:
            self._procs.close()
            self._procs.join()
            with self._lock:
                built = [clf for _, clf in self._classifiers.values()]
                self._classifiers.clear()
            for clf in built:  # LLM clients hold HTTP connection pools
                close = getattr(clf, "close", None)
                if callable(close):
                    close()
        else:
            self._procs.stop()
        self.db.dispose()

    # --- submitting --------------------------------------------------------------------

    def _spool(self, upload: Upload) -> tuple[Path | None, store.NewDocument]:
        """Copy one file into the uploads folder in chunks, hashing it on the way.

        Returns the temporary path (None when refused) and the document facts; a file over
        the size limit is refused without reading the rest of it.
        """
        limit = self.settings.limits.max_file_bytes
        digest = hashlib.sha256()
        size = 0
        fd, tmp_name = tempfile.mkstemp(dir=self.uploads, prefix=".incoming-")
        with os.fdopen(fd, "wb") as out:
            for chunk in _chunks(upload.source):
                size += len(chunk)
                if size > limit:
                    break
                digest.update(chunk)
                out.write(chunk)
        if size > limit:
            os.unlink(tmp_name)
            mb = limit / (1024 * 1024)
            total = _source_size(upload.source) or size
            return None, store.NewDocument(
                filename=upload.filename,
                sha256="",
                size=total,
                error=f"FileTooLarge: file is over the {mb:g} MB limit",
            )
        return Path(tmp_name), store.NewDocument(
            filename=upload.filename, sha256=digest.hexdigest(), size=size
        )

    def store_upload(self, upload: Upload) -> store.NewDocument:
        """Keep one file as ``uploads/<sha256>``: each content is written once."""
        tmp, doc = self._spool(upload)
        if tmp is not None:
            target = self.uploads / doc.sha256
            if target.exists():
                tmp.unlink()
            else:
                os.replace(tmp, target)
        return doc

    def submit(
        self,
        uploads: Iterable[Upload],
        *,
        taxonomy: Taxonomy | str | None = None,
        classifier: str | None = None,
    ) -> str:
        """Store the files, create the job and return its id at once; work starts in background."""
        tax = (
            taxonomy
            if isinstance(taxonomy, Taxonomy)
            else load_taxonomy(taxonomy or self.settings.taxonomy)
        )
        kind = classifier or self.settings.classifier
        self.classifier_for(tax, kind)  # fail here, not per document, on a bad setting
        documents = [self.store_upload(u) for u in uploads]
        if not documents:
            raise ValueError("a job needs at least one file")
        job_id = store.create_job(
            db=self.db,
            documents=documents,
            taxonomy_name=tax.name,
            taxonomy_toml=tax.source_text,
            taxonomy_base_dir=str(tax.base_dir) if tax.base_dir else None,
            classifier=kind,
        )
        self.kick()
        return job_id

    def cancel_job(self, job_id: str) -> bool:
        return store.cancel_job(db=self.db, job_id=job_id)

    def retry_failed(self, job_id: str) -> int:
        n = store.retry_failed(db=self.db, job_id=job_id)
        if n:
            self.kick()
        return n

    def delete_job(self, job_id: str) -> None:
        """Delete the job's rows and the uploads no other job shares."""
        for sha in store.delete_job(db=self.db, job_id=job_id):
            if sha:
                with contextlib.suppress(FileNotFoundError):
                    (self.uploads / sha).unlink()

    # --- working -----------------------------------------------------------------------

    def kick(self) -> None:
        """Make sure enough drain loops run to use every worker thread."""
        with self._lock:
            if self._closed or not self._started:
                return
            while self._active < self.settings.workers:
                self._active += 1
                try:
                    self._threads.submit(self._drain)
                except RuntimeError:  # executor shut down under us
                    self._active -= 1
                    return

    def _drain(self) -> None:
        try:
            while not self._closed:
                claimed = store.claim_next_document(db=self.db, owner=self.owner)
                if claimed is None:
                    break
                self.process(claimed)
        except Exception:  # the database itself failed; the next kick retries
            log.exception("worker loop stopped")
        finally:
            with self._lock:
                self._active -= 1
                self._idle.notify_all()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until no document is queued or running (CLI, tests)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            with self._lock:
                while self._active:
                    remaining = None if deadline is None else deadline - time.monotonic()
                    if remaining is not None and remaining <= 0:
                        return False
                    self._idle.wait(remaining if remaining is not None else 1.0)
            if not store.has_pending(db=self.db):
                return True
            if deadline is not None and time.monotonic() >= deadline:
                return False
            self.kick()
            time.sleep(0.2)

    def wait_job(self, job_id: str, timeout: float | None = None, poll: float = 0.2) -> str:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            job = store.get_job_row(db=self.db, job_id=job_id)
            if job is None:
                raise KeyError(job_id)
            if job.status not in (JobStatus.pending, JobStatus.processing):
                return job.status
            if deadline is not None and time.monotonic() > deadline:
                return job.status
            time.sleep(poll)

    def classifier_for(self, taxonomy: Taxonomy, kind: str) -> Classifier:
        """One classifier per (taxonomy, kind), refitted when analysts add corrections."""
        from docclass.classifiers.examples import folder_examples
        from docclass.classifiers.factory import build_classifier

        key = (kind, taxonomy.name, taxonomy.source_text, str(taxonomy.base_dir))
        version = store.corrections_version(db=self.db, taxonomy_name=taxonomy.name)
        with self._lock:
            cached = self._classifiers.get(key)
        if cached is not None and cached[0] == version:
            return cached[1]
        corrections = store.correction_examples(db=self.db, taxonomy_name=taxonomy.name)
        folder_key = (taxonomy.source_text, str(taxonomy.base_dir))
        if folder_key not in self._folder_examples:
            self._folder_examples[folder_key] = folder_examples(taxonomy)
        examples = [*self._folder_examples[folder_key], *corrections]
        built = build_classifier(kind, self.settings, taxonomy, examples)
        with self._lock:
            if len(self._classifiers) >= 16:
                self._classifiers.clear()
            self._classifiers[key] = (version, built)
        return built

    def correct(self, doc_id: str, category: str, corrected_by: str | None = None) -> None:
        """Store an analyst's correction; classifiers of that taxonomy refit on next use."""
        store.correct_document(
            db=self.db, doc_id=doc_id, category=category, corrected_by=corrected_by
        )

    def _job_classifier(self, job_id: str) -> tuple[Taxonomy, Classifier]:
        job = store.get_job_row(db=self.db, job_id=job_id)
        if job is None:
            raise KeyError(job_id)
        base = Path(job.taxonomy_base_dir) if job.taxonomy_base_dir else None
        taxonomy = parse_taxonomy(job.taxonomy_toml, name=job.taxonomy_name, base_dir=base)
        return taxonomy, self.classifier_for(taxonomy, job.classifier)

    def _extract(self, path: Path, filename: str) -> Extracted:
        limits = self.settings.limits
        future = self._procs.schedule(
            self._extract_fn, args=(str(path), filename, limits), timeout=limits.doc_timeout_s
        )
        # Wait in short steps: a runner shut down with wait=False stops its pool, whose
        # futures then never resolve; the thread must notice and leave.
        while not wait_futures([future], timeout=1.0).done:
            if self._closed:
                future.cancel()
                raise RunnerStopped("the runner stopped before the file was read")
        try:
            return future.result()
        except FutureTimeout as exc:
            raise Timeout(
                f"reading the file took longer than {limits.doc_timeout_s:g} s; it was stopped"
            ) from exc
        except pebble.ProcessExpired as exc:
            raise WorkerCrashed(
                f"the reader process died (exit code {exc.exitcode}); the file may exceed the "
                f"{limits.doc_memory_mb} MB memory limit"
            ) from exc
        except MemoryError as exc:
            raise MemoryError(
                f"reading the file needed more than the {limits.doc_memory_mb} MB memory limit"
            ) from exc

    def _analyse(
        self,
        path: Path,
        filename: str,
        taxonomy: Taxonomy,
        classifier: Classifier,
        timings: dict[str, float],
        on_stage: Callable[[int, dict[str, object]], None] | None = None,
    ) -> tuple[Extracted, list[DetectorResult], Review]:
        """Extract, detect, classify and review one file, timing each stage.

        ``on_stage(progress, columns)`` runs after each stage (the job runner saves progress
        there); the Classify page's one-off answer passes nothing.
        """
        stage = on_stage or (lambda _progress, _columns: None)
        t0 = time.perf_counter()
        extracted = self._extract(path, filename)
        timings["load_ms"] = _ms_since(t0)
        stage(30, _extracted_columns(extracted))
        t1 = time.perf_counter()
        detectors = run_detectors(extracted.text, taxonomy.keywords())
        timings["detect_ms"] = _ms_since(t1)
        stage(60, {"detectors": [d.to_dict() for d in detectors],
                   "detector_counts": counts(detectors)})  # fmt: skip
        t2 = time.perf_counter()
        checked = review(
            classifier.classify(extracted.text, detectors, taxonomy),
            detectors,
            taxonomy,
            text=extracted.text,
            page_starts=extracted.page_starts,
            review_threshold=self.settings.review_threshold,
        )
        timings["classify_ms"] = _ms_since(t2)
        stage(90, _review_columns(checked))
        timings["total_ms"] = _ms_since(t0)
        return extracted, detectors, checked

    def process(self, claimed: store.Claimed) -> None:
        """Run one document through every stage, writing progress after each."""
        db, doc_id, job_id = self.db, claimed.doc_id, claimed.job_id
        timings: dict[str, float] = {}

        def save(**values: object) -> bool:
            return store.update_document_in_job(
                db=db, job_id=job_id, doc_id=doc_id, owner=self.owner, **values
            )

        def stage(progress: int, columns: dict[str, object]) -> None:
            if not save(progress=progress, **columns):
                raise _Released

        try:
            taxonomy, classifier = self._job_classifier(job_id)
            path = self.uploads / claimed.sha256
            if not claimed.sha256 or not path.is_file():
                raise FileNotFoundError("the uploaded file is missing from the uploads folder")
            self._analyse(path, claimed.filename, taxonomy, classifier, timings, stage)
            save(progress=100, status=DocStatus.completed, timings=timings)
        except _Released:
            pass  # cancelled, deleted or handed back: someone else owns the row now
        except Exception as exc:  # every failure ends on the document, never in processing
            expected = isinstance(
                exc, DocumentError | Timeout | WorkerCrashed | MemoryError | RunnerStopped
            )
            if not expected:
                log.warning("document %s failed: %s", doc_id, describe_error(exc))
            save(progress=100, status=DocStatus.failed, error=describe_error(exc), timings=timings)
        finally:
            if not store.has_unfinished(db=db, job_id=job_id):
                self._refine_batch(job_id)
            store.finish_job_if_done(db=db, job_id=job_id)

    def _refine_batch(self, job_id: str) -> None:
        """Once a job's last document is saved, classify its locally classified documents
        again as one batch: the batch itself is unlabelled data (self-training), which the
        development set put about a point above one-at-a-time. Best effort: a failure
        here leaves the one-at-a-time answers in place."""
        try:
            taxonomy, classifier = self._job_classifier(job_id)
            local = getattr(classifier, "local", classifier)  # a cascade's local stage
            classify_batch = getattr(local, "classify_batch", None)
            if classify_batch is None:
                return
            docs = store.completed_by(
                db=self.db, job_id=job_id, classifier="local", limit=BATCH_LIMIT
            )
            if len(docs) < BATCH_MIN:
                return
            detectors = [
                [DetectorResult.from_dict(d) for d in (doc.detectors or [])] for doc in docs
            ]
            results = classify_batch([doc.text_preview or "" for doc in docs], detectors)
            for doc, found, result in zip(docs, detectors, results, strict=True):
                checked = review(
                    replace(
                        result,
                        meta={
                            **(doc.classifier_meta or {}),  # e.g. the cascade's record
                            **result.meta,
                            "single_category": doc.final_category,
                        },
                    ),
                    found,
                    taxonomy,
                    review_threshold=self.settings.review_threshold,
                )
                columns = _review_columns(checked)
                columns["evidence"] = doc.evidence  # cited from the full text when it was read
                store.set_classification(db=self.db, doc_id=doc.id, **columns)
        except Exception:
            log.exception("batch pass over job %s failed; one-at-a-time answers stand", job_id)

    def classify_now(
        self, upload: Upload, *, taxonomy: Taxonomy | None = None, classifier: str | None = None
    ) -> ClassifyResult:
        """One file answered at once, in a worker process, without creating a job."""
        tax = taxonomy or load_taxonomy(self.settings.taxonomy)
        clf = self.classifier_for(tax, classifier or self.settings.classifier)
        tmp, doc = self._spool(upload)
        if tmp is None:
            return ClassifyResult(filename=upload.filename, error=doc.error, size=doc.size)
        timings: dict[str, float] = {}
        try:
            extracted, detectors, checked = self._analyse(tmp, upload.filename, tax, clf, timings)
        except Exception as exc:
            return ClassifyResult(
                filename=upload.filename,
                error=describe_error(exc),
                sha256=doc.sha256,
                size=doc.size,
            )
        finally:
            tmp.unlink(missing_ok=True)
        return ClassifyResult(
            filename=upload.filename,
            sha256=doc.sha256,
            size=doc.size,
            extracted=extracted,
            detectors=detectors,
            classification=checked.classification,
            review=checked,
            timings=timings,
        )


@dataclass
class ClassifyResult:
    filename: str
    sha256: str = ""
    size: int = 0
    error: str | None = None
    extracted: Extracted | None = None
    detectors: Sequence[DetectorResult] = ()
    classification: Classification | None = None
    review: Review | None = None
    timings: dict[str, float] | None = None


class _Released(Exception):
    """The document is no longer this runner's to write."""


def _ms_since(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 1)


def _extracted_columns(extracted: Extracted) -> dict[str, object]:
    return {
        "kind": extracted.kind,
        "engine": extracted.engine,
        "pages": extracted.pages,
        "characters": len(extracted.text),
        "truncated": extracted.truncated,
        "page_starts": extracted.page_starts,
        "text_preview": extracted.text[:PREVIEW_CHARS],
    }


def _review_columns(checked: Review) -> dict[str, object]:
    result = checked.classification
    return {
        "final_category": result.final_category,
        "confidence": float(result.confidence),
        "scores": {k: float(v) for k, v in result.scores.items()},
        "rationale": result.rationale,
        "classifier": result.classifier,
        "classifier_meta": result.meta or {},
        "needs_review": checked.needs_review,
        "review_reason": checked.reason,
        "evidence": checked.evidence,
    }


def _chunks(source: Path | BinaryIO | bytes) -> Iterable[bytes]:
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


def expand_paths(paths: Iterable[str | Path]) -> list[Upload]:
    """Files and folders (recursively, sorted) to uploads; hidden files are skipped."""
    out: list[Upload] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and not any(p.startswith(".") for p in child.parts[-1:]):
                    out.append(Upload(filename=child.name, source=child))
        elif path.is_file():
            out.append(Upload(filename=path.name, source=path))
        else:
            raise FileNotFoundError(f"no such file or folder: {path}")
    return out


__all__ = [
    "ClassifyResult",
    "Runner",
    "Upload",
    "describe_error",
    "expand_paths",
]
