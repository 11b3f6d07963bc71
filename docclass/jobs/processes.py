"""Reader processes: warm, capped and killable.

Documents are read in a pebble process pool: a file that hangs or eats memory kills only its
own process, after the per-document timeout or at the address-space cap. The processes fork
from a forkserver that has already imported the readers and the classifier, so a process
started after a kill (or the first one) takes milliseconds, not a second of imports.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

import pebble

# Numerical libraries (and an OpenMP build of Tesseract) must not start a thread per core in
# every reader process: two readers on two cores would oversubscribe them.
THREAD_ENV = ("OMP_NUM_THREADS", "OMP_THREAD_LIMIT", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
# What reader processes import once, in the forkserver, before any of them is forked (a module
# that is not installed, such as tesserocr, is skipped; OCR then says what is missing).
PRELOAD = [
    "docclass.jobs.pipeline",
    "docclass.extraction.extract",
    "docclass.classifiers.local",
    "tesserocr",
    # The optimiser of the batch pass's and the corrections' models (0.2 s), imported where
    # they are fitted (docclass.classifiers.linear).
    "scipy.optimize",
]
# A reader process is replaced after this many documents (fragmented heaps do not shrink).
MAX_TASKS = 500


def _init_process(megabytes: int) -> None:
    """Cap the reader's address space so a bomb fails alone; quiet the PDF readers' warnings
    about broken files (the outcome is stored on the document).

    What the reader inherited from the forkserver (the preloaded modules, hundreds of
    thousands of objects) lives as long as the process: ``gc.freeze`` takes it out of the
    collector's view. A full collection walked all of it (about 70 ms each) and wrote to
    every page it walked, unsharing them from the forkserver. With the readers' imports in
    one process, reading the mixed set's PDF and Word files took a fifth less frozen; in
    ``classify`` the detectors' summed time fell by about a quarter, and bench/throughput.py's
    peak tree PSS by 9-22%.
    """
    gc.freeze()
    for name in ("pypdf", "pypdfium2", "PIL"):
        logging.getLogger(name).setLevel(logging.ERROR)
    if megabytes <= 0:
        return
    import resource

    cap = megabytes * 1024 * 1024
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))


def _ready() -> int:
    return os.getpid()


def _context() -> Any:
    for name in THREAD_ENV:
        os.environ.setdefault(name, "1")
    try:
        ctx = multiprocessing.get_context("forkserver")
    except ValueError:  # platforms without fork: spawn, importing on each start
        return multiprocessing.get_context("spawn")
    ctx.set_forkserver_preload(PRELOAD)
    return ctx


def start_forkserver() -> None:
    """Start the forkserver and its imports now, in the background (no-op without one)."""
    if _context().get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()


class ReaderPool:
    def __init__(self, workers: int, memory_mb: int) -> None:
        self.workers = max(1, workers)
        self._pool = pebble.ProcessPool(
            max_workers=self.workers,
            max_tasks=MAX_TASKS,
            initializer=_init_process,
            initargs=(memory_mb,),
            context=_context(),
        )

    def warm(self) -> None:
        """Start the forkserver and every process now, in the background: the imports run
        while the caller stores uploads, not when the first file arrives."""

        def start() -> None:
            for _ in range(self.workers):
                self._pool.schedule(_ready)

        threading.Thread(target=start, name="docclass-warm", daemon=True).start()

    def submit(self, fn: Callable[..., Any], arg: Any, timeout: float | None) -> Future:
        return self._pool.schedule(fn, args=(arg,), timeout=timeout)

    def stop(self) -> None:
        """Kill the processes now (a stopping app must not wait for a slow file)."""
        self._pool.stop()
        self._pool.join()

    def close(self) -> None:
        """Finish what was submitted, then end the processes."""
        self._pool.close()
        self._pool.join()
