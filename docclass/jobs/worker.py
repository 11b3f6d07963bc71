"""The worker: claims documents, reads them in reader processes, saves their outcomes.

Three threads and a process pool (procrastinate's worker, with the queue in our database):

- the *dispatcher* claims a few documents at a time (as many as there are free slots) and
  hands each to a reader process;
- the *writer* turns finished reads into results (the LLM, when a job uses it, in a thread
  pool) and saves them in batches, one transaction for many documents; the save that makes a
  job's last document final also wins the job's finishing step (see :mod:`.finish`);
- the *heartbeat* renews this worker's lease on what it holds, requeues what silent workers
  held, and finishes jobs nobody finished.

Any number of workers (the app's, ``python -m docclass worker``) can share one database.
"""

from __future__ import annotations

import logging
import os
import queue
import socket
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures import wait as wait_futures
from dataclasses import dataclass
from datetime import timedelta

import pebble

from docclass.extraction import DocumentError
from docclass.jobs.duplicates import Duplicates
from docclass.jobs.errors import EXPECTED, Timeout, WorkerCrashed, WorkerStopped, describe_error
from docclass.jobs.finish import Finisher
from docclass.jobs.pipeline import (
    ExtractFn,
    ProgressTarget,
    ReadTask,
    Released,
    Scored,
    conclude,
    read_in_process,
)
from docclass.jobs.processes import ReaderPool
from docclass.jobs.spec import JobSpec, spec_of
from docclass.jobs.uploads import UploadStore
from docclass.schemas import DocumentResult, utcnow
from docclass.settings import Limits, Settings
from docclass.store import corrections
from docclass.store import queue as q
from docclass.store.db import Database
from docclass.store.jobs import get_job_row

log = logging.getLogger(__name__)

HOST = socket.gethostname()
OUTCOMES_PER_WRITE = 256
# How long a save waits for more results to join it (seconds): each write transaction costs
# milliseconds of the main process whatever its size, and a document is shown done this
# much later at most.
WRITE_LINGER_S = 0.05
# Free slots a claim waits for (a worker holds DOCCLASS_WORKERS documents, at least 4 more).
CLAIM_AT_LEAST = 4
SPEC_FRESH_S = 1.0  # how long a job's facts (and its corrections version) are trusted


def read_result(
    future: Future, limits: Limits, stopped: Callable[[], bool] = bool
) -> Scored | DocumentResult:
    """What a reader process returned, with its failures named for an analyst.

    Waits in short steps: a stopped pool never resolves its futures, so a waiter must notice
    the stop (``stopped()``) and leave.
    """
    while not wait_futures([future], timeout=1.0).done:
        if stopped():
            future.cancel()
            raise WorkerStopped("the worker stopped before the file was read")
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


class _Remote:
    """Marks a document whose LLM stage is running; its slot stays taken."""


REMOTE = _Remote()


@dataclass(frozen=True)
class _Read:
    """A reader process finished (or failed) a claimed document."""

    claimed: q.Claimed
    spec: JobSpec
    future: Future


class Worker:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        uploads: UploadStore,
        *,
        extract_fn: ExtractFn | None,
    ) -> None:
        self.settings = settings
        self.db = db
        self.uploads = uploads
        self.extract_fn = extract_fn
        self.token = uuid.uuid4().hex[:8]
        self.id = f"{HOST}:{os.getpid()}:{self.token}"
        self.pool = ReaderPool(settings.process_workers, settings.limits.doc_memory_mb)
        self.capacity = max(settings.workers, 2 * self.pool.workers)
        self.finisher = Finisher(settings, db, self.pool, self.id)
        self._cond = threading.Condition()
        self._claim_lock = threading.Lock()
        self._inflight = 0  # claimed and not yet saved
        self._waiting = 0  # of those, copies waiting for another copy's read (no slot used)
        self._in_hand = 0  # of those, results the writer has taken and is saving
        self._kicked = True
        self._closed = False
        self._draining = False  # stop(wait=True): in-flight documents are finished first
        self._stopping = threading.Event()
        self._started = False
        self._reads: queue.Queue[_Read | q.Outcome] = queue.Queue()
        self._specs: dict[str, tuple[JobSpec, float]] = {}
        self._duplicates = Duplicates()
        self._llm_pool: ThreadPoolExecutor | None = None
        self._llm = None
        self._finishing = ThreadPoolExecutor(1, thread_name_prefix=f"docclass-finish-{self.token}")
        self._ended = threading.Condition()  # notified when a finishing step here ends
        self._threads: list[threading.Thread] = []

    # --- lifecycle -----------------------------------------------------------------------

    def start(self) -> None:
        """Register, requeue what dead workers left, and begin working in the background."""
        if self._started:
            return
        self._started = True
        self.pool.warm()
        q.heartbeat(db=self.db, worker_id=self.id, host=HOST, pid=os.getpid())
        self._sweep()
        for name, target in (
            ("dispatch", self._dispatch_loop),
            ("write", self._write_loop),
            ("heartbeat", self._heartbeat_loop),
        ):
            thread = threading.Thread(
                target=target, name=f"docclass-{name}-{self.token}", daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def kick(self) -> None:
        """New work may be waiting: claim now instead of at the next poll."""
        with self._cond:
            self._kicked = True
            self._cond.notify_all()

    def stop(self, wait: bool = False) -> None:
        """Stop claiming; with ``wait`` finish what is in flight, else hand it back at once."""
        with self._claim_lock:  # a claim in progress completes; none starts after this
            self._closed = True
            self._draining = wait
        self._stopping.set()
        self.kick()
        if wait and self._started:
            with self._cond:
                self._cond.wait_for(lambda: self._inflight == 0, timeout=3600)
            self._finishing.shutdown(wait=True)
            self.pool.close()
        else:
            self.pool.stop()
            self._finishing.shutdown(wait=False, cancel_futures=True)
        for thread in self._threads:
            thread.join(timeout=5)
        if self._started:
            try:
                q.release_documents(db=self.db, owner=self.id)
                q.remove_worker(db=self.db, worker_id=self.id)
            except Exception:  # the database went away: leases expire by themselves
                log.exception("could not hand back this worker's documents")
        if self._llm_pool is not None:
            self._llm_pool.shutdown(wait=wait, cancel_futures=not wait)
        if self._llm is not None:
            self._llm.close()

    @property
    def inflight(self) -> int:
        return self._inflight

    @property
    def closed(self) -> bool:
        return self._closed

    # --- dispatching ---------------------------------------------------------------------

    def _dispatch_loop(self) -> None:
        backoff = 0.5
        while not self._closed:
            try:
                self._dispatch_once()
                backoff = 0.5
            except Exception:  # the database failed (locked, disk full, gone): retry later
                log.exception("claiming documents failed; retrying in %.1f s", backoff)
                self._stopping.wait(backoff)
                backoff = min(backoff * 2, 30.0)

    def _dispatch_once(self) -> None:
        with self._cond:
            # Claim a few at a time, not one by one: a claim is a write transaction, and the
            # documents still in flight keep the readers busy meanwhile.
            room = max(self.capacity - CLAIM_AT_LEAST, self.capacity // 2)
            self._cond.wait_for(lambda: self._closed or self._busy() <= room)
            self._kicked = False
            free = self.capacity - self._busy()
        with self._claim_lock:
            if self._closed:
                return
            claimed = q.claim_documents(db=self.db, owner=self.id, limit=free)
            with self._cond:
                self._inflight += len(claimed)
        for c in claimed:
            self._start_read(c)
        if not claimed:
            self._finish_stragglers()
            with self._cond:
                if not self._kicked and not self._closed:
                    self._cond.wait(self.settings.poll_s)

    def _spec(self, job_id: str) -> JobSpec:
        """The job's facts, read once per job and refreshed when corrections may have come."""
        now = time.monotonic()
        cached = self._specs.get(job_id)
        if cached is not None and now - cached[1] < SPEC_FRESH_S:
            return cached[0]
        if cached is None:
            job = get_job_row(db=self.db, job_id=job_id)
            if job is None:
                raise KeyError(f"job {job_id} is gone")
            spec = spec_of(job, self.settings, corrections_version=0)
        else:
            spec = cached[0]
        version = corrections.corrections_version(db=self.db, taxonomy_name=spec.taxonomy_name)
        if version != spec.corrections_version:
            spec = spec.with_corrections(version)
        if len(self._specs) > 64:
            self._specs.clear()
        self._specs[job_id] = (spec, now)
        return spec

    def _start_read(self, claimed: q.Claimed) -> None:
        try:
            spec = self._spec(claimed.job_id)
            path = self.uploads.path(claimed.sha256)
            if not claimed.sha256 or not path.is_file():
                raise FileNotFoundError("the uploaded file is missing from the uploads folder")
            known = self._duplicates.join((claimed.sha256, spec), claimed)
            if known is False:  # a copy of this content is being read: wait for its answer
                with self._cond:
                    self._waiting += 1
                return
            if isinstance(known, DocumentResult):
                self._reads.put(q.Outcome(claimed.doc_id, claimed.job_id, known))
                return
            task = ReadTask(
                path=str(path),
                filename=claimed.filename,
                limits=self.settings.limits,
                spec=spec,
                extract_fn=self.extract_fn,
                progress=ProgressTarget(claimed.doc_id, self.id),
                sha256=claimed.sha256,
            )
            future = self.pool.submit(read_in_process, task, self.settings.limits.doc_timeout_s)
        except Exception as exc:
            failed = DocumentResult(error=describe_error(exc))
            self._reads.put(q.Outcome(claimed.doc_id, claimed.job_id, failed))
            copies = self._duplicates.settle(claimed.doc_id, failed)
            with self._cond:
                self._waiting -= len(copies)
            for copy, answer in copies:
                self._reads.put(q.Outcome(copy.doc_id, copy.job_id, answer or failed))
            return
        future.add_done_callback(lambda f: self._read_done(_Read(claimed, spec, f)))

    def _read_done(self, read: _Read) -> None:
        """A reader is free again: queue the result for saving and let the dispatcher claim."""
        self._reads.put(read)
        with self._cond:
            self._cond.notify_all()

    def _finish_stragglers(self) -> None:
        """Jobs whose documents are all final but nobody finished (refused files, crashes)."""
        for job_id in q.finishable_jobs(db=self.db):
            if q.begin_finishing(db=self.db, job_id=job_id, owner=self.id):
                self._run_finishing(job_id)

    def _run_finishing(self, job_id: str) -> None:
        """Run a finishing step this worker won; when stopping, leave it to the next worker
        (this worker's row is removed at stop, so its claim on the step lapses at once)."""
        try:
            self._finishing.submit(self._finish, job_id)
        except RuntimeError:  # the finishing pool was shut down by stop()
            log.info("job %s is left for another worker to finish", job_id)

    def _finish(self, job_id: str) -> None:
        try:
            self.finisher.finish(job_id)
        finally:
            with self._ended:
                self._ended.notify_all()

    def wait_for_finishing(self, timeout: float) -> None:
        """Return when a finishing step of this worker ends, or after ``timeout`` seconds:
        a waiter in this process learns that a job completed without polling for it."""
        with self._ended:
            self._ended.wait(timeout)

    # --- concluding and saving -----------------------------------------------------------

    def _conclude(self, read: _Read) -> DocumentResult | _Remote | None:
        """The document's result from its read; None when it is no longer ours; ``REMOTE``
        when the LLM stage took it over (its outcome comes back through the queue)."""
        if self._closed and not self._draining:
            return None  # stopping: stop() hands the document back to the queue
        try:
            scored = read_result(read.future, self.settings.limits)
        except (Released, CancelledError, WorkerStopped):
            return None  # cancelled, deleted, requeued, or the pool stopped: not ours to save
        except Exception as exc:
            if not isinstance(exc, (DocumentError, *EXPECTED)):
                log.warning("document %s failed: %s", read.claimed.doc_id, describe_error(exc))
            return DocumentResult(error=describe_error(exc))
        if isinstance(scored, DocumentResult):  # concluded in the reader (no LLM)
            return scored
        spec = read.spec
        if spec.llm:
            self._llm_threads().submit(self._conclude_remote, read.claimed, spec, scored)
            return REMOTE
        return self._safe_conclude(read.claimed, spec, scored)

    def _safe_conclude(
        self, claimed: q.Claimed, spec: JobSpec, scored: Scored, llm: object = None
    ) -> DocumentResult:
        try:
            return conclude(
                scored, spec, llm=llm, cascade_threshold=self.settings.cascade_threshold
            )
        except Exception as exc:
            if not isinstance(exc, EXPECTED):
                log.warning("document %s failed: %s", claimed.doc_id, describe_error(exc))
            return DocumentResult(error=describe_error(exc), timings=scored.timings)

    def _conclude_remote(self, claimed: q.Claimed, spec: JobSpec, scored: Scored) -> None:
        result = self._safe_conclude(claimed, spec, scored, self.llm_client())
        self._reads.put(q.Outcome(claimed.doc_id, claimed.job_id, result))

    def _llm_threads(self) -> ThreadPoolExecutor:
        with self._cond:
            if self._llm_pool is None:
                self._llm_pool = ThreadPoolExecutor(
                    self.settings.workers, thread_name_prefix=f"docclass-llm-{self.token}"
                )
            return self._llm_pool

    def llm_client(self):
        with self._cond:
            if self._llm is None:
                from docclass.classifiers.llm import OpenAIClassifier

                self._llm = OpenAIClassifier(self.settings)
            return self._llm

    def _write_loop(self) -> None:
        while True:
            try:
                item = self._reads.get(timeout=0.5)
            except queue.Empty:
                if self._closed and (self._inflight == 0 or not self._draining):
                    return
                continue
            batch = [item]
            self._in_hand = 1
            linger = time.monotonic() + WRITE_LINGER_S
            while len(batch) < OUTCOMES_PER_WRITE:
                try:
                    batch.append(self._reads.get_nowait())
                except queue.Empty:
                    left = linger - time.monotonic()
                    if left <= 0 or self._closed:
                        break
                    try:  # a moment for more results: one transaction saves them all
                        batch.append(self._reads.get(timeout=left))
                    except queue.Empty:
                        break
                self._in_hand = len(batch)
            outcomes: list[q.Outcome] = []
            dropped = 0
            if self._closed and not self._draining:  # stop() hands these documents back
                with self._cond:
                    self._inflight -= len(batch)
                    self._in_hand = 0
                continue
            for entry in batch:
                if isinstance(entry, q.Outcome):
                    outcomes.append(entry)
                    outcomes.extend(self._copies_of(entry.doc_id, entry.result))
                    continue
                try:
                    result = self._conclude(entry)
                except Exception as exc:  # a bug here must not stop the loop or strand the row
                    log.exception("document %s could not be concluded", entry.claimed.doc_id)
                    result = DocumentResult(error=describe_error(exc))
                c = entry.claimed
                if isinstance(result, DocumentResult):
                    outcomes.append(q.Outcome(c.doc_id, c.job_id, result))
                    outcomes.extend(self._copies_of(c.doc_id, result))
                elif result is None:
                    dropped += 1
                    self._copies_of(c.doc_id, None)
            self._save(outcomes)
            with self._cond:
                self._inflight -= len(outcomes) + dropped
                self._in_hand = 0
                self._cond.notify_all()

    def _busy(self) -> int:
        """Documents using a slot: claimed, minus copies waiting for another copy's read and
        minus results waiting to be saved, queued or in the writer's hands.

        Each is capped (copies at as many again as the slots, results at one save's worth),
        so neither copies nor a slow save can claim the whole queue; but copies of content
        already read, which need no reader, go out a whole save at a time.
        """
        unsaved = self._reads.qsize() + self._in_hand
        return self._inflight - min(self._waiting, self.capacity) - min(unsaved, OUTCOMES_PER_WRITE)

    def _copies_of(self, doc_id: str, result: DocumentResult | None) -> list[q.Outcome]:
        """Outcomes of the copies that waited for ``doc_id``; without a result they are read
        by themselves (the first copy was handed back, e.g. its job was cancelled)."""
        out = []
        copies = self._duplicates.settle(doc_id, result)
        with self._cond:
            self._waiting -= len(copies)
        for claimed, answer in copies:
            if answer is None:
                self._start_read(claimed)
            else:
                out.append(q.Outcome(claimed.doc_id, claimed.job_id, answer))
        return out

    def _save(self, outcomes: list[q.Outcome]) -> None:
        """Save with retries: a transient database error must not lose or strand results."""
        backoff = 0.5
        while outcomes:
            try:
                _, won = q.save_outcomes(db=self.db, owner=self.id, outcomes=outcomes)
            except Exception:
                if self._closed:
                    log.exception("results not saved at shutdown; their documents are requeued")
                    return
                log.exception(
                    "saving %d results failed; retrying in %.1f s", len(outcomes), backoff
                )
                self._stopping.wait(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            for job_id in won:
                self._run_finishing(job_id)
            return

    # --- heartbeat -----------------------------------------------------------------------

    def _heartbeat_loop(self) -> None:
        while not self._stopping.wait(self.settings.heartbeat_s):
            try:
                q.heartbeat(db=self.db, worker_id=self.id, host=HOST, pid=os.getpid())
                self._sweep()
            except Exception:
                log.exception("heartbeat failed; retrying")

    def _sweep(self) -> None:
        live_since = utcnow() - timedelta(seconds=self.settings.lease_s)
        docs, jobs = q.requeue_stalled(db=self.db, live_since=live_since)
        if docs or jobs:
            log.info("requeued %d documents and %d jobs of stopped workers", docs, len(jobs))
            self.kick()
